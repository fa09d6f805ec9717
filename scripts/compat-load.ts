// The child half of `npm run compat`: loads one object with bpfkit and compares each of its
// programs' translated instructions with those of libbpf's load of the same object, pinned
// under a folder. Runs in a process of its own so that a crash or hang stops only this object.
// Arena addresses are normalised with the ranges libbpf's loader printed (ARENAS_JSON) and bpfkit's own.
//   tsx scripts/compat-load.ts OBJECT PIN_ROOT [LIBBPF_PROGRAMS_DIR [ARENAS_JSON]]
// Prints one JSON line: a {@link BpfkitResult}.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ArenaRange, mapNameById, normalizeXlated } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { getBackend, getPinnedObject, programInfo } from '@bpfkit/syscall';
import { MapType } from '@bpfkit/uapi';

/** Where one program's translated instructions first differ between bpfkit and libbpf. */
export interface ProgramDifference {
  readonly program: string;
  /** Index of the first differing instruction (map loads count as one). */
  readonly insn: number;
  /** libbpf's instruction there (`end` past its last one, `not loaded` when it has no such program). */
  readonly libbpf: string;
  /** bpfkit's instruction there, spelled the same way. */
  readonly bpfkit: string;
}

/** What the child reports about bpfkit's load of one object. */
export interface BpfkitResult {
  readonly loaded: boolean;
  /** The error's code and message, when the load failed. */
  readonly code?: string;
  readonly error?: string;
  /** Programs bpfkit loaded (autoload on). */
  readonly programs?: readonly string[];
  /** Differences from libbpf, when libbpf loaded the object too; empty when identical. */
  readonly differences?: readonly ProgramDifference[];
}

function firstDifference(program: string, libbpf: string[], bpfkit: string[]): ProgramDifference | undefined {
  for (let i = 0; i < Math.max(libbpf.length, bpfkit.length); i++) {
    if (libbpf[i] !== bpfkit[i]) return { program, insn: i, libbpf: libbpf[i] ?? 'end', bpfkit: bpfkit[i] ?? 'end' };
  }
  return undefined;
}

function pinnedXlated(path: string, arenas: readonly ArenaRange[]): string[] {
  const pinned = getPinnedObject(path);
  try {
    return normalizeXlated(programInfo(pinned.fd, { xlated: true }).xlated as Uint8Array, mapNameById, arenas);
  } finally {
    pinned.close();
  }
}

/** Where bpfkit mapped the object's arenas in this process. */
function bpfkitArenas(object: BpfObject): ArenaRange[] {
  return object.maps
    .filter((spec) => spec.type === MapType.ARENA)
    .map((spec) => {
      const memory = object.map(spec.name).memory();
      return { name: spec.name, start: getBackend().address(memory), size: BigInt(memory.length) };
    });
}

function compare(
  object: BpfObject,
  programs: string[],
  libbpfDir: string,
  libbpfArenas: readonly ArenaRange[],
): ProgramDifference[] {
  const theirs = readdirSync(libbpfDir).sort();
  const ourArenas = bpfkitArenas(object);
  const differences: ProgramDifference[] = [];
  for (const name of [...new Set([...theirs, ...programs])].sort()) {
    const libbpf = theirs.includes(name) ? pinnedXlated(join(libbpfDir, name), libbpfArenas) : undefined;
    const bpfkit = programs.includes(name)
      ? normalizeXlated(object.program(name).info({ xlated: true }).xlated as Uint8Array, mapNameById, ourArenas)
      : undefined;
    const difference =
      libbpf === undefined || bpfkit === undefined
        ? { program: name, insn: 0, libbpf: libbpf ? 'loaded' : 'not loaded', bpfkit: bpfkit ? 'loaded' : 'not loaded' }
        : firstDifference(name, libbpf, bpfkit);
    if (difference !== undefined) differences.push(difference);
  }
  return differences;
}

function run(
  objectPath: string,
  pinRoot: string,
  libbpfDir: string | undefined,
  libbpfArenas: readonly ArenaRange[],
): BpfkitResult {
  let object: BpfObject | undefined;
  try {
    object = BpfObject.open(objectPath, { pinRoot });
    object.load();
  } catch (error) {
    object?.close();
    const e = error as { code?: unknown; message?: unknown };
    return {
      loaded: false,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      error: String(e.message ?? error).split('\n')[0] as string,
    };
  }
  try {
    const programs = object.programs.filter((p) => p.autoload).map((p) => p.name);
    const differences =
      libbpfDir !== undefined && existsSync(libbpfDir) ? compare(object, programs, libbpfDir, libbpfArenas) : undefined;
    return { loaded: true, programs, ...(differences === undefined ? {} : { differences }) };
  } finally {
    object.close();
  }
}

const [objectPath, pinRoot, libbpfDir, arenasJson] = process.argv.slice(2);
if (objectPath === undefined || pinRoot === undefined) {
  console.error('usage: tsx scripts/compat-load.ts OBJECT PIN_ROOT [LIBBPF_PROGRAMS_DIR [ARENAS_JSON]]');
  process.exit(2);
}
const libbpfArenas = (JSON.parse(arenasJson ?? '[]') as { name: string; start: string; size: string }[]).map((a) => ({
  name: a.name,
  start: BigInt(a.start),
  size: BigInt(a.size),
}));
process.stdout.write(`${JSON.stringify(run(objectPath, pinRoot, libbpfDir, libbpfArenas))}\n`);
