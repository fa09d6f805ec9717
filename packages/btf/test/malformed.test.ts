import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type Btf,
  BtfBuilder,
  BtfError,
  type BtfErrorCode,
  type BtfType,
  parseBtf,
  parseBtfExt,
  plainType,
  readObjectBtf,
  sizeOf,
} from '../src/index.js';

/** A copy of section `name` of `elf`; fails the test when it is missing. */
function sectionCopy(elf: ReturnType<typeof parseElf>, name: string): Uint8Array {
  const section = elf.sectionByName(name);
  if (section === undefined) throw new Error(`fixture has no ${name}`);
  return section.data.slice();
}

function btfErrorOf(read: () => unknown): BtfError {
  try {
    read();
  } catch (error) {
    if (BtfError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a BtfError, but nothing was thrown');
}

function expectCode(read: () => unknown, code: BtfErrorCode): BtfError {
  const error = btfErrorOf(read);
  expect(error.code).toBe(code);
  return error;
}

/** A small valid blob: int, ptr → int, struct with one int member. */
function smallBlob(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  b.add({ kind: 'ptr', name: '', type: int });
  b.add({
    kind: 'struct',
    name: 's',
    size: 4,
    bitfieldEncoding: false,
    members: [{ name: 'x', type: int, bitOffset: 0, bitfieldSize: 0 }],
  });
  return b.encode();
}
const u32 = (bytes: Uint8Array, at: number, value: number) => new DataView(bytes.buffer).setUint32(at, value, true);
// Type records of smallBlob(): int at 24 (16 bytes), ptr at 40 (12), struct at 52 (12 + 12).
const PTR = 24 + 16;
const STRUCT = PTR + 12;

function decodeEverything(btf: Btf): void {
  for (let id = 1; id < btf.typeCount; id++) btf.type(id);
}

describe('malformed BTF is refused with type id, kind and byte offset', () => {
  it('too short for a header', () => {
    expect(expectCode(() => parseBtf(new Uint8Array(10), { name: 'x.o' }), 'truncated').context).toMatchObject({
      object: 'x.o',
      offset: 0,
      actual: '10 bytes',
    });
  });

  it('bad magic', () => {
    const blob = smallBlob();
    blob[0] = 0;
    expectCode(() => parseBtf(blob), 'bad-magic');
  });

  it('unknown version', () => {
    const blob = smallBlob();
    blob[2] = 2;
    expect(expectCode(() => parseBtf(blob), 'bad-version').context).toMatchObject({ offset: 2, actual: 2 });
  });

  it('sections past the end of the blob', () => {
    const blob = smallBlob();
    u32(blob, 20, 1 << 30);
    expect(expectCode(() => parseBtf(blob), 'truncated').context.field).toBe('string');
  });

  it('an unknown kind, naming the type id and offset', () => {
    const blob = smallBlob();
    u32(blob, PTR + 4, 25 << 24);
    expect(expectCode(() => parseBtf(blob), 'bad-kind').context).toMatchObject({
      typeId: 2,
      offset: PTR + 4,
      actual: 25,
    });
  });

  it('a member count that would need more records than the section holds (no allocation)', () => {
    const blob = smallBlob();
    u32(blob, STRUCT + 4, ((4 << 24) | 0xffff) >>> 0);
    const error = expectCode(() => parseBtf(blob), 'truncated');
    expect(error.context).toMatchObject({ typeId: 3, kind: 'struct', offset: STRUCT });
  });

  it('a reference to a type id that does not exist', () => {
    const blob = smallBlob();
    u32(blob, PTR + 8, 999);
    const btf = parseBtf(blob);
    const error = expectCode(() => btf.type(2), 'bad-type-id');
    expect(error.context).toMatchObject({ typeId: 2, kind: 'ptr', field: 'type', offset: PTR + 8, actual: 999 });
    expect(error.message).toBe(
      'type [2] ptr type at byte 0x30: refers to a type id that does not exist (expected < 4, got 999)',
    );
  });

  it('is not checked for references when the kernel already checked it (verified)', () => {
    const blob = smallBlob();
    u32(blob, STRUCT + 16, 999);
    expectCode(() => parseBtf(blob).decodeAll(), 'bad-type-id');
    const btf = parseBtf(blob, { verified: true });
    const struct = btf.decodeAll()[2];
    expect(struct?.kind === 'struct' && struct.members[0]?.type).toBe(999);
    expect(expectCode(() => btf.type(999), 'bad-type-id').context).toMatchObject({ typeId: 999 });
  });

  it('is checked for structure even when verified', () => {
    const blob = smallBlob();
    u32(blob, PTR + 4, 30 << 24);
    expectCode(() => parseBtf(blob, { verified: true }), 'bad-kind');
  });

  it('a member name offset past the string section', () => {
    const blob = smallBlob();
    u32(blob, STRUCT + 12, 1 << 20);
    const error = expectCode(() => parseBtf(blob).type(3), 'bad-string');
    expect(error.context).toMatchObject({ typeId: 3, kind: 'struct', field: 'member name_off', offset: STRUCT + 12 });
  });

  it('a string section whose last string has no NUL (so no name can run past it)', () => {
    const blob = smallBlob();
    const view = new DataView(blob.buffer);
    const stringsEnd = 24 + view.getUint32(16, true) + view.getUint32(20, true);
    blob[stringsEnd - 1] = 0x41;
    expect(expectCode(() => parseBtf(blob), 'bad-string').context).toMatchObject({
      offset: stringsEnd - 1,
      actual: 0x41,
    });
  });

  it('a type section that ends inside a word, after the last whole record', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'ptr', name: '', type: 0 });
    const blob = b.encode();
    const view = new DataView(blob.buffer);
    // Claim two more type bytes and move the strings after them.
    const grown = new Uint8Array(blob.length + 2);
    grown.set(blob.subarray(0, 24 + 12));
    grown.set(blob.subarray(24 + 12), 24 + 14);
    const header = new DataView(grown.buffer);
    header.setUint32(12, view.getUint32(12, true) + 2, true);
    header.setUint32(16, view.getUint32(16, true) + 2, true);
    expect(expectCode(() => parseBtf(grown), 'truncated').context).toMatchObject({ typeId: 2, offset: 24 + 12 });
  });

  it('a reference cycle through typedefs', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'typedef', name: 'a', type: 2 });
    b.add({ kind: 'typedef', name: 'b', type: 1 });
    const btf = parseBtf(b.encode());
    expect(expectCode(() => sizeOf(btf, 1), 'reference-cycle').context).toMatchObject({ typeId: 1, kind: 'typedef' });
  });

  it('an id that does not exist', () => {
    expect(expectCode(() => parseBtf(smallBlob()).type(77), 'bad-type-id').context.typeId).toBe(77);
  });

  it('a .BTF.ext block claiming more records than fit', () => {
    const elf = parseElf(readFixture('map_in_map'));
    const object = readObjectBtf(elf);
    const ext = sectionCopy(elf, '.BTF.ext');
    const view = new DataView(ext.buffer);
    const funcStart = view.getUint32(4, true) + view.getUint32(8, true);
    view.setUint32(funcStart + 8, 1 << 28, true);
    const error = expectCode(() => parseBtfExt(ext, object?.btf as Btf), 'bad-ext');
    expect(error.context).toMatchObject({ section: '.BTF.ext', field: 'func_info num_info', offset: funcStart + 8 });
  });
});

