import {
  type Btf,
  fixupDatasecs,
  fixupKsyms,
  parseBtf,
  placeDatasecVariables,
  reencode,
  sanitizeBtf,
  staticHiddenSubprograms,
} from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import type { MapSpec } from '@bpfkit/maps';
import { BpfSyscallError, btfFeatures, type Fd, loadBtf } from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import type { LoadLogger } from './log.js';
import type { ResourceScope } from './scope.js';

/**
 * Loads the object's BTF (DATASECs fixed up, `.kconfig` externs placed as the map lays
 * them out, `.ksyms` made acceptable to the kernel, hidden subprograms static, re-encoded) and
 * returns its fd (`undefined` when the object has none or the kernel refuses it) and a
 * function returning the fixed-up BTF, parsed on its first call. What is sent is
 * sanitised for this kernel (kinds its BTF loader lacks rewritten, ids kept, as libbpf
 * does). BTF is optional for maps and programs, so a refusal is logged with the kernel's
 * reason, as libbpf does, and the load goes on without it, unless the object has
 * struct_ops maps, which need it.
 * @throws {@link LoadError} `load-btf` when the kernel refuses BTF the object cannot do without.
 */
export function loadObjectBtf(
  elf: ElfFile,
  btf: Btf | undefined,
  maps: readonly MapSpec[],
  scope: ResourceScope,
  log: LoadLogger,
): { fd: Fd | undefined; fixed: () => Btf | undefined } {
  if (btf === undefined) return { fd: undefined, fixed: () => undefined };
  const types = fixupDatasecs(btf, elf);
  const kconfig = maps.find((m) => m.source === 'kconfig');
  if (kconfig !== undefined) placeDatasecVariables(types, '.kconfig', kconfig.externs, kconfig.valueSize);
  fixupKsyms(types);
  staticHiddenSubprograms(types, elf);
  const bytes = reencode(types, btf);
  // The fixed-up BTF also types the maps' values (DATASEC offsets and sizes included),
  // parsed when a map first decodes a value.
  let parsed: Btf | undefined;
  const fixed = () => {
    parsed ??= parseBtf(bytes, elf.name === undefined ? {} : { name: elf.name });
    return parsed;
  };
  const sanitized = sanitizeBtf(types, btfFeatures());
  const rewritten = sanitized.filter((t, i) => t !== types[i]).length;
  if (rewritten > 0) log(`BTF sanitised for this kernel: ${rewritten} types rewritten into kinds it knows`);
  const sent = rewritten > 0 ? reencode(sanitized, btf) : bytes;
  try {
    const fd = scope.own(loadBtf(sent, elf.name ?? 'object'));
    log(`BTF loaded (${sent.length} bytes), fd=${fd.fd}`);
    return { fd, fixed };
  } catch (error) {
    if (!BpfSyscallError.is(error)) throw error;
    const reason = error.log.slice(-3);
    // struct_ops maps cannot exist without the object's BTF (libbpf's mandatory case).
    if (maps.some((m) => m.source === 'struct_ops')) {
      throw new LoadError(
        'load-btf',
        "the kernel refused the object's BTF, which its struct_ops maps need",
        { ...(elf.name === undefined ? {} : { object: elf.name }), errno: error.errnoName },
        { cause: error },
      );
    }
    log(`BTF loading error: ${error.errnoName}`);
    for (const line of reason) log(`  ${line}`);
    log(`Error loading .BTF into kernel: ${error.errnoName}. BTF is optional, ignoring.`);
    return { fd: undefined, fixed };
  }
}
