import type { BtfComposite } from '@bpfkit/btf';
import { readKernelBtf } from '@bpfkit/btf/node';
import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

/** A `struct __sk_buff` for BPF_PROG_TEST_RUN with `mark` and `priority` set, at the running kernel's offsets. */
function skbContext(mark: number, priority: number): Uint8Array {
  const skb = readKernelBtf().byName('__sk_buff', 'struct') as BtfComposite;
  const offset = (field: string) => (skb.members.find((m) => m.name === field)?.bitOffset ?? 0) / 8;
  const ctx = new Uint8Array(offset('priority') + 4);
  const view = new DataView(ctx.buffer);
  view.setUint32(offset('mark'), mark, true);
  view.setUint32(offset('priority'), priority, true);
  return ctx;
}

describe.skipIf(unavailable !== undefined)('CO-RE over two program sections and a shared subprogram', () => {
  it('loads every program with its own fix-ups: each reads len, mark and priority where the kernel has them', () => {
    const before = openFdCount();
    {
      using object = BpfObject.open(fixture('core_sections').path);
      object.load();
      const run = (name: string) =>
        object.program(name).testRun({ data: new Uint8Array(64), ctx: skbContext(7, 5) }).retval;
      // The subprogram gives mark * 10 + priority = 75; len is the packet's 64 bytes.
      expect(run('len_first')).toBe(64 + 100 * 75);
      expect(run('mark_first')).toBe(7 + 1000 * 75);
      expect(run('priority_and_len')).toBe(5 * 2 + 64 * 1000 + 1000000 * 75);
    }
    expect(openFdCount()).toBe(before);
  });
});
