import { BpfCommand } from '@bpfkit/uapi';
import type { BpfAttr } from './attr.js';
import { Errno, type FailureFacts } from './errno.js';
import { batchAttr, mapElemAttr, progLoadAttr, testAttr } from './generated/attr.js';
import { programLoadCapabilities } from './program-capabilities.js';

const { readFileSync, statfsSync } = process.getBuiltinModule('node:fs');
const { dirname } = process.getBuiltinModule('node:path');

/** What a failed call was about, as far as its caller knows: the kernel is asked for the rest. */
export interface FailureSubject {
  /** The map the call was about. */
  readonly mapFd?: number;
  /** The program run (test runs). */
  readonly programFd?: number;
  /** `BPF_PROG_TYPE_*` and `expected_attach_type` of a program loaded. */
  readonly programType?: number;
  /** The `expected_attach_type` of a program loaded. */
  readonly attachType?: number;
  /** Where a pin was to be made. */
  readonly pinPath?: string;
  /** Bytes of test-run input. */
  readonly testDataSize?: number;
}

/** `statfs(2)` f_type of a bpf filesystem (BPF_FS_MAGIC). */
const BPF_FS_MAGIC = 0xcafe4a11;
/** Capability numbers (`linux/capability.h`). */
const capabilityBits = { CAP_NET_ADMIN: 12n, CAP_SYS_ADMIN: 21n, CAP_PERFMON: 38n, CAP_BPF: 39n } as const;
/** Errnos whose hint depends on facts; for the others nothing is read. */
const factDependent = new Set<number>([Errno.EPERM, Errno.E2BIG, Errno.EINVAL]);

/** `key:\tvalue` lines of a `/proc` file, or an empty map when it cannot be read. */
function procFields(path: string): Map<string, string> {
  try {
    const text = readFileSync(path, 'utf8');
    return new Map(text.split('\n').map((line) => line.split(/:\s*/, 2) as [string, string]));
  } catch {
    return new Map();
  }
}

/** The process's effective capabilities (`CapEff`), or `undefined` when `/proc` cannot tell. */
function effectiveCapabilities(): bigint | undefined {
  const effective = procFields('/proc/self/status').get('CapEff');
  return effective === undefined ? undefined : BigInt(`0x${effective}`);
}

function holds(caps: bigint, name: keyof typeof capabilityBits): boolean {
  return ((caps >> capabilityBits[name]) & 1n) === 1n;
}

/** The capabilities a load of `programType` needs that the process lacks (CAP_SYS_ADMIN stands in for any). */
function missingLoadCapabilities(caps: bigint, programType: number): string[] {
  if (holds(caps, 'CAP_SYS_ADMIN')) return [];
  return programLoadCapabilities(programType).filter((name) => !holds(caps, name));
}

function mapFacts(fd: number): FailureFacts['map'] {
  const info = procFields(`/proc/self/fdinfo/${fd}`);
  const type = info.get('map_type');
  if (type === undefined) return undefined;
  return {
    type: Number(type),
    maxEntries: Number(info.get('max_entries')),
    frozen: info.get('frozen') === '1',
    writableFd: (Number.parseInt(info.get('flags') ?? '2', 8) & 3) !== 0,
  };
}

function onBpffs(path: string): boolean | undefined {
  try {
    return statfsSync(dirname(path)).type === BPF_FS_MAGIC;
  } catch {
    return undefined;
  }
}

/**
 * Facts for the hint of a failure with `errno`: capabilities (and those a program load lacks), the map's type, size, frozen
 * state and whether the descriptor may write, the program's type, whether a pin directory is a bpffs. Read only
 * after a failure, and only for errnos whose hint depends on them; never throws.
 */
export function failureFacts(errno: number, subject: FailureSubject): FailureFacts {
  if (!factDependent.has(errno)) return {};
  const programType =
    subject.programType ??
    (subject.programFd === undefined
      ? undefined
      : Number(procFields(`/proc/self/fdinfo/${subject.programFd}`).get('prog_type') ?? Number.NaN));
  const caps = effectiveCapabilities();
  const missing =
    caps === undefined || subject.programType === undefined ? [] : missingLoadCapabilities(caps, subject.programType);
  const facts: Record<string, unknown> = {
    privileged: caps === undefined ? undefined : holds(caps, 'CAP_BPF') || holds(caps, 'CAP_SYS_ADMIN'),
    missingCapabilities: missing.length === 0 ? undefined : missing,
    map: subject.mapFd === undefined ? undefined : mapFacts(subject.mapFd),
    programType: Number.isNaN(programType) ? undefined : programType,
    attachType: subject.attachType,
    pinDirectoryOnBpffs: subject.pinPath === undefined ? undefined : onBpffs(subject.pinPath),
    testDataSize: subject.testDataSize,
  };
  for (const key of Object.keys(facts)) if (facts[key] === undefined) delete facts[key];
  return facts as FailureFacts;
}

/** Commands whose attr starts with the map fd. */
const mapFdFirst = new Set<number>([
  BpfCommand.MAP_LOOKUP_ELEM,
  BpfCommand.MAP_UPDATE_ELEM,
  BpfCommand.MAP_DELETE_ELEM,
  BpfCommand.MAP_GET_NEXT_KEY,
  BpfCommand.MAP_FREEZE,
  BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM,
]);
/** Batch commands: the map fd is at byte 36. */
const batchCommands = new Set<number>([
  BpfCommand.MAP_LOOKUP_BATCH,
  BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH,
  BpfCommand.MAP_UPDATE_BATCH,
  BpfCommand.MAP_DELETE_BATCH,
]);

/**
 * What a bpf(2) command's attr says the call was about: the map fd of map commands, the
 * type and attach type of a program load, the program and data size of a test run.
 * `path` is the pin path of BPF_OBJ_PIN.
 */
export function subjectOf(command: number, attr: BpfAttr, path: string | undefined): FailureSubject {
  if (mapFdFirst.has(command)) return { mapFd: attr.readU32(mapElemAttr.map_fd) };
  if (batchCommands.has(command) && attr.size > batchAttr.map_fd) return { mapFd: attr.readU32(batchAttr.map_fd) };
  if (command === BpfCommand.PROG_LOAD && attr.size > progLoadAttr.expected_attach_type) {
    return {
      programType: attr.readU32(progLoadAttr.prog_type),
      attachType: attr.readU32(progLoadAttr.expected_attach_type),
    };
  }
  if (command === BpfCommand.PROG_TEST_RUN)
    return { programFd: attr.readU32(testAttr.prog_fd), testDataSize: attr.readU32(testAttr.data_size_in) };
  if (command === BpfCommand.OBJ_PIN && path !== undefined) return { pinPath: path };
  return {};
}
