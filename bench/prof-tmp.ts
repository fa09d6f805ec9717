import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';

const name = process.argv[2] ?? 'core';
const path = fixture(name).path;
for (let i = 0; i < 20000; i++) BpfObject.open(path).close();
