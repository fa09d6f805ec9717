import { openRawTracepoint } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';

/** Options for {@link attachRawTracepoint}. */
export interface RawTracepointOptions {
  /** The value `bpf_get_attach_cookie()` returns in the program (Linux 6.10+). */
  readonly cookie?: bigint;
}

/**
 * Attaches a `raw_tp` program to the raw tracepoint `name` (`sys_enter`), through
 * BPF_RAW_TRACEPOINT_OPEN, whose fd is the link.
 * @throws {@link LinkError} `kernel` (ENOENT for an unknown tracepoint).
 */
export function attachRawTracepoint(programFd: number, name: string, options: RawTracepointOptions = {}): Link {
  const fd = kernelStep('open the raw tracepoint', { kind: 'raw_tp', target: name }, () =>
    openRawTracepoint(programFd, name, options.cookie),
  );
  return new Link('raw_tp', fd);
}
