import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture, requireTool } from '@bpfkit/fixtures';
import { RelocError } from '@bpfkit/reloc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, privateBpffs } from './kernel.js';

const unavailable = bpfUnavailable();
const bpftool = requireTool('bpftool', 'bpftool', 'version');

/** The stage at which `bpftool prog loadall` (libbpf) refuses `name`: `open` or `load` (or `loaded` when it does not). */
function libbpfRefusal(name: string, dir: string): { stage: 'open' | 'load' | 'loaded'; reason: string } {
  const run = spawnSync('bpftool', ['prog', 'loadall', fixture(name).path, join(dir, name)], { encoding: 'utf8' });
  const reason = run.stderr.split('\n').find((line) => line.startsWith('libbpf:')) ?? '';
  if (run.stderr.includes('failed to open object file')) return { stage: 'open', reason };
  if (run.stderr.includes('failed to load object file')) return { stage: 'load', reason };
  return { stage: 'loaded', reason };
}

describe.skipIf(unavailable !== undefined || !bpftool)('what libbpf refuses, bpfkit refuses at the same stage', () => {
  let bpffs: ReturnType<typeof privateBpffs>;
  beforeAll(() => {
    bpffs = privateBpffs();
  });
  afterAll(() => bpffs.unmount());

  it('an object calling a function no object defines (one half of a link): refused at open', () => {
    const libbpf = libbpfRefusal('bad_unlinked_extern', bpffs.dir);
    expect(libbpf.stage).toBe('open');
    expect(libbpf.reason).toContain("extern 'bpfkit_defined_elsewhere'");
    try {
      BpfObject.open(fixture('bad_unlinked_extern').path);
      expect.unreachable();
    } catch (error) {
      expect(RelocError.is(error) && error.code).toBe('unsupported-extern');
      expect((error as RelocError).context).toMatchObject({ symbol: 'bpfkit_defined_elsewhere' });
      expect((error as Error).message).toMatch(/object 'bad_unlinked_extern.el.o'.*bpftool gen object/);
    }
  });

  it('a missing strong kfunc used only by a program with autoload off: refused at load, everything closed', () => {
    const libbpf = libbpfRefusal('bad_kfunc_autoload_off', bpffs.dir);
    expect(libbpf.stage).toBe('load');
    expect(libbpf.reason).toContain("'bpfkit_no_such_kfunc_when_off'");
    const object = BpfObject.open(fixture('bad_kfunc_autoload_off').path);
    expect(object.programs.map((p) => [p.name, p.autoload])).toEqual([
      ['off_by_default', false],
      ['on_by_default', true],
    ]);
    const fds = openFdCount();
    try {
      object.load();
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error) && error.step).toBe('resolve-externs');
      expect((error as LoadError).context).toMatchObject({
        object: 'bad_kfunc_autoload_off.el.o',
        program: 'off_by_default',
      });
      expect((error as Error).message).toContain("no kfunc 'bpfkit_no_such_kfunc_when_off'");
      expect((error as LoadError).hint).toContain('autoload off or not');
    }
    expect(openFdCount()).toBe(fds);
    expect(() => object.program('on_by_default')).toThrow(/failed/);
  });

  it("a strong kfunc declared with another prototype than the kernel's: refused at load as a mismatch, not as missing", () => {
    const libbpf = libbpfRefusal('bad_kfunc_prototype', bpffs.dir);
    expect(libbpf.stage).toBe('load');
    expect(libbpf.reason).toMatch(/'bpf_rcu_read_lock'.*incompatible/);
    const object = BpfObject.open(fixture('bad_kfunc_prototype').path);
    const fds = openFdCount();
    try {
      object.load();
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error) && error.step).toBe('resolve-externs');
      const cause = (error as LoadError).cause;
      expect(RelocError.is(cause) && cause.code).toBe('kfunc-mismatch');
      expect((cause as RelocError).context).toMatchObject({
        symbol: 'bpf_rcu_read_lock',
        expected: 'void bpf_rcu_read_lock(void)',
        actual: 'int bpf_rcu_read_lock(int)',
      });
      expect((error as Error).message).toContain(
        "object 'bad_kfunc_prototype.el.o': prog 'wrong_prototype': section 'tc': insn #",
      );
      expect((error as Error).message).toContain(
        "kfunc 'bpf_rcu_read_lock' is declared with a prototype that does not",
      );
      expect((error as Error).message).not.toContain('no kfunc');
    }
    expect(openFdCount()).toBe(fds);
    object.close();
  });
});
