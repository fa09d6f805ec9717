import { BPF_OBJ_NAME_LEN, BpfCommand } from '@bpfkit/uapi';
import { BpfAttr, isLittleEndianHost, nativeBuffer } from './attr.js';
import { bpfCall, bpfTry, bpfTryInBackground } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { failureFacts } from './failure-facts.js';
import { Fd } from './fd.js';
import { attrSizes, progBindMapAttr, progLoadAttr, testAttr } from './generated/attr.js';
import { logLines, MAX_LOG_SIZE } from './verifier-log.js';

/** Every PROG_LOAD field (offsets from `union bpf_attr`). */
export interface ProgramLoadOptions {
  /** Kernel-visible name (at most 15 characters). */
  readonly name?: string;
  /** Program type: a {@link @bpfkit/uapi!ProgramType} value (`ProgramType.XDP`…). */
  readonly type: number;
  /** Instructions, 8 bytes each, in host byte order. */
  readonly instructions: Uint8Array;
  /** License string (`"GPL"` for GPL-only helpers). */
  readonly license: string;
  /** `kern_version`, checked by old kernels for kprobes. */
  readonly kernelVersion?: number;
  /** `prog_flags` (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`…). */
  readonly flags?: number;
  /** Network interface to offload the program to (0: none). */
  readonly ifindex?: number;
  /** Expected attach type: an {@link @bpfkit/uapi!AttachType} value. */
  readonly expectedAttachType?: number;
  /** BTF object fd of the program's types (for func and line info). */
  readonly btfFd?: number;
  /** `bpf_func_info` records and their size. */
  readonly funcInfo?: {
    /** The records, in host byte order. */
    readonly records: Uint8Array;
    /** Size of one record in bytes. */
    readonly recordSize: number;
    /** Number of records. */
    readonly count: number;
  };
  /** `bpf_line_info` records and their size. */
  readonly lineInfo?: {
    /** The records, in host byte order. */
    readonly records: Uint8Array;
    /** Size of one record in bytes. */
    readonly recordSize: number;
    /** Number of records. */
    readonly count: number;
  };
  /** For tracing, LSM, struct_ops and extension programs: the target's BTF type id. */
  readonly attachBtfId?: number;
  /** `attach_prog_fd` or `attach_btf_obj_fd` (they share the field). */
  readonly attachFd?: number;
  /** fd_array for BPF_PSEUDO_MAP_IDX and kfunc module BTFs. */
  readonly fdArray?: readonly number[];
  /** Verifier log level on the first try (0: quiet; a failure retries at level 1). */
  readonly logLevel?: number;
  /** Initial log buffer size; grown on ENOSPC up to the kernel maximum. */
  readonly logSize?: number;
}

/** A loaded program and, when asked for, the verifier log. */
export interface LoadedProgram {
  /** The program's file descriptor; closing it unloads the program unless something else holds it. */
  readonly fd: Fd;
  /** Verifier log lines (empty unless `logLevel` was set). */
  readonly log: readonly string[];
}

/** Size of the PROG_LOAD attr up to `log_true_size`, which the kernel writes back. */
const PROG_LOAD_SIZE = progLoadAttr.log_true_size + 4;

function fdArrayBytes(fds: readonly number[]): Uint8Array {
  const bytes = nativeBuffer(fds.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < fds.length; i++) view.setInt32(i * 4, fds[i] as number, isLittleEndianHost);
  return bytes;
}

/**
 * NUL-terminated license strings by text: the kernel only reads them, so every load (in place
 * or on a pool thread) shares one buffer per license instead of writing a new one. The
 * first {@link KEPT_LICENSES} texts are kept (objects say "GPL", "Dual BSD/GPL" and a few more).
 */
const licenses = new Map<string, Uint8Array>();
/** How many license texts {@link licenses} keeps; later ones get a buffer per load. */
const KEPT_LICENSES = 16;

/** The NUL-terminated ASCII bytes of `license`, from {@link licenses}. */
function licenseBytes(license: string): Uint8Array {
  let bytes = licenses.get(license);
  if (bytes === undefined) {
    bytes = nativeBuffer(license.length + 1);
    for (let i = 0; i < license.length; i++) bytes[i] = license.charCodeAt(i) & 0x7f;
    if (licenses.size < KEPT_LICENSES) licenses.set(license, bytes);
  }
  return bytes;
}

