import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { mapReferencesOf, writeInstructions } from '@bpfkit/reloc';
import { btfInfo } from '@bpfkit/syscall';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError, ResourceScope } from '../src/index.js';
import { ModuleBtfFds } from '../src/module-btf-fds.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
/** A stand-in parsed BTF named like a kernel BTF file. */
const named = (name: string) => parseBtf(new BtfBuilder().encode(), { name: `/sys/kernel/btf/${name}` });

describe.skipIf(unavailable !== undefined)('module BTF fds for kfunc calls', () => {
  it("open the kernel's BTF object of that name once, at fd_array index 1 and up, closed with the load", () => {
    const before = openFdCount();
    const scope = new ResourceScope();
    const fds = new ModuleBtfFds(scope, 'test.o');
    // No module here carries BTF, but vmlinux's BTF object is found the same way, by name.
    const handle = fds.handle(named('vmlinux'));
    expect(handle.fdArrayIndex).toBe(1);
    expect(btfInfo(handle.fd)).toMatchObject({ kernel: true, name: 'vmlinux' });
    expect(fds.handle(named('vmlinux'))).toBe(handle);
    expect(fds.fdArrayPrefix).toEqual([0, handle.fd]);
    scope.closeAll();
    expect(openFdCount()).toBe(before);
  });

  it('name a module the kernel has no BTF object for, leaving nothing open', () => {
    const before = openFdCount();
    const scope = new ResourceScope();
    try {
      new ModuleBtfFds(scope, 'test.o').handle(named('bpfkit_no_such_module'));
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error) && error.context).toMatchObject({ object: 'test.o', target: 'bpfkit_no_such_module' });
      expect((error as Error).message).toContain("module 'bpfkit_no_such_module' has no BTF object in the kernel");
    }
    scope.closeAll();
    expect(openFdCount()).toBe(before);
  });

  it('come before map indexes in fd_array mode', () => {
    const object = BpfObject.open(fixture('map_in_map').path);
    object.load();
    try {
      const plan = object.programs[0];
      if (plan === undefined) throw new Error('no program');
      const patched = writeInstructions(plan.instructions, (name) => object.map(name).fd, {
        mode: 'fd-array',
        fdArrayPrefix: [0, 99],
      });
      expect(patched.fdArray.slice(0, 2)).toEqual([0, 99]);
      const indexes = mapReferencesOf(plan.instructions).map(
        (r) => (patched.instructions[r.insn] as { imm: number }).imm,
      );
      expect(Math.min(...indexes)).toBe(2);
    } finally {
      object.close();
    }
  });
});
