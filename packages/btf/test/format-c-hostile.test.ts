import { describe, expect, it } from 'vitest';
import { BtfBuilder, BtfError, formatC, parseBtf } from '../src/index.js';

/** The BtfError `run` throws (failing the test on any other outcome, a stack overflow included). */
function btfError(run: () => unknown): BtfError {
  try {
    run();
  } catch (error) {
    if (BtfError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a BtfError');
}

const intType = { kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 } as const;

/** Depth of the chains below: the depth at which a recursive dumper overflowed the stack (#16). */
const DEPTH = 100_000;

describe('formatC on hostile BTF', { timeout: 60_000 }, () => {
  it('refuses a const and a volatile that name each other', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'typedef', name: 'loop', type: 2 });
    b.add({ kind: 'const', name: '', type: 3 });
    b.add({ kind: 'volatile', name: '', type: 2 });
    const error = btfError(() => formatC(parseBtf(b.encode())));
    expect(error.code).toBe('reference-cycle');
    expect(error.context.typeId).toBeGreaterThanOrEqual(2);
  });

  it('refuses an anonymous struct that reaches itself through a pointer', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'typedef', name: 'self_t', type: 2 });
    b.add({
      kind: 'struct',
      name: '',
      size: 8,
      bitfieldEncoding: false,
      members: [{ name: 'next', type: 3, bitOffset: 0, bitfieldSize: 0 }],
    });
    b.add({ kind: 'ptr', name: '', type: 2 });
    expect(btfError(() => formatC(parseBtf(b.encode()))).code).toBe('reference-cycle');
  });

  it('refuses a root id that does not exist, however large, instead of printing another type', () => {
    const b = new BtfBuilder();
    b.add({ kind: 'typedef', name: 'word_t', type: 0 });
    const btf = parseBtf(b.encode());
    for (const root of [2, 2 ** 29, 2 ** 31]) {
      expect(btfError(() => formatC(btf, { roots: [root] })).code).toBe('bad-type-id');
    }
  });

  it('prints a 100k-deep pointer chain', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    for (let i = 0; i < DEPTH; i++) type = b.add({ kind: 'ptr', name: '', type });
    b.add({ kind: 'typedef', name: 'deep', type });
    expect(formatC(parseBtf(b.encode()))).toContain(`typedef int ${'*'.repeat(DEPTH)}deep;`);
  });

  it('prints a 100k-deep typedef chain in order', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    for (let i = 0; i < DEPTH; i++) type = b.add({ kind: 'typedef', name: `t${i}`, type });
    const header = formatC(parseBtf(b.encode()));
    expect(header).toContain('typedef int t0;');
    expect(header.indexOf(`typedef t${DEPTH - 2} t${DEPTH - 1};`)).toBeGreaterThan(header.indexOf('typedef t0 t1;'));
  });

  it('prints a 100k-deep chain of structs nested by value, each after the one it holds', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    for (let i = 0; i < DEPTH; i++) {
      type = b.add({
        kind: 'struct',
        name: `s${i}`,
        size: 4,
        bitfieldEncoding: false,
        members: [{ name: 'inner', type, bitOffset: 0, bitfieldSize: 0 }],
      });
    }
    const header = formatC(parseBtf(b.encode()));
    expect(header.indexOf(`struct s${DEPTH - 1} {`)).toBeGreaterThan(header.indexOf(`struct s${DEPTH - 2} {`));
    expect(header).toContain(`\tstruct s${DEPTH - 2} inner;`);
  });

  it('lays out structs that hold the one before twice in linear time', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    let size = 4;
    for (let i = 0; i < 25; i++) {
      type = b.add({
        kind: 'struct',
        name: `twice${i}`,
        size: size * 2,
        bitfieldEncoding: false,
        members: [
          { name: 'a', type, bitOffset: 0, bitfieldSize: 0 },
          { name: 'b', type, bitOffset: size * 8, bitfieldSize: 0 },
        ],
      });
      size *= 2;
    }
    const started = performance.now();
    expect(formatC(parseBtf(b.encode()))).toContain('struct twice24 {');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a declaration that a DAG of prototypes blows up', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    for (let i = 0; i < 40; i++) {
      const pointer = b.add({ kind: 'ptr', name: '', type });
      type = b.add({
        kind: 'func_proto',
        name: '',
        returnType: 1,
        params: [
          { name: '', type: pointer },
          { name: '', type: pointer },
        ],
      });
    }
    b.add({ kind: 'typedef', name: 'blown', type });
    expect(btfError(() => formatC(parseBtf(b.encode()))).code).toBe('too-large');
  });

  it('refuses declarators nested past what C compilers take', () => {
    const b = new BtfBuilder();
    let type = b.add(intType);
    for (let i = 0; i < 300; i++) {
      const pointer = b.add({ kind: 'ptr', name: '', type });
      type = b.add({ kind: 'func_proto', name: '', returnType: 1, params: [{ name: '', type: pointer }] });
    }
    b.add({ kind: 'typedef', name: 'nested', type });
    expect(btfError(() => formatC(parseBtf(b.encode()))).code).toBe('too-deep');
  });
});

describe('formatC on a struct of 4 GB', () => {
  it('refuses padding it past half a megabyte instead of printing half a billion lines', () => {
    const b = new BtfBuilder();
    const int = b.add(intType);
    b.add({
      kind: 'struct',
      name: 'vast',
      size: 0xffffffff,
      bitfieldEncoding: false,
      members: [{ name: 'first', type: int, bitOffset: 0, bitfieldSize: 0 }],
    });
    expect(btfError(() => formatC(parseBtf(b.encode()))).code).toBe('too-large');
  });
});
