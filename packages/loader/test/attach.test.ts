import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, rmdirSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LinkError } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
const id = process.pid % 100000;
const ns = `bpfkit${id}`;
const hostSide = `bpfh${id}`;
const nsSide = `bpfn${id}`;
const sh = (...args: string[]) => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

describe.skipIf(unavailable !== undefined)('attach()', () => {
  let obj: BpfObject;
  let fdsBefore = 0;
  const counter = (name: string) => Number((obj.map('.bss').get(0) as Record<string, bigint>)[name]);

  beforeAll(() => {
    fdsBefore = openFdCount();
    // Our own test host: a network namespace behind a veth pair, addresses only it uses.
    sh('ip', 'netns', 'add', ns);
    sh('ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    sh('ip', 'link', 'set', nsSide, 'netns', ns);
    sh('ip', 'addr', 'add', '10.254.7.1/30', 'dev', hostSide);
    sh('ip', 'link', 'set', hostSide, 'up');
    sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', '10.254.7.2/30', 'dev', nsSide);
    sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    obj = BpfObject.open(fixture('attach').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    sh('ip', 'link', 'del', hostSide);
    sh('ip', 'netns', 'del', ns);
    expect(openFdCount()).toBe(fdsBefore);
  });

  /** Sends `count` UDP datagrams from the namespace to the host side of the veth. */
  const sendFromNamespace = (count: number) => {
    for (let i = 0; i < count; i++) sh('ip', 'netns', 'exec', ns, 'bash', '-c', 'echo bpfkit > /dev/udp/10.254.7.1/9');
  };

  it('a raw tracepoint from raw_tp/<name>, detached on close', () => {
    const link = obj.program('count_raw_tp').attach();
    expect(link.info().type).toBe(1);
    const before = counter('raw_tp_hits');
    for (let i = 0; i < 5; i++) process.kill(process.pid, 0);
    expect(counter('raw_tp_hits')).toBeGreaterThanOrEqual(before + 5);
    link.close();
    link.close();
    const after = counter('raw_tp_hits');
    for (let i = 0; i < 5; i++) process.kill(process.pid, 0);
    expect(counter('raw_tp_hits')).toBe(after);
  });

  it('a tracepoint from tracepoint/<category>/<name>', () => {
    using link = obj.program('count_kill').attach();
    const before = counter('tracepoint_hits');
    for (let i = 0; i < 4; i++) process.kill(process.pid, 0);
    expect(counter('tracepoint_hits')).toBeGreaterThanOrEqual(before + 4);
    expect(link.kind).toBe('tracepoint');
  });

  it('a uprobe from uprobe/<path>:<function>', async () => {
    const { default: koffi } = await import('koffi');
    const getppid = koffi.load('libc.so.6').func('int getppid()');
    using link = obj.program('count_getppid').attach({ pid: process.pid });
    for (let i = 0; i < 6; i++) getppid();
    expect(counter('uprobe_hits')).toBe(6);
    expect(link.kind).toBe('uprobe');
  });

  it('XDP and tcx on a veth, counting packets from another namespace', () => {
    using xdp = obj.program('count_xdp').attach({ interface: hostSide });
    using tc = obj.program('count_tc').attach({ interface: hostSide });
    sendFromNamespace(3);
    expect(counter('xdp_packets')).toBeGreaterThanOrEqual(3);
    expect(counter('tc_packets')).toBeGreaterThanOrEqual(3);
    expect([xdp.info().type, tc.info().type]).toEqual([6, 11]);
  });

  it('a cgroup program on a cgroup directory', () => {
    const dir = `/sys/fs/cgroup/unified/bpfkit-attach-${process.pid}`;
    mkdirSync(dir);
    try {
      using link = obj.program('count_cgroup').attach({ cgroup: dir });
      expect(link.info().type).toBe(3);
      // Move a short-lived shell into the cgroup and send from it.
      sh('bash', '-c', `echo $$ > ${dir}/cgroup.procs && echo bpfkit > /dev/udp/127.0.0.1/9`);
      expect(counter('cgroup_packets')).toBeGreaterThanOrEqual(1);
    } finally {
      rmdirSync(dir);
    }
  });

  it('a socket filter on a Node UDP socket', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    using link = obj.program('count_socket').attach({ socket: fd });
    const received = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const sender = createSocket('udp4');
    sender.send('bpfkit', socket.address().port, '127.0.0.1');
    await received;
    sender.close();
    socket.close();
    expect(counter('socket_packets')).toBe(1);
    expect(link.kind).toBe('socket');
  });

  it('says what an attachment needs', () => {
    expect(() => obj.program('count_xdp').attach()).toThrow(/needs an interface: attach\(\{ interface: 'eth0' \}\)/);
    try {
      obj.program('count_cgroup').attach();
      expect.unreachable();
    } catch (error) {
      expect(LinkError.is(error) && error.code).toBe('needs-option');
      expect(LinkError.is(error) && error.context).toMatchObject({ program: 'count_cgroup' });
    }
  });

  it('attachAll() attaches what the section names say, leaving those needing options', () => {
    const before = ['raw_tp_hits', 'tracepoint_hits', 'uprobe_hits'].map(counter);
    const links = obj.attachAll();
    expect(links.map((l) => l.kind).sort()).toEqual(['raw_tp', 'tracepoint', 'uprobe']);
    process.kill(process.pid, 0);
    expect(counter('raw_tp_hits')).toBeGreaterThan(before[0] as number);
    expect(counter('tracepoint_hits')).toBeGreaterThan(before[1] as number);
    for (const link of links) link.close();
  });

  it('reads and writes global data as plain values', () => {
    obj.map('.bss').set(0, { raw_tp_hits: 41n });
    expect((obj.map('.bss').get(0) as Record<string, bigint>).raw_tp_hits).toBe(41n);
  });
});
