import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { fixture, requireTool } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, privateBpffs } from './kernel.js';

const unavailable = bpfUnavailable();

/** A target BTF whose two flavors of task_struct put pid in different places: every CO-RE access to it is ambiguous. */
function ambiguousKernel() {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  for (const [name, at] of [
    ['task_struct', 0],
    ['task_struct___v2', 64],
  ] as const) {
    const members = [{ name: 'pid', type: int, bitOffset: at, bitfieldSize: 0 }];
    b.add({ kind: 'struct', name, size: 16, bitfieldEncoding: false, members });
  }
  return parseBtf(b.encode(), { name: 'ambiguous' });
}

describe('CO-RE is resolved at load, for the programs that load', () => {
  it('opens whatever the target kernel says; the static check and load report the relocation', () => {
    using object = BpfObject.open(fixture('core').path, { kernelBtf: ambiguousKernel() });
    expect(object.programs.map((p) => p.name)).toEqual(['core_values']);
    const check = () => object.relocateCore();
    expect(check).toThrow(LoadError);
    expect(check).toThrow(/prog 'core_values': section 'socket': insn #0: field offset ambiguity/);
    try {
      object.load();
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ step: 'relocate-core', context: { program: 'core_values' } });
    }
  });

  it('leaves programs whose relocation fails out once their autoload is off', () => {
    const f = fixture('bad_core_load_size');
    using broken = BpfObject.open(f.path);
    expect(() => broken.load()).toThrow(/prog 'bad_load_size': .*2 bytes wide but the local field is 8/);

    const before = openFdCount();
    {
      using object = BpfObject.open(f.path);
      (object.programs.find((p) => p.name === 'bad_load_size') as { autoload: boolean }).autoload = false;
      expect([...object.relocateCore().keys()]).toEqual(['good_len']);
      if (unavailable === undefined) {
        object.load();
        expect(object.program('good_len').testRun({ data: new Uint8Array(64) }).retval).toBe(0);
      }
    }
    expect(openFdCount()).toBe(before);
  });

  it.skipIf(unavailable !== undefined || !requireTool('bpftool', 'bpftool', 'version'))(
    'refuses what libbpf refuses: the same object fails bpftool prog loadall, naming the relocation',
    () => {
      const bpffs = privateBpffs();
      try {
        const run = spawnSync(
          'bpftool',
          ['prog', 'loadall', fixture('bad_core_load_size').path, join(bpffs.dir, 'p')],
          {
            encoding: 'utf8',
          },
        );
        expect(run.status).not.toBe(0);
        expect(run.stderr).toMatch(
          /prog 'bad_load_size': relo #\d+: insn #0 \(LDX\/ST\/STX\) unexpected mem size: got 2, exp 8/,
        );
      } finally {
        bpffs.unmount();
      }
    },
  );
});
