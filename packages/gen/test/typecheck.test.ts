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
    // A tool on skeletons: struct, union and array globals read and written in place, at any
    // depth, and written whole from plain values (also from a view's copy). Two planted member
    // writes of the wrong type must be refused.
    files['uses-skeleton.ts'] = [
      "import { Skeleton } from './skeleton.el.skeleton.js';",
      "import { LiveGlobals, level } from './live_globals.el.skeleton.js';",
      'const skel = Skeleton.open({ rodata: { targ_pid: 1, targ_comm: "x" } });',
      'skel.bss.totals.packets = 2n;',
      'skel.bss.totals.hist[3]++;',
      'skel.bss.totals = { ...skel.bss.totals.$value(), packets: 1n };',
      'skel.data.pair = skel.data.pair;',
      'const live = LiveGlobals.open();',
      'live.data.cfg.inner.a[2] = 5;',
      'live.bss.grid[1][2] += 1;',
      'live.bss.pts[0].y = -1;',
      'live.bss.pts.set(1, { x: 1, y: 2 });',
      'live.rodata.rcfg.level = level.LEVEL_HIGH;',
      'live.data.cfg.u.bytes[0] = live.data_stats.totals.length;',
      'for (const point of live.bss.pts) point.x = 0;',
      'const copy: number[] = [...live.bss.arr];',
      'live.bss.arr = [1, 2, 3, 4, 5, 6, 7, copy.length];',
      'live.data.cfg.inner.label = "x";',
      'const plain: [number, number, number] = live.bss.grid[0].$value();',
      'live.bss.grid = [plain, plain];',
      'skel.bss.totals.packets = 2;',
      'live.data.cfg.level = 3;',
      '',
    ].join('\n');
    // The check can fail: one planted type error must be reported, and nothing else.
    files['planted.ts'] = "export const broken: number = 'text';\n";
    expect(typeCheck(files, root)).toEqual([
      ".generated/planted.ts:1: Type 'string' is not assignable to type 'number'.",
      ".generated/uses-skeleton.ts:21: Type 'number' is not assignable to type 'bigint'.",
      ".generated/uses-skeleton.ts:22: Type '3' is not assignable to type 'level'.",
    ]);
  });
});
