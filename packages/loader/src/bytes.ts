import { isLittleEndianHost } from '@bpfkit/syscall';

/** 32-bit values packed in host byte order (keys and fds for map updates). */
export function u32s(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(values.length * 4));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i] as number, isLittleEndianHost);
  return bytes;
}
