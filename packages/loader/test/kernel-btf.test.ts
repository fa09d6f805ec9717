import { existsSync, readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject, runningKernelBtf } from '../src/index.js';

const vmlinux = '/sys/kernel/btf/vmlinux';

describe.skipIf(!existsSync(vmlinux))("the running kernel's BTF", () => {
  it('is mapped read-only rather than read, parsed once, and used by CO-RE objects', () => {
    const btf = runningKernelBtf();
    // The kernel allows mapping vmlinux BTF since 6.15; this machine's kernel is newer.
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(vmlinux);
    expect(btf.byName('task_struct', 'struct')?.kind).toBe('struct');
    expect(runningKernelBtf()).toBe(btf);
    using object = BpfObject.open(fixture('core').path);
    expect(object.programs.some((p) => p.core.length > 0)).toBe(true);
  });
});
