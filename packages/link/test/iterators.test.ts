import { closeSync, mkdirSync, openSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { attachIterator, CgroupIterOrder } from '../src/index.js';

const unavailable = bpfUnavailable();

/** The u64s an iterator wrote, as numbers. */
const u64s = (bytes: Uint8Array) =>
  Array.from(new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8), Number);

// Map iterators (iter/bpf_map_elem) are refused at load on this kernel, libbpf's too: fixture
// iter_map_elem's BPF_PROG_LOAD is compared with libbpf's instead (loader's load-attributes.test.ts).
describe.skipIf(unavailable !== undefined)('iterators given a cgroup or a process when attached', () => {
  let obj: BpfObject;
  let tasks: BpfObject;
  let fdsBefore = 0;
  const root = `/sys/fs/cgroup/unified/bpfkit-iter-${process.pid}`;
  const children = [`${root}/a`, `${root}/b`];
  /** A cgroup's id, as the kernel gives it to BPF programs: its directory's inode number. */
  const cgroupId = (dir: string) => statSync(dir).ino;

  beforeAll(() => {
    fdsBefore = openFdCount();
    obj = BpfObject.open(fixture('link_iterators').path);
    obj.load();
    tasks = BpfObject.open(fixture('link_kinds').path);
    tasks.load();
    for (const dir of children) mkdirSync(dir, { recursive: true });
  });
  afterAll(() => {
    for (const dir of [...children, root]) rmdirSync(dir);
    obj.close();
    tasks.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('a cgroup iterator walks from the cgroup it was given, in the order asked', () => {
    const dir = openSync(root, 'r');
    const child = openSync(children[0] as string, 'r');
    try {
      const walk = (cgroup: number, order: number) => {
        using link = attachIterator(obj.program('walk_cgroups').fd, { cgroup, order });
        return u64s(link.read());
      };
      const [a, b] = children.map(cgroupId) as [number, number];
      const parent = cgroupId(root);
      expect(walk(dir, CgroupIterOrder.SELF_ONLY)).toEqual([parent]);
      const visitsBefore = Number((obj.map('.bss').get(0) as { visits: bigint }).visits);
      const pre = walk(dir, CgroupIterOrder.DESCENDANTS_PRE);
      expect(Number((obj.map('.bss').get(0) as { visits: bigint }).visits)).toBe(visitsBefore + 3);
      expect(pre[0]).toBe(parent);
      expect(pre.slice(1).sort()).toEqual([a, b].sort());
      const post = walk(dir, CgroupIterOrder.DESCENDANTS_POST);
      expect(post.at(-1)).toBe(parent);
      expect(post.slice(0, -1).sort()).toEqual([a, b].sort());
      // Up from a child: the child, its parent, then the hierarchy's root (/sys/fs/cgroup/unified).
      expect(walk(child, CgroupIterOrder.ANCESTORS_UP)).toEqual([a, parent, cgroupId('/sys/fs/cgroup/unified')]);
    } finally {
      closeSync(child);
      closeSync(dir);
    }
  });

  it('a task iterator given a pid walks that process’s threads only', () => {
    const threads = readdirSync(`/proc/${process.pid}/task`).length;
    using link = attachIterator(tasks.program('walk_tasks').fd, { pid: process.pid });
    expect(link.read().length / 4).toBe(threads);
  });
});
