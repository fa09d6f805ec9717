import { describe, expect, it } from 'vitest';
import { type Btf, BtfBuilder, BtfError, parseBtf, parseBtfExt } from '../src/index.js';

/** BTF whose string section holds `strings` (as struct names), and each string's offset. */
function btfWith(strings: readonly string[]): { btf: Btf; offsetOf: (text: string) => number } {
  const b = new BtfBuilder();
  const ids = strings.map((name) => b.add({ kind: 'struct', name, size: 0, bitfieldEncoding: false, members: [] }));
  const btf = parseBtf(b.encode());
  return { btf, offsetOf: (text) => btf.type(ids[strings.indexOf(text)] as number).nameOffset as number };
}

/** A little-endian `.BTF.ext` holding one CO-RE relocation in section `sectionName`. */
function coreReloExt(sectionName: number, typeId: number, access: number, kind: number): Uint8Array {
  const bytes = new Uint8Array(32 + 4 + 8 + 16);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xeb9f, true);
  view.setUint8(2, 1);
  view.setUint32(4, 32, true); // hdr_len
  view.setUint32(24, 0, true); // core_relo_off
  view.setUint32(28, 4 + 8 + 16, true); // core_relo_len
  view.setUint32(32, 16, true); // rec_size
  view.setUint32(36, sectionName, true);
  view.setUint32(40, 1, true); // num_info
  view.setUint32(44, 0, true); // insn_off
  view.setUint32(48, typeId, true);
  view.setUint32(52, access, true);
  view.setUint32(56, kind, true);
  return bytes;
}

describe('.BTF.ext CO-RE records', () => {
  const { btf, offsetOf } = btfWith(['.text', 'task', '0:1', '4294967295:0', '0::1', `0${':0'.repeat(64)}`]);
  const section = offsetOf('.text');
  const refused = (ext: Uint8Array): BtfError => {
    try {
      parseBtfExt(ext, btf);
    } catch (error) {
      if (BtfError.is(error)) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it('reads a well-formed record', () => {
    const ext = parseBtfExt(coreReloExt(section, 2, offsetOf('0:1'), 0), btf);
    expect(ext.coreRelos.get('.text')).toEqual([
      { insnOffset: 0, typeId: 2, accessString: '0:1', accessStringOffset: offsetOf('0:1'), kind: 0 },
    ]);
  });

  it.each([
    ['an empty access string', 0],
    ['an index past int', offsetOf('4294967295:0')],
    ['an empty step', offsetOf('0::1')],
    ['more than 64 steps', offsetOf(`0${':0'.repeat(64)}`)],
    ['a name for an access string', offsetOf('task')],
  ])('refuses %s', (_what, access) => {
    const error = refused(coreReloExt(section, 2, access, 0));
    expect(error.code).toBe('bad-ext');
    expect(error.context).toMatchObject({ field: 'core_relo access_str_off', offset: 52 });
  });

  it('refuses an unknown relocation kind', () => {
    const error = refused(coreReloExt(section, 2, offsetOf('0:1'), 99));
    expect(error.context).toMatchObject({ field: 'core_relo kind', actual: 99 });
  });

  it('refuses a root type id past the BTF', () => {
    const error = refused(coreReloExt(section, 77, offsetOf('0:1'), 0));
    expect(error.context).toMatchObject({ field: 'core_relo type_id', actual: 77 });
  });
});
