interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}

let utf8: Utf8Decoder | undefined;

/** Decodes UTF-8 (invalid sequences become U+FFFD) with a fast path for short ASCII strings. */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return decodeWithTextDecoder(bytes);
      text += String.fromCharCode(byte);
    }
    return text;
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