/** The PROG_LOAD attr of one attempt; it keeps the buffers it points at alive. */
function programLoadAttr(options: ProgramLoadOptions, logLevel: number, log: Uint8Array | undefined): BpfAttr {
  const license = licenseBytes(options.license);
  const attr = new BpfAttr(PROG_LOAD_SIZE)
    .u32(progLoadAttr.prog_type, options.type)
    .u32(progLoadAttr.insn_cnt, options.instructions.length / 8)
    .pointer(progLoadAttr.insns, options.instructions)
    .pointer(progLoadAttr.license, license)
    .u32(progLoadAttr.log_level, log === undefined ? 0 : logLevel)
    .u32(progLoadAttr.log_size, log?.length ?? 0)
    .pointer(progLoadAttr.log_buf, log)
    .u32(progLoadAttr.kern_version, options.kernelVersion ?? 0)
    .u32(progLoadAttr.prog_flags, options.flags ?? 0)
    .string(progLoadAttr.prog_name, BPF_OBJ_NAME_LEN, options.name ?? '')
    .u32(progLoadAttr.prog_ifindex, options.ifindex ?? 0)
    .u32(progLoadAttr.expected_attach_type, options.expectedAttachType ?? 0)
    .u32(progLoadAttr.prog_btf_fd, options.btfFd ?? 0)
    .u32(progLoadAttr.attach_btf_id, options.attachBtfId ?? 0)
    .u32(progLoadAttr.attach_prog_fd, options.attachFd ?? 0);
  if (options.funcInfo !== undefined && options.funcInfo.count > 0) {
    attr
      .u32(progLoadAttr.func_info_rec_size, options.funcInfo.recordSize)
      .pointer(progLoadAttr.func_info, options.funcInfo.records)
      .u32(progLoadAttr.func_info_cnt, options.funcInfo.count);
  }
  if (options.lineInfo !== undefined && options.lineInfo.count > 0) {
    attr
      .u32(progLoadAttr.line_info_rec_size, options.lineInfo.recordSize)
      .pointer(progLoadAttr.line_info, options.lineInfo.records)
      .u32(progLoadAttr.line_info_cnt, options.lineInfo.count);
  }
  if (options.fdArray !== undefined && options.fdArray.length > 0)
    attr.pointer(progLoadAttr.fd_array, fdArrayBytes(options.fdArray));
  return attr;
}

/**
 * The decisions of a BPF_PROG_LOAD, as a generator: it yields each attr to send and is
 * given the result (or `-errno`), so the same sequence runs in place ({@link loadProgram})
 * or on a pool thread ({@link loadProgramInBackground}), each of which resends an attr
 * while the kernel answers EAGAIN (`bpfTry`); a quiet first try that fails is retried with
 * the verifier log on; the log buffer grows on ENOSPC up to the kernel's maximum.
 */
function* programLoadAttempts(options: ProgramLoadOptions): Generator<BpfAttr, LoadedProgram, number> {
  const name = options.name ?? '';
  let logLevel = options.logLevel ?? 0;
  // The kernel refuses log_size above its maximum with EINVAL, so larger requests are clamped.
  let size = Math.min(options.logSize ?? 1 << 16, MAX_LOG_SIZE);
  let log = logLevel > 0 ? nativeBuffer(size) : undefined;
  for (;;) {
    const attr = programLoadAttr(options, logLevel, log);
    const result = yield attr;
    if (result >= 0) {
      return { fd: new Fd(result, `prog '${name}'`), log: log === undefined ? [] : logLines(log) };
    }
    const errno = -result;
    if (log === undefined && errno !== Errno.EPERM) {
      logLevel = 1;
      log = nativeBuffer(size);
      continue;
    }
    if (errno === Errno.ENOSPC && log !== undefined && size < MAX_LOG_SIZE) {
      const needed = attr.readU32(progLoadAttr.log_true_size);
      size = Math.min(MAX_LOG_SIZE, Math.max(size * 4, needed + 1));
      log = nativeBuffer(size);
      continue;
    }
    const facts = failureFacts(errno, { programType: options.type, attachType: options.expectedAttachType ?? 0 });
    throw new BpfSyscallError(
      BpfCommand.PROG_LOAD,
      errno,
      { program: name },
      log === undefined ? [] : logLines(log),
      facts,
    );
  }
}

/**
 * BPF_PROG_LOAD, sent up to {@link PROG_LOAD_ATTEMPTS} (5) times while the kernel answers EAGAIN
 * (a signal interrupted the verifier). A quiet first try that fails is retried with the verifier log on; the log
 * buffer grows on ENOSPC up to the kernel's maximum. The log is returned on success when
 * `logLevel` asked for it, and attached to the error on failure.
 * @throws {@link BpfSyscallError} with the verifier log lines.
 * @example
 * ```ts
 * import { loadProgram } from '@bpfkit/syscall';
 * import { ProgramType } from '@bpfkit/uapi';
 *
 * // r0 = 0; exit: a socket filter that drops every packet
 * const instructions = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
 * const { fd, log } = loadProgram({ type: ProgramType.SOCKET_FILTER, instructions, license: 'GPL', logLevel: 1 });
 * console.log(log);
 * fd.close();
 * ```
 */
