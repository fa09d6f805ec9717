// Checks the built @bpfkit/btf (ESM or CJS) reads an object's BTF and reports bad input typed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseElf } from '@bpfkit/elf';

export default function smoke(btf) {
  const bytes = new Uint8Array(readFileSync(new URL('../../fixtures/bpf/map_in_map.el.o', import.meta.url)));
  const object = btf.readObjectBtf(parseElf(bytes));
  assert.equal(object.btf.byName('inner_map', 'struct').members.length, 4);
  assert.ok(object.ext.funcInfo.get('xdp').length > 0);
  assert.throws(
    () => btf.parseBtf(new Uint8Array(4)),
    (e) => btf.BtfError.is(e) && e.code === 'truncated',
  );
}
