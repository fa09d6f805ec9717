import { readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';

const name = process.argv[2] ?? 'core';
const bytes = new Uint8Array(readFileSync(fixture(name).path));
for (let i = 0; i < 40000; i++) BpfObject.open(bytes, { objectName: name });
