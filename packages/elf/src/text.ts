interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}

let utf8: Utf8Decoder | undefined;

/** Decodes UTF-8 (invalid sequences become U+FFFD) with a fast path for short ASCII strings. */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i] as number) >= 0x80) return decodeWithTextDecoder(bytes);
    }
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return decodeWithTextDecoder(bytes);
}

function decodeWithTextDecoder(bytes: Uint8Array): string {
  if (utf8 === undefined) {
    const { TextDecoder } = globalThis as unknown as {
      TextDecoder: new (label: string) => Utf8Decoder;
    };
    utf8 = new TextDecoder('utf-8');
  }
  return utf8.decode(bytes);
}
