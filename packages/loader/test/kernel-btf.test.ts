import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { BtfBuilder, CoreReloKind, parseBtf } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject, runningKernelBtf, runningModuleBtfs } from '../src/index.js';

const vmlinux = '/sys/kernel/btf/vmlinux';

describe.skipIf(!existsSync(vmlinux))("the running kernel's BTF", () => {
  it('is mapped read-only rather than read, parsed once, and used by CO-RE objects', () => {
    const btf = runningKernelBtf();
    // The kernel allows mapping vmlinux BTF since 6.15; this machine's kernel is newer.
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(vmlinux);
    expect(btf.byName('task_struct', 'struct')?.kind).toBe('struct');
    expect(runningKernelBtf()).toBe(btf);
    using object = BpfObject.open(fixture('core').path);
    expect(object.relocateCore().get('core_values')?.fixups.length).toBeGreaterThan(0);
  });

  it('describes each CO-RE fix-up to a logger, as libbpf logs them', () => {
    const lines: string[] = [];
    using object = BpfObject.open(fixture('core').path, { logger: (line) => lines.push(line) });
    const fixups = [...object.relocateCore()].flatMap(([program, { fixups }]) =>
      fixups.map((f) => [program, f] as const),
    );
    expect(fixups.length).toBeGreaterThan(0);
    const described = lines.filter((line) => / insn #\d+: CO-RE /.test(line));
    expect(described).toEqual(
      fixups.map(([program, f]) => expect.stringContaining(`prog '${program}': insn #${f.insn}: CO-RE `)),
    );
  });

  it("includes every module's BTF, split on vmlinux", () => {
    const modules = runningModuleBtfs();
    expect(modules.map((m) => m.name)).toEqual(
      readdirSync('/sys/kernel/btf')
        .filter((name) => name !== 'vmlinux')
        .sort()
        .map((name) => `/sys/kernel/btf/${name}`),
    );
    for (const m of modules) expect(m.base).toBe(runningKernelBtf());
  });
});

describe('CO-RE targets given at open, used at load', () => {
  // A "vmlinux" without task_struct, and a module that has one with pid at byte 16.
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 });
  const kernelBtf = parseBtf(b.encode(), { name: 'vmlinux' });
  const m = new BtfBuilder(kernelBtf);
  m.add({
    kind: 'struct',
    name: 'task_struct',
    size: 24,
    bitfieldEncoding: false,
    members: [{ name: 'pid', type: int, bitOffset: 128, bitfieldSize: 0 }],
  });
  const moduleBtf = parseBtf(m.encode(), { base: kernelBtf, name: 'my_module' });
  const pidOffset = (object: BpfObject) =>
    object
      .relocateCore()
      .get('core_values')
      ?.fixups.find((f) => f.kind === CoreReloKind.FIELD_BYTE_OFFSET && /\.pid /.test(f.local));

  it('search the given module BTFs for what the given kernel BTF lacks', () => {
    using object = BpfObject.open(fixture('core').path, { kernelBtf, moduleBtfs: [moduleBtf] });
    expect(pidOffset(object)).toMatchObject({ newValue: 16n, target: expect.stringContaining('in module my_module') });
  });

  it('search no module with a kernel BTF given alone', () => {
    using object = BpfObject.open(fixture('core').path, { kernelBtf });
    expect(pidOffset(object)).toMatchObject({ poisoned: true });
  });
});
