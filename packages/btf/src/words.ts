/** True on a little-endian host (every platform bpfkit supports today, but not assumed). */
const hostLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The type section as 32-bit words in host byte order, which is how every field of a type
 * record is stored. A blob in host order at a 4-byte-aligned address is viewed in place
 * (nothing copied: vmlinux is read straight from its bytes); any other blob is copied once,
 * byte-swapped as it goes. A trailing partial word is left out; the scan reports it.
 */
export function typeSectionWords(bytes: Uint8Array, start: number, length: number, littleEndian: boolean): Uint32Array {
  const count = length >>> 2;
  const address = bytes.byteOffset + start;
  if (littleEndian === hostLittleEndian && address % 4 === 0) return new Uint32Array(bytes.buffer, address, count);
  const view = new DataView(bytes.buffer, address, count * 4);
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = view.getUint32(i * 4, littleEndian);
  return words;
}