export function loadProgram(options: ProgramLoadOptions): LoadedProgram {
  const attempts = programLoadAttempts(options);
  let step = attempts.next();
  while (!step.done) step = attempts.next(bpfTry(BpfCommand.PROG_LOAD, step.value));
  return step.value;
}

/**
 * {@link loadProgram} with every BPF_PROG_LOAD run on a libuv pool thread, so the event loop
 * keeps running while the verifier works (which can take seconds for a big program): the
 * same attempts, results and errors.
 * @throws {@link BpfSyscallError} (as a rejection) with the verifier log lines.
 * @example
 * ```ts
 * const { fd } = await loadProgramInBackground({ type: ProgramType.SOCKET_FILTER, instructions, license: 'GPL' });
 * ```
 */
export async function loadProgramInBackground(options: ProgramLoadOptions): Promise<LoadedProgram> {
  const attempts = programLoadAttempts(options);
  let step = attempts.next();
  while (!step.done) step = attempts.next(await bpfTryInBackground(BpfCommand.PROG_LOAD, step.value));
  return step.value;
}

/** Options for {@link testRun}. */
export interface TestRunOptions {
  /** Packet or input data. */
  readonly data?: Uint8Array;
  /** Room for output data; the input size by default. */
  readonly dataOutSize?: number;
  /** Context (e.g. `struct __sk_buff`, `struct xdp_md`). */
  readonly ctx?: Uint8Array;
  /** Room for output context. */
  readonly ctxOutSize?: number;
  /** Runs per call (the result reports the mean duration); 1 by default. */
  readonly repeat?: number;
  /** `BPF_F_TEST_*` flags (`BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`…). */
  readonly flags?: number;
  /** CPU to run on, with `BPF_F_TEST_RUN_ON_CPU`. */
  readonly cpu?: number;
  /** Frames per batch for live XDP frames. */
  readonly batchSize?: number;
}

/** What BPF_PROG_TEST_RUN reports. */
export interface TestRunResult {
  /** The program's return value. */
  readonly retval: number;
  /** Average run time in nanoseconds. */
  readonly duration: number;
  /** Output data (possibly changed by the program). */
  readonly data: Uint8Array;
  /** Output context, when room was given. */
  readonly ctx: Uint8Array | undefined;
}

/** BPF_PROG_TEST_RUN. */
export function testRun(programFd: number, options: TestRunOptions = {}, name?: string): TestRunResult {
  const dataOut = nativeBuffer(options.dataOutSize ?? Math.max(options.data?.length ?? 0, 0));
  const ctxOut = options.ctxOutSize ? nativeBuffer(options.ctxOutSize) : undefined;
  const attr = new BpfAttr(attrSizes.test)
    .u32(testAttr.prog_fd, programFd)
    .u32(testAttr.data_size_in, options.data?.length ?? 0)
    .u32(testAttr.data_size_out, dataOut.length)
    .pointer(testAttr.data_in, options.data)
    .pointer(testAttr.data_out, dataOut)
    .u32(testAttr.repeat, options.repeat ?? 0)
    .u32(testAttr.ctx_size_in, options.ctx?.length ?? 0)
    .u32(testAttr.ctx_size_out, ctxOut?.length ?? 0)
    .pointer(testAttr.ctx_in, options.ctx)
    .pointer(testAttr.ctx_out, ctxOut)
    .u32(testAttr.flags, options.flags ?? 0)
    .u32(testAttr.cpu, options.cpu ?? 0)
    .u32(testAttr.batch_size, options.batchSize ?? 0);
  bpfCall(BpfCommand.PROG_TEST_RUN, attr, name ? { program: name } : {});
  return {
    retval: attr.readU32(testAttr.retval),
    duration: attr.readU32(testAttr.duration),
    data: dataOut.subarray(0, Math.min(attr.readU32(testAttr.data_size_out), dataOut.length)),
    ctx: ctxOut?.subarray(0, Math.min(attr.readU32(testAttr.ctx_size_out), ctxOut.length)),
  };
}

/** The attr of every BPF_PROG_BIND_MAP (a load binds `.rodata` to each program), zeroed after each call. */
const progBindMap = new BpfAttr(attrSizes.progBindMap);

/** BPF_PROG_BIND_MAP: keeps `mapFd` alive as long as the program (libbpf does this for `.rodata`). */
export function bindMap(programFd: number, mapFd: number): void {
  progBindMap.use((attr) =>
    bpfCall(BpfCommand.PROG_BIND_MAP, attr.u32(progBindMapAttr.prog_fd, programFd).u32(progBindMapAttr.map_fd, mapFd)),
  );
}
