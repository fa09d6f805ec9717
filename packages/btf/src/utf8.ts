interface Utf8Encoder {
  encode(text: string): Uint8Array;
}

let encoder: Utf8Encoder | undefined;

/**
 * UTF-8 bytes of `text`: ASCII (every BTF name a compiler writes) byte by byte, anything else
 * through the platform's TextEncoder (no Node types needed), which costs a native buffer per call.
 */
export function encodeUtf8(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      encoder ??= new (globalThis as unknown as { TextEncoder: new () => Utf8Encoder }).TextEncoder();
      return encoder.encode(text);
    }
    bytes[i] = code;
  }
  return bytes;
}
