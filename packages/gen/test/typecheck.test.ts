import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateSkeleton, generateTypes } from '@bpfkit/gen';
import { describe, expect, it } from 'vitest';
import { fixtureTypes } from './fixture-types.js';
import { typeCheck } from './generated-module.js';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const examples = readdirSync(`${root}/examples`).filter((name) => name.endsWith('.bpf.o'));

describe('generated code type-checks with tsc --strict', () => {
  it('types and skeletons of every fixture (both byte orders) and example; a planted error is found', {
    timeout: 300_000,
  }, () => {
    const files: Record<string, string> = {};
    for (const { fixture, label, btf, roots } of fixtureTypes()) {
      files[`${label}.types.ts`] = generateTypes(btf, { roots, object: label });
      files[`${label}.skeleton.ts`] = generateSkeleton(new Uint8Array(readFileSync(fixture.path)), {
        object: `${label}.o`,
        ...(fixture.name === 'skeleton' ? { events: { events: 'event' }, types: ['big_numbers', 'record'] } : {}),
      });
      if (fixture.name === 'skeleton')
        files[`${label}.embedded.ts`] = generateSkeleton(new Uint8Array(readFileSync(fixture.path)), {
          object: `${label}.o`,
          embed: true,
        });
    }
    for (const example of examples)
      files[`${example}.skeleton.ts`] = generateSkeleton(new Uint8Array(readFileSync(`${root}/examples/${example}`)), {
        object: example,
      });
    // A tool on a skeleton: a struct global is written whole (also from what it read); changing a
    // member of the frozen copy it reads, which would not reach the map, fails to type-check.
    files['uses-skeleton.ts'] = [
      "import { Skeleton } from './skeleton.el.skeleton.js';",
      'const skel = Skeleton.open({ rodata: { targ_pid: 1, targ_comm: "x" } });',
      'skel.bss.totals = { ...skel.bss.totals, packets: 1n };',
      'skel.data.pair = skel.data.pair;',
      'skel.bss.totals.packets = 2n;',
      '',
    ].join('\n');
    // The check can fail: one planted type error must be reported, and nothing else.
    files['planted.ts'] = "export const broken: number = 'text';\n";
    expect(typeCheck(files, root)).toEqual([
      ".generated/planted.ts:1: Type 'string' is not assignable to type 'number'.",
      ".generated/uses-skeleton.ts:5: Cannot assign to 'packets' because it is a read-only property.",
    ]);
  });
});