const blobs = allFixtures().map(
  (f) => parseElf(readFixture(f.name, f.order)).sectionByName('.BTF')?.data.slice() as Uint8Array,
);
const exts = allFixtures()
  .map((f) => parseElf(readFixture(f.name, f.order)))
  .filter((elf) => elf.sectionByName('.BTF.ext') !== undefined)
  .map((elf) => ({ elf, ext: sectionCopy(elf, '.BTF.ext') }));

type Reference = readonly ['name' | 'type', number];

/** Every name offset and type id a type holds, read from its fields (an oracle independent of the decoder's checks). */
function referencesOf(type: BtfType): Reference[] {
  const typeId = (id: number): Reference => ['type', id];
  const name = (offset: number | undefined): Reference => ['name', offset ?? 0];
  const refs = [name(type.nameOffset)];
  switch (type.kind) {
    case 'array':
      return [...refs, typeId(type.type), typeId(type.indexType)];
    case 'struct':
    case 'union':
      return [...refs, ...type.members.flatMap((m) => [name(m.nameOffset), typeId(m.type)])];
    case 'enum':
    case 'enum64':
      return [...refs, ...type.values.map((v) => name(v.nameOffset))];
    case 'func_proto':
      return [...refs, typeId(type.returnType), ...type.params.flatMap((p) => [name(p.nameOffset), typeId(p.type)])];
    case 'datasec':
      return [...refs, ...type.vars.map((v) => typeId(v.type))];
    default:
      return 'type' in type ? [...refs, typeId(type.type)] : refs;
  }
}

