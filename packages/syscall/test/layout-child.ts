// Run as a child process by value-layout.test.ts, with BPFKIT_FFI naming the FFI: reads
// every layout-matrix case and runs every feature probe, then collects garbage and exits
// 0 with one line per check. A buffer the kernel overran shows as a crash (heap
// corruption aborts the process) or a mismatch (exit 1).
import { isDeepStrictEqual } from 'node:util';
import * as features from '../src/features.js';
import { getBackend } from '../src/index.js';
import { MATRIX_CASES, runCase } from './layout-matrix.js';

const lines: string[] = [`ffi ${getBackend().name}`];
let failed = false;
for (const [name, type, size] of MATRIX_CASES) {
  const wrong = runCase(type, size).filter((check) => !isDeepStrictEqual(check.read, check.expected));
  failed ||= wrong.length > 0;
  lines.push(
    `${name} ${size}: ${wrong.length === 0 ? 'ok' : `MISMATCH in ${wrong.map((check) => check.what).join(', ')}`}`,
  );
}
const probes: [string, () => boolean][] = [];
for (let type = 0; type <= 34; type++) {
  probes.push([`mapTypeSupported(${type})`, () => features.mapTypeSupported(type)]);
  probes.push([`batchSupported(${type})`, () => features.batchSupported(type)]);
  probes.push([`batchUpdateSupported(${type})`, () => features.batchUpdateSupported(type)]);
}
for (let type = 0; type <= 33; type++)
  probes.push([`programTypeSupported(${type})`, () => features.programTypeSupported(type)]);
for (const helper of [1, 44, 174, 99999])
  probes.push([`helperSupported(6, ${helper})`, () => features.helperSupported(6, helper)]);
for (let kind = 0; kind <= 20; kind++)
  probes.push([`btfKindSupported(${kind})`, () => features.btfKindSupported(kind)]);
probes.push(['mmapableArraysSupported()', features.mmapableArraysSupported]);
probes.push(['attachCookieSupported()', features.attachCookieSupported]);
probes.push(['uprobeMultiLinkSupported()', features.uprobeMultiLinkSupported]);
for (const attach of [46, 54, 999])
  probes.push([`linkAttachTypeSupported(${attach})`, () => features.linkAttachTypeSupported(attach)]);
for (const [label, probe] of probes) lines.push(`${label}: ${probe()}`);
lines.push(`btfFeatures(): ${JSON.stringify(features.btfFeatures())}`);
(globalThis as { gc?: () => void }).gc?.();
console.log(lines.join('\n'));
process.exit(failed ? 1 : 0);
