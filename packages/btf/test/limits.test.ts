import { describe, expect, it } from 'vitest';
import { BtfBuilder, parseBtf, sizeOf } from '../src/index.js';

/** BTF of about `megabytes` MB: structs of ten u64 members, each with its own names. */
function largeBtf(megabytes: number): { bytes: Uint8Array; structs: number } {
  const builder = new BtfBuilder();
  const u64 = builder.add({ kind: 'int', name: 'u64', size: 8, bits: 64, bitOffset: 0, encoding: 0 });
  // A struct record is 12 + 10 * 12 bytes, plus about 90 bytes of member names.
  const structs = Math.ceil((megabytes * 2 ** 20) / (132 + 85));
  for (let i = 0; i < structs; i++) {
    builder.add({
      kind: 'struct',
      name: `s${i}`,
      size: 80,
      bitfieldEncoding: false,
      members: Array.from({ length: 10 }, (_, m) => ({
        name: `f${m}_${i}`,
        type: u64,
        bitOffset: m * 64,
        bitfieldSize: 0,
      })),
    });
  }
  return { bytes: builder.encode(), structs };
}

describe('10 MB of BTF', () => {
  const { bytes, structs } = largeBtf(10);

  it('is at least 10 MB', () => {
    expect(bytes.length).toBeGreaterThanOrEqual(10 * 2 ** 20);
  });

  it('decodes every type, finds one by name and lays it out', () => {
    const btf = parseBtf(bytes);
    expect(btf.typeCount).toBe(structs + 2);
    for (let id = 1; id < btf.typeCount; id++) btf.type(id);
    const last = btf.byName(`s${structs - 1}`, 'struct');
    expect(last?.id).toBe(structs + 1);
    expect(sizeOf(btf, last?.id ?? 0)).toBe(80);
  });
});
