import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount, privateBpffs } from '../../loader/test/kernel.js';
import {
  attachNetfilter,
  attachSkLookup,
  attachXdp,
  LinkError,
  NetfilterFamily,
  NetfilterHook,
  openPinnedLink,
} from '../src/index.js';

const unavailable = bpfUnavailable();
const id = process.pid % 100000;
const ns = `bpfkl${id}`;
const hostSide = `bpflh${id}`;
const nsSide = `bpfln${id}`;
const sh = (...args: string[]) => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

describe.skipIf(unavailable !== undefined)('network links and link operations, in a namespace we create', () => {
  let first: BpfObject;
  let second: BpfObject;
  let kinds: BpfObject;
  let fdsBefore = 0;
  const xdpPackets = (obj: BpfObject) => Number((obj.map('.bss').get(0) as Record<string, bigint>).xdp_packets);
  const hits = () => (kinds.map('.bss').get(0) as { hits: bigint[] }).hits.map(Number);
  /** Sends `count` UDP datagrams from the namespace to the host side of the veth. */
  const sendFromNamespace = (count: number) => {
    for (let i = 0; i < count; i++) sh('ip', 'netns', 'exec', ns, 'bash', '-c', 'echo bpfkit > /dev/udp/10.254.9.1/9');
  };

  beforeAll(() => {
    fdsBefore = openFdCount();
    sh('ip', 'netns', 'add', ns);
    sh('ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    sh('ip', 'link', 'set', nsSide, 'netns', ns);
    sh('ip', 'addr', 'add', '10.254.9.1/30', 'dev', hostSide);
    sh('ip', 'link', 'set', hostSide, 'up');
    sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', '10.254.9.2/30', 'dev', nsSide);
    sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    first = BpfObject.open(fixture('attach').path);
    first.load();
    second = BpfObject.open(fixture('attach').path);
    second.load();
    kinds = BpfObject.open(fixture('link_kinds').path);
    kinds.load();
  });
  afterAll(() => {
    first.close();
    second.close();
    kinds.close();
    sh('ip', 'link', 'del', hostSide);
    sh('ip', 'netns', 'del', ns);
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('an XDP link swaps its program (update), stops at detach, and closes', () => {
    using link = attachXdp(first.program('count_xdp').fd, hostSide);
    sendFromNamespace(2);
    expect(xdpPackets(first)).toBeGreaterThanOrEqual(2);
    expect(link.info()).toMatchObject({ type: 6, programId: first.program('count_xdp').info().id });
    link.update(second.program('count_xdp').fd);
    const before = xdpPackets(first);
    sendFromNamespace(2);
    expect(xdpPackets(first)).toBe(before);
    expect(xdpPackets(second)).toBeGreaterThanOrEqual(2);
    link.detach();
    const after = xdpPackets(second);
    sendFromNamespace(1);
    expect(xdpPackets(second)).toBe(after);
    expect(() => attachXdp(first.program('count_xdp').fd, 'nosuchdev0')).toThrow(
      expect.objectContaining({
        code: 'not-found',
        message: "xdp 'nosuchdev0': no network interface 'nosuchdev0' — ip link lists them",
      }),
    );
  });

  it('a pinned link outlives its fd and is reopened from the pin', () => {
    const bpffs = privateBpffs();
    try {
      const path = join(bpffs.dir, 'xdp_link');
      const link = attachXdp(first.program('count_xdp').fd, hostSide);
      const linkId = link.info().id;
      link.pin(path);
      link.close();
      const before = xdpPackets(first);
      sendFromNamespace(1);
      expect(xdpPackets(first)).toBeGreaterThan(before);
      const reopened = openPinnedLink(path);
      expect(reopened.info().id).toBe(linkId);
      rmSync(path);
      reopened.close();
      const after = xdpPackets(first);
      sendFromNamespace(1);
      expect(xdpPackets(first)).toBe(after);
    } finally {
      bpffs.unmount();
    }
    expect(() => openPinnedLink('/nonexistent/link')).toThrow(LinkError);
  });

  it('refuse to pin a link outside a bpffs or through a symbolic link, and to reopen one through a link', () => {
    const bpffs = privateBpffs();
    const plain = mkdtempSync(join(tmpdir(), 'bpfkit-not-bpffs-'));
    const link = attachXdp(first.program('count_xdp').fd, hostSide);
    try {
      expect(() => link.pin(join(plain, 'xdp_link'))).toThrow(
        expect.objectContaining({
          code: 'kernel',
          context: expect.objectContaining({ path: join(plain, 'xdp_link'), errno: 'EINVAL' }),
          message: expect.stringContaining(`is not on a bpf filesystem`),
        }),
      );
      expect(readdirSync(plain)).toEqual([]);
      // A link to the bpffs, as another user could plant on the way to a pin.
      const through = join(plain, 'bpffs');
      symlinkSync(bpffs.dir, through);
      expect(() => link.pin(join(through, 'xdp_link'))).toThrow(
        expect.objectContaining({ message: expect.stringContaining('is a symbolic link or not a directory') }),
      );
      expect(readdirSync(bpffs.dir)).not.toContain('xdp_link');
      // A pin name that is a link to the real pin: reopening it is refused, the real one opens.
      const real = join(bpffs.dir, 'xdp_link');
      link.pin(real);
      link.pin(real, { replace: true });
      symlinkSync(real, join(bpffs.dir, 'alias'));
      expect(() => openPinnedLink(join(bpffs.dir, 'alias'))).toThrow(
        expect.objectContaining({ context: expect.objectContaining({ errno: 'ELOOP' }) }),
      );
      const reopened = openPinnedLink(real);
      expect(reopened.info().id).toBe(link.info().id);
      reopened.close();
    } finally {
      link.close();
      rmSync(plain, { recursive: true });
      bpffs.unmount();
    }
  });

  it('an sk_lookup program runs for packets arriving in the namespace it is attached to', () => {
    kinds.map('.bss').set(0, { hits: Array(8).fill(0n) });
    using link = attachSkLookup(kinds.program('on_sk_lookup').fd, `/run/netns/${ns}`);
    sh('ip', 'netns', 'exec', ns, 'bash', '-c', 'echo bpfkit > /dev/udp/127.0.0.1/9');
    expect(hits()[0]).toBeGreaterThanOrEqual(1);
    expect(link.info().type).toBe(5 /* BPF_LINK_TYPE_NETNS */);
  });

  it('a netfilter program sees packets through its hook', () => {
    kinds.map('.bss').set(0, { hits: Array(8).fill(0n) });
    const link = attachNetfilter(kinds.program('on_netfilter').fd, {
      family: NetfilterFamily.IPV4,
      hook: NetfilterHook.LOCAL_IN,
      priority: -(100 + (id % 1000)),
    });
    sendFromNamespace(2);
    expect(link.info().type).toBe(10 /* BPF_LINK_TYPE_NETFILTER */);
    link.close();
    expect(hits()[1]).toBeGreaterThanOrEqual(2);
    const seen = hits()[1];
    sendFromNamespace(1);
    expect(hits()[1]).toBe(seen);
  });
});
