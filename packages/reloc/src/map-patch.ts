import { RelocError } from './errors.js';
import type { Instruction } from './insn/instruction.js';
import { PseudoSource } from './insn/opcodes.js';
import type { MapReference } from './link.js';

/**
 * How a loaded program's instructions name maps: `fd` writes each map's fd into its ld_imm64
 * (`BPF_PSEUDO_MAP_FD`/`_VALUE`, what libbpf does); `fd-array` writes an index into an
 * `fd_array` passed with the load (`BPF_PSEUDO_MAP_IDX`/`_IDX_VALUE`, Linux 5.14+), so the
 * instructions do not depend on fd numbers.
 */
export type MapReferenceMode = 'fd' | 'fd-array';

/** A program's final instructions and the fds their indexes refer to. */
export interface PatchedInstructions {
  /** Copies of the given instructions, each map reference written in. */
  readonly instructions: Instruction[];
  /** The given prefix (module BTF fds), then in `fd-array` mode map fds in first-use order. */
  readonly fdArray: number[];
}

/** What {@link patchMapReferences} needs besides the instructions. */
export interface MapPatchOptions {
  /** `fd` (default) or `fd-array`. */
  readonly mode?: MapReferenceMode;
  /** What the fd_array starts with (module BTF fds for kfunc calls), before any map index. */
  readonly fdArrayPrefix?: readonly number[];
  /** The program, for errors. */
  readonly program?: string;
  /** The object, for errors. */
  readonly object?: string;
}

/**
 * Copies `instructions` and writes each map reference's fd (or fd_array index) into its
 * ld_imm64, with the value offset in the second half for global data: the last step before
 * a program's instructions are encoded for `BPF_PROG_LOAD`. The input is left untouched.
 * @throws {@link RelocError} `missing-map` naming program, instruction and map when
 * `mapFd` has no fd for a map the program uses.
 */
export function patchMapReferences(
  instructions: readonly Instruction[],
  references: readonly MapReference[],
  mapFd: (map: string) => number | undefined,
  options: MapPatchOptions = {},
): PatchedInstructions {
  const out = instructions.map((insn) => ({ ...insn }));
  const fdArray: number[] = [...(options.fdArrayPrefix ?? [])];
  const byFd = new Map<number, number>();
  for (const ref of references) {
    const fd = mapFd(ref.map);
    const first = out[ref.insn];
    const second = out[ref.insn + 1];
    if (fd === undefined || first === undefined || second === undefined) {
      throw new RelocError(
        'missing-map',
        fd === undefined
          ? `refers to map '${ref.map}', which has no fd`
          : `map reference to '${ref.map}' points past the instructions`,
        {
          ...(options.object === undefined ? {} : { object: options.object }),
          ...(options.program === undefined ? {} : { program: options.program }),
          insn: ref.insn,
          symbol: ref.map,
        },
      );
    }
    if (options.mode === 'fd-array') {
      let index = byFd.get(fd);
      if (index === undefined) {
        index = fdArray.push(fd) - 1;
        byFd.set(fd, index);
      }
      first.src = ref.kind === 'map-fd' ? PseudoSource.MAP_IDX : PseudoSource.MAP_IDX_VALUE;
      first.imm = index;
    } else {
      first.src = ref.kind === 'map-fd' ? PseudoSource.MAP_FD : PseudoSource.MAP_VALUE;
      first.imm = fd;
    }
    second.imm = ref.kind === 'map-fd' ? 0 : ref.offset;
  }
  return { instructions: out, fdArray };
}
