// Loads the map-in-map example, counts packets for three tenants, then moves tenant 7 onto
// another tenant's table at run time. Run: npx tsx examples/map-in-map.ts
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@bpfkit/loader';

using obj = BpfObject.open(fileURLToPath(new URL('map-in-map.bpf.o', import.meta.url)), {
  logger: (line) => console.log(`  ${line}`),
});
obj.load();

const program = obj.program('count_tenant');
for (const [tenant, size] of [
  [1, 64],
  [2, 128],
  [7, 256],
  [9, 64],
] as const) {
  obj.map('.data').set(0, { current_tenant: tenant });
  const { retval } = program.testRun({ data: new Uint8Array(size) });
  console.log(`tenant ${tenant}: ${retval === 2 ? 'counted' : 'dropped (no table)'}`);
}
for (const name of ['acme', 'globex', 'initech']) {
  const table = obj.map(name);
  console.log(`${name}: ${table.get(0)} packets, ${table.get(1)} bytes`);
}

// The outer map holds map ids when read, and takes map fds when written.
const tenants = obj.map('tenants');
console.log(`tenant 7 -> map id ${tenants.get(7)} (initech is ${obj.map('initech').info().id})`);
tenants.update(
  new Uint8Array(new Uint32Array([7]).buffer),
  new Uint8Array(new Uint32Array([obj.map('acme').fd]).buffer),
);
console.log(`tenant 7 -> map id ${tenants.get(7)} (acme is ${obj.map('acme').info().id})`);
