import { mkdirSync, rmdirSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { sh } from './veth-namespace.js';

const unavailable = bpfUnavailable();

/** Run in the cgroup: each line reaches one attach point or more (the comments name them). */
const workload = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)              # sock_create
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)           # setsockopt
s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)              # getsockopt
s.bind(("127.0.0.1", 0))                                          # bind4, post_bind4
me = s.getsockname()                                              # getsockname4
s.sendto(b"bpfkit", me)                                           # sendmsg4, and skb ingress to itself
s.recvfrom(16)                                                    # recvmsg4
s.connect(me)                                                     # connect4
s.getpeername()                                                   # getpeername4
s.close()                                                         # sock_release
open("/proc/sys/kernel/ostype").read()                            # sysctl
open("/dev/null", "w").close()                                    # device
`;

describe.skipIf(unavailable !== undefined)('every cgroup attach point, attached by section name to a cgroup', () => {
  let obj: BpfObject;
  let fdsBefore = 0;
  const cgroup = `/sys/fs/cgroup/unified/bpfkit-kinds-${process.pid}`;

  beforeAll(() => {
    fdsBefore = openFdCount();
    mkdirSync(cgroup);
    obj = BpfObject.open(fixture('cgroup_kinds').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    rmdirSync(cgroup);
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('each program runs for what a process of the cgroup does, through a cgroup link, until closed', () => {
    const counters = () => obj.map('.bss').get(0) as Record<string, bigint>;
    const links = obj.programs.map((plan) => obj.program(plan.name).attach({ cgroup }));
    const run = () => sh('bash', '-c', `echo $$ > ${cgroup}/cgroup.procs && exec python3 -c '${workload}'`);
    try {
      expect(new Set(links.map((link) => link.info().type))).toEqual(new Set([3 /* BPF_LINK_TYPE_CGROUP */]));
      run();
      const seen = counters();
      expect(Object.entries(seen).filter(([, count]) => count === 0n)).toEqual([]);
      expect(Object.keys(seen)).toHaveLength(obj.programs.length);
    } finally {
      for (const link of links) link.close();
    }
    const after = counters();
    run();
    expect(counters()).toEqual(after);
  });
});
