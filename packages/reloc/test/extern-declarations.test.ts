import { readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { checkExternDeclarations } from '../src/index.js';

function opened(name: string) {
  const elf = parseElf(readFixture(name), { name: `${name}.el.o` });
  return { elf, btf: readObjectBtf(elf)?.btf };
}

describe('extern declarations', () => {
  it('refuse a function the object declares but no object defines, naming it and how to link', () => {
    const { elf, btf } = opened('bad_unlinked_extern');
    expect(() => checkExternDeclarations(elf, btf)).toThrow(
      expect.objectContaining({
        name: 'RelocError',
        code: 'unsupported-extern',
        context: { object: 'bad_unlinked_extern.el.o', symbol: 'bpfkit_defined_elsewhere' },
        message: expect.stringContaining(
          "extern function 'bpfkit_defined_elsewhere' is defined by no object and is neither a __ksym nor a __kconfig extern",
        ),
        hint: expect.stringContaining('bpftool gen object'),
      }),
    );
  });

  it('accept __ksym kfuncs and variables, __kconfig values, weak or not', () => {
    for (const name of ['ksyms', 'kconfig', 'ksym_flavors', 'linux_externs', 'bad_externs']) {
      const { elf, btf } = opened(name);
      expect(() => checkExternDeclarations(elf, btf), name).not.toThrow();
    }
  });

  it('refuse externs when the object has no BTF to tell what they are', () => {
    const { elf } = opened('ksyms');
    expect(() => checkExternDeclarations(elf, undefined)).toThrow(
      expect.objectContaining({
        code: 'unsupported-extern',
        message: expect.stringContaining('the object has no BTF'),
        hint: expect.stringContaining('-g'),
      }),
    );
  });

  it('pass objects without externs, with or without BTF', () => {
    const { elf } = opened('prog_array');
    expect(() => checkExternDeclarations(elf, undefined)).not.toThrow();
  });
});