/** The first out-of-range value for a name offset (0 aside) or type id in `btf`. */
function limit(btf: Btf, kind: Reference[0]): number {
  return kind === 'type' ? btf.typeCount : Math.max(btf.strings.end, 1);
}

/** Decoding, sizing and reading ext either works or throws BtfError; nothing else escapes. */
function readsOrRefuses(read: () => void): void {
  try {
    read();
  } catch (error) {
    if (!BtfError.is(error)) throw error;
  }
}

describe('mutated BTF never escapes as anything but BtfError', () => {
  test.prop([fc.constantFrom(...blobs), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 16 })], {
    numRuns: 500,
  })('random byte overwrites', (original, edits) => {
    const blob = original.slice();
    for (const [at, value] of edits) blob[at % blob.length] = value;
    readsOrRefuses(() => {
      const btf = parseBtf(blob);
      decodeEverything(btf);
      for (let id = 1; id < btf.typeCount; id++) readsOrRefuses(() => sizeOf(btf, id));
      btf.byName('int');
    });
  });

  test.prop([fc.constantFrom(...blobs), fc.nat(), fc.constantFrom(0, 1, 0xffff, 0x7fffffff, 0xffffffff, 1 << 24)], {
    numRuns: 500,
  })('inflated 32-bit fields', (original, pick, value) => {
    const blob = original.slice();
    const at = (pick % Math.floor(blob.length / 4)) * 4;
    new DataView(blob.buffer).setUint32(at, value, true);
    readsOrRefuses(() => decodeEverything(parseBtf(blob)));
  });

  test.prop([fc.constantFrom(...blobs), fc.nat(), fc.constantFrom(1, 0xffff, 0x7fffffff, 0xffffffff, 1 << 24)], {
    numRuns: 500,
  })("decodeAll fails exactly when one type does, with the first failing type's error", (original, pick, value) => {
    const blob = original.slice();
    new DataView(blob.buffer).setUint32((pick % Math.floor(blob.length / 4)) * 4, value, true);
    const outcome = (read: () => unknown) => {
      try {
        return { types: read() };
      } catch (error) {
        if (!BtfError.is(error)) throw error;
        return { code: error.code, context: error.context };
      }
    };
    const one = outcome(() => {
      const btf = parseBtf(blob);
      return Array.from({ length: btf.typeCount - 1 }, (_, index) => plainType(btf.type(index + 1)));
    });
    expect(outcome(() => parseBtf(blob).decodeAll().map(plainType))).toEqual(one);
  });

  test.prop([fc.constantFrom(...blobs), fc.nat(), fc.constantFrom(1, 0xffff, 0x7fffffff, 0xffffffff, 1 << 24)], {
    numRuns: 1000,
  })('a blob is refused for its references exactly when one is out of range', (original, pick, value) => {
    const blob = original.slice();
    new DataView(blob.buffer).setUint32((pick % Math.floor(blob.length / 4)) * 4, value, true);
    let raw: Btf;
    try {
      raw = parseBtf(blob, { verified: true });
    } catch (error) {
      // Structure is checked the same way with or without `verified`.
      expect(btfErrorOf(() => parseBtf(blob))).toEqual(error);
      return;
    }
    const outOfRange = raw
      .decodeAll()
      .some((type) => referencesOf(type).some(([kind, value]) => value >= limit(raw, kind)));
    const refused = (() => {
      try {
        parseBtf(blob).decodeAll();
        return false;
      } catch (error) {
        if (!BtfError.is(error)) throw error;
        expect(['bad-type-id', 'bad-string']).toContain(error.code);
        return true;
      }
    })();
    expect(refused).toBe(outOfRange);
  });

  test.prop([fc.constantFrom(...blobs), fc.nat()], { numRuns: 200 })('truncation', (original, cut) => {
    readsOrRefuses(() => decodeEverything(parseBtf(original.slice(0, cut % (original.length + 1)))));
  });

  test.prop([fc.constantFrom(...exts), fc.nat(), fc.nat(0xffffffff)], { numRuns: 500 })(
    '.BTF.ext with an inflated field',
    ({ elf, ext }, pick, value) => {
      const bytes = ext.slice();
      new DataView(bytes.buffer).setUint32((pick % Math.floor(bytes.length / 4)) * 4, value, true);
      const btf = readObjectBtf(elf)?.btf as Btf;
      readsOrRefuses(() => parseBtfExt(bytes, btf));
    },
  );
});
