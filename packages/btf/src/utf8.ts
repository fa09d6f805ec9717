interface Utf8Encoder {
  encode(text: string): Uint8Array;
}

let encoder: Utf8Encoder | undefined;

/** UTF-8 bytes of `text`, through the platform's TextEncoder (no Node types needed). */
export function encodeUtf8(text: string): Uint8Array {
  encoder ??= new (globalThis as unknown as { TextEncoder: new () => Utf8Encoder }).TextEncoder();
  return encoder.encode(text);
}
