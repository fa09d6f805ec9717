// Checks the built @bpfkit/cli (ESM or CJS) describes an object and draws it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export default function smoke(cli) {
  const bytes = new Uint8Array(readFileSync(new URL('../../../examples/map-in-map.bpf.o', import.meta.url)));
  const description = cli.describeObject(bytes, 'map-in-map.bpf.o');
  assert.deepEqual(description.problems, []);
  assert.match(cli.toDot(description), /map_tenants -> map_initech \[style=dashed, label="slot \[7\]"\]/);
}
