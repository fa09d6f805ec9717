// Checks the built @bpfkit/uapi (ESM or CJS) holds the generated enums and the facts built on them.
import assert from 'node:assert/strict';

export default function smoke(uapi) {
  assert.equal(uapi.MapType.PERCPU_ARRAY, 6);
  assert.equal(uapi.mapTypeName(uapi.MapType.HASH_OF_MAPS), 'HASH_OF_MAPS');
  assert.equal(uapi.commandName(uapi.BpfCommand.PROG_LOAD), 'BPF_PROG_LOAD');
  assert.ok(uapi.isPerCpuMapType(uapi.MapType.LRU_PERCPU_HASH));
  assert.equal(uapi.BPF_OBJ_NAME_LEN, 16);
}
