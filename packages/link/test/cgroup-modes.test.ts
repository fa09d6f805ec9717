import { closeSync, mkdirSync, openSync, rmdirSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { duplicateFd, queryPrograms } from '@bpfkit/syscall';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { attachCgroup, CgroupAttachFlag, type Link } from '../src/index.js';
import { sh } from './veth-namespace.js';

const unavailable = bpfUnavailable();
/** `BPF_CGROUP_INET_EGRESS`. */
const CGROUP_INET_EGRESS = 1;
const legacy = true;

describe.skipIf(unavailable !== undefined)('cgroup programs attached with BPF_PROG_ATTACH, in each mode', () => {
  // Two copies of one fixture: two programs, each counting the packets it sees in its own .bss.
  let first: BpfObject;
  let second: BpfObject;
  let fdsBefore = 0;
  const parent = `/sys/fs/cgroup/unified/bpfkit-modes-${process.pid}`;
  const child = `${parent}/child`;
  const fd = (obj: BpfObject) => obj.program('count_cgroup').fd;
  const id = (obj: BpfObject) => obj.program('count_cgroup').info().id;
  const packets = (obj: BpfObject) => Number((obj.map('.bss').get(0) as { cgroup_packets: bigint }).cgroup_packets);
  /** Sends one UDP packet from a shell moved into `cgroup`, and says which programs counted it. */
  const counted = (cgroup: string) => {
    const before = [packets(first), packets(second)];
    sh('bash', '-c', `echo $$ > ${cgroup}/cgroup.procs && echo bpfkit > /dev/udp/127.0.0.1/9`);
    return [packets(first) > (before[0] as number), packets(second) > (before[1] as number)];
  };
  /** What BPF_PROG_QUERY reports at `cgroup`: the mode and the programs attached there. */
  const query = (cgroup: string) => {
    const dir = openSync(cgroup, 'r');
    try {
      const { ids, flags } = queryPrograms(dir, CGROUP_INET_EGRESS);
      return { ids, flags };
    } finally {
      closeSync(dir);
    }
  };
  let links: Link[] = [];

  beforeAll(() => {
    fdsBefore = openFdCount();
    first = BpfObject.open(fixture('attach').path);
    first.load();
    second = BpfObject.open(fixture('attach').path);
    second.load();
  });
  afterAll(() => {
    first.close();
    second.close();
    expect(openFdCount()).toBe(fdsBefore);
  });
  beforeEach(() => {
    mkdirSync(child, { recursive: true });
    links = [];
  });
  afterEach(() => {
    for (const link of links.reverse()) link.close();
    rmdirSync(child);
    rmdirSync(parent);
  });
  const attach = (obj: BpfObject, cgroup: string, options: Parameters<typeof attachCgroup>[3]) => {
    const link = attachCgroup(fd(obj), cgroup, CGROUP_INET_EGRESS, options);
    links.push(link);
    return link;
  };

  it('allowMulti: both programs run for the cgroup, listed in attach order; closing one leaves the other', () => {
    const a = attach(first, parent, { legacy, flags: CgroupAttachFlag.allowMulti });
    attach(second, parent, { legacy, flags: CgroupAttachFlag.allowMulti });
    expect(a.fd).toBe(-1);
    expect(query(parent)).toEqual({ ids: [id(first), id(second)], flags: CgroupAttachFlag.allowMulti });
    expect(counted(child)).toEqual([true, true]);
    a.close();
    expect(query(parent).ids).toEqual([id(second)]);
    expect(counted(child)).toEqual([false, true]);
  });

  it('replace: the program named is swapped in place, and its attachment then finds nothing to detach', () => {
    const replaced = attach(first, parent, { legacy, flags: CgroupAttachFlag.allowMulti });
    const replacing = attach(second, parent, { legacy, flags: CgroupAttachFlag.allowMulti, replace: fd(first) });
    expect(query(parent).ids).toEqual([id(second)]);
    expect(counted(parent)).toEqual([false, true]);
    replaced.close(); // ENOENT from the kernel: not an error
    expect(query(parent).ids).toEqual([id(second)]);
    replacing.close();
    expect(query(parent).ids).toEqual([]);
  });

  it('no flags: a descendant may not attach its own program; allowOverride lets it, and its program runs instead', () => {
    attach(first, parent, { legacy });
    const fds = openFdCount();
    expect(() => attach(second, child, { legacy })).toThrow(
      expect.objectContaining({
        code: 'kernel',
        context: expect.objectContaining({ kind: 'cgroup', path: child, errno: 'EPERM' }),
        hint: expect.stringContaining('allowOverride'),
      }),
    );
    expect(openFdCount()).toBe(fds);
    links.pop()?.close();
    attach(first, parent, { legacy, flags: CgroupAttachFlag.allowOverride });
    attach(second, child, { legacy });
    expect(query(parent)).toEqual({ ids: [id(first)], flags: CgroupAttachFlag.allowOverride });
    expect(counted(child)).toEqual([false, true]);
    expect(counted(parent)).toEqual([true, false]);
  });

  it('a mode differing from the one attached there is refused, leaving the first in place', () => {
    attach(first, parent, { legacy, flags: CgroupAttachFlag.allowMulti });
    expect(() => attach(second, parent, { legacy })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ errno: 'EPERM' }) }),
    );
    expect(query(parent)).toEqual({ ids: [id(first)], flags: CgroupAttachFlag.allowMulti });
  });

  it('detaches on close when the caller closed its program fd first, closing what it kept', () => {
    const fds = openFdCount();
    const callerFd = duplicateFd(fd(first), 'the caller’s program fd');
    const link = attachCgroup(callerFd.fd, parent, CGROUP_INET_EGRESS, { legacy, flags: CgroupAttachFlag.allowMulti });
    callerFd.close();
    expect(query(parent).ids).toEqual([id(first)]);
    link.close();
    expect(query(parent).ids).toEqual([]);
    expect(openFdCount()).toBe(fds);
  });

  it("the loader's program.attach() takes legacy and cgroupFlags; flags without legacy are refused", () => {
    links.push(
      first.program('count_cgroup').attach({ cgroup: parent, legacy, cgroupFlags: CgroupAttachFlag.allowMulti }),
    );
    expect(query(parent)).toEqual({ ids: [id(first)], flags: CgroupAttachFlag.allowMulti });
    expect(() => attachCgroup(fd(second), parent, CGROUP_INET_EGRESS, { flags: CgroupAttachFlag.allowMulti })).toThrow(
      expect.objectContaining({ code: 'needs-option', hint: expect.stringContaining('legacy: true') }),
    );
    expect(() => second.program('count_cgroup').attach({ cgroup: parent, cgroupFlags: 2 })).toThrow(
      expect.objectContaining({ code: 'needs-option', context: expect.objectContaining({ program: 'count_cgroup' }) }),
    );
  });
});
