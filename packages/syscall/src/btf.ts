import { BpfCommand } from '@bpfkit/uapi';
import { BpfAttr, nativeBuffer } from './attr.js';
import { bpfTry } from './call.js';
import { Errno } from './errno.js';
import { BpfSyscallError } from './errors.js';
import { Fd } from './fd.js';
import { attrSizes, btfLoadAttr } from './generated/attr.js';
import { logLines, MAX_LOG_SIZE } from './verifier-log.js';

/** The attr of every BPF_BTF_LOAD (one per object load), zeroed after each call, so one native buffer serves them all. */
const btfLoad = new BpfAttr(attrSizes.btfLoad);

/**
 * Loads BTF into the kernel (BPF_BTF_LOAD) and returns its fd; `name` only labels errors.
 * (Reading the kernel's own BTF is `readKernelBtf` of `@bpfkit/btf/node`.) A failure is retried with the BTF log on (grown on ENOSPC), and the log is
 * attached to the error.
 * @throws {@link BpfSyscallError} with the kernel's BTF log lines.
 */
export function loadBtf(bytes: Uint8Array, name = 'BTF'): Fd {
  let log: Uint8Array | undefined;
  let size = 1 << 16;
  for (;;) {
    const result = btfLoad.use((attr) =>
      bpfTry(
        BpfCommand.BTF_LOAD,
        attr
          .pointer(btfLoadAttr.btf, bytes)
          .pointer(btfLoadAttr.btf_log_buf, log)
          .u32(btfLoadAttr.btf_size, bytes.length)
          .u32(btfLoadAttr.btf_log_size, log?.length ?? 0)
          .u32(btfLoadAttr.btf_log_level, log === undefined ? 0 : 1),
      ),
    );
    if (result >= 0) return new Fd(result, `BTF of ${name}`);
    const errno = -result;
    if (log === undefined && errno !== Errno.EPERM) {
      log = nativeBuffer(size);
      continue;
    }
    if (errno === Errno.ENOSPC && log !== undefined && size < MAX_LOG_SIZE) {
      size = Math.min(MAX_LOG_SIZE, size * 4);
      log = nativeBuffer(size);
      continue;
    }
    throw new BpfSyscallError(BpfCommand.BTF_LOAD, errno, { object: name }, log === undefined ? [] : logLines(log));
  }
}
