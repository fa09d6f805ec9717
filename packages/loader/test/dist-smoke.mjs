// Checks the built @bpfkit/loader (ESM or CJS) loads the seed object and runs it.
import assert from 'node:assert/strict';

export default function smoke(loader) {
  const obj = loader.BpfObject.open(new URL('../../fixtures/bpf/map_in_map.el.o', import.meta.url).pathname);
  try {
    obj.load();
    assert.equal(obj.program('handle').testRun({ data: new Uint8Array(64) }).retval, 2);
    assert.equal(obj.map('outer_hash').get(4), obj.map('inner_map1').info().id);
  } finally {
    obj.close();
  }
}
