import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { FuncLinkage, readObjectBtf, staticHiddenSubprograms } from '../src/index.js';

function funcs(name: string, fix: boolean) {
  const elf = parseElf(readFixture(name));
  const btf = readObjectBtf(elf)?.btf;
  if (btf === undefined) throw new Error('no BTF');
  const types = [...btf.decodeAll()];
  if (fix) staticHiddenSubprograms(types, elf);
  return Object.fromEntries(types.flatMap((t) => (t.kind === 'func' ? [[t.name, t.linkage]] : [])));
}

describe('hidden subprograms', () => {
  it('get a static BTF FUNC; programs and visible global subprograms stay global', () => {
    expect(funcs('hidden_subprogram', false)).toEqual({
      store_len: FuncLinkage.GLOBAL,
      add_len: FuncLinkage.GLOBAL,
      use_hidden: FuncLinkage.GLOBAL,
    });
    // add_len is a weak symbol: weak binding counts as global, as in libbpf.
    expect(funcs('hidden_subprogram', true)).toEqual({
      store_len: FuncLinkage.STATIC,
      add_len: FuncLinkage.STATIC,
      use_hidden: FuncLinkage.GLOBAL,
    });
    // The freplace fixture's global subprogram has default visibility.
    expect(funcs('freplace', true).verdict).toBe(FuncLinkage.GLOBAL);
  });
});
