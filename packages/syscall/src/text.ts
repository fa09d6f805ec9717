/** Decodes a kernel log (ASCII in practice, UTF-8 in principle). */
export function decodeLog(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}
