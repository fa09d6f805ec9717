import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { checkExternDeclarations, RelocError } from '../src/index.js';

function opened(name: string) {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  return { elf, btf: readObjectBtf(elf)?.btf };
}

function refusal(run: () => void): RelocError {
  try {
    run();
  } catch (error) {
    if (RelocError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a RelocError');
}

describe('extern declarations', () => {
  it('refuse a function the object declares but no object defines, naming it and how to link', () => {
    const { elf, btf } = opened('bad_unlinked_extern');
    const error = refusal(() => checkExternDeclarations(elf, btf));
    expect(error.code).toBe('unsupported-extern');
    expect(error.context).toEqual({ object: 'bad_unlinked_extern.el.o', symbol: 'bpfkit_defined_elsewhere' });
    expect(error.message).toContain(
      "extern function 'bpfkit_defined_elsewhere' is defined by no object and is neither a __ksym nor a __kconfig extern",
    );
    expect(error.hint).toContain('bpftool gen object');
  });

  it('accept __ksym kfuncs and variables, __kconfig values, weak or not', () => {
    for (const name of ['ksyms', 'kconfig', 'ksym_flavors', 'linux_externs', 'bad_externs']) {
      const { elf, btf } = opened(name);
      expect(() => checkExternDeclarations(elf, btf), name).not.toThrow();
    }
  });

  it('refuse externs when the object has no BTF to tell what they are', () => {
    const { elf } = opened('ksyms');
    const error = refusal(() => checkExternDeclarations(elf, undefined));
    expect(error.code).toBe('unsupported-extern');
    expect(error.message).toContain('the object has no BTF');
    expect(error.hint).toContain('-g');
  });

  it('pass objects without externs, with or without BTF', () => {
    const { elf } = opened('prog_array');
    expect(() => checkExternDeclarations(elf, undefined)).not.toThrow();
  });
});
