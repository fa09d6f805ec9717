import { spawnSync } from 'node:child_process';
import { fixture, readFixture, requireTool } from '@bpfkit/fixtures';
import { RelocError } from '@bpfkit/reloc';
import { describe, expect, it } from 'vitest';
import { generateSkeleton } from '../src/index.js';

const bpftool = requireTool('bpftool', 'bpftool', 'version');

describe('objects a loader refuses at open get no skeleton', () => {
  it('an extern no object defines: the RelocError the loader opens with, as bpftool gen skeleton fails', () => {
    let refused: unknown;
    try {
      generateSkeleton(readFixture('bad_unlinked_extern'), { object: 'bad_unlinked_extern.el.o' });
    } catch (error) {
      refused = error;
    }
    expect(RelocError.is(refused) && refused.code).toBe('unsupported-extern');
    expect((refused as RelocError).context).toEqual({
      object: 'bad_unlinked_extern.el.o',
      symbol: 'bpfkit_defined_elsewhere',
    });
    expect((refused as RelocError).hint).toContain('bpftool gen object');
  });

  it.skipIf(!bpftool)('bpftool gen skeleton refuses the same object (libbpf opens it first)', () => {
    const run = spawnSync('bpftool', ['gen', 'skeleton', fixture('bad_unlinked_extern').path], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("extern 'bpfkit_defined_elsewhere'");
  });
});
