import { createSocket } from 'node:dgram';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { queryPrograms } from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  attachTc,
  attachXdp,
  attachXdpNetlink,
  createTcHook,
  destroyTcHook,
  detachTc,
  detachXdpNetlink,
  LinkError,
  queryTc,
  queryXdp,
  SockmapAttachType,
  TcLink,
  XdpAttached,
  XdpMode,
} from '../src/index.js';
import { createVethNamespace, type VethNamespace } from './veth-namespace.js';

const unavailable = bpfUnavailable();

describe.skipIf(unavailable !== undefined)('XDP and tc through rtnetlink, on a veth into a namespace we create', () => {
  let net: VethNamespace;
  let hostSide = '';
  let obj: BpfObject;
  let fdsBefore = 0;
  const counter = (name: string) => Number((obj.map('.bss').get(0) as Record<string, bigint>)[name]);
  const programId = (name: string) => obj.program(name).info().id;
  const sendFromNamespace = (count: number, port?: number) => net.sendFromNamespace(count, port);

  beforeAll(() => {
    fdsBefore = openFdCount();
    net = createVethNamespace('bpfnl', 11);
    hostSide = net.hostSide;
    obj = BpfObject.open(fixture('link_net').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    net.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('XDP through netlink in generic mode: attached, queried, refused twice, replaced, detached on close', () => {
    const link = attachXdpNetlink(obj.program('xdp_first').fd, hostSide, { mode: XdpMode.SKB });
    expect(queryXdp(hostSide)).toEqual({
      attached: XdpAttached.SKB,
      programId: programId('xdp_first'),
      driverProgramId: 0,
      skbProgramId: programId('xdp_first'),
      hardwareProgramId: 0,
    });
    sendFromNamespace(2);
    expect(counter('xdp_first_packets')).toBeGreaterThanOrEqual(2);
    // A second program without replace: EBUSY, with what to do.
    expect(() => attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { mode: XdpMode.SKB })).toThrow(
      expect.objectContaining({
        code: 'kernel',
        context: expect.objectContaining({ kind: 'xdp (netlink)', target: hostSide, errno: 'EBUSY' }),
        hint: expect.stringContaining('pass replace: true'),
        message: expect.stringContaining("the kernel says 'XDP program already attached'"),
      }),
    );
    // Replacing a program that is not the expected one: EEXIST.
    expect(() =>
      attachXdpNetlink(obj.program('xdp_second').fd, hostSide, {
        mode: XdpMode.SKB,
        expectedProgramFd: obj.program('xdp_second').fd,
      }),
    ).toThrow(expect.objectContaining({ context: expect.objectContaining({ errno: 'EEXIST' }) }));
    // Replacing the expected one works; closing the first attachment then leaves the second alone.
    const second = attachXdpNetlink(obj.program('xdp_second').fd, hostSide, {
      mode: XdpMode.SKB,
      expectedProgramFd: obj.program('xdp_first').fd,
    });
    link.close();
    expect(queryXdp(hostSide).skbProgramId).toBe(programId('xdp_second'));
    const before = counter('xdp_first_packets');
    sendFromNamespace(2);
    expect(counter('xdp_first_packets')).toBe(before);
    expect(counter('xdp_second_packets')).toBeGreaterThanOrEqual(2);
    second.close();
    second.close();
    expect(queryXdp(hostSide)).toMatchObject({ attached: XdpAttached.NONE, programId: 0, skbProgramId: 0 });
  });

  it('XDP through netlink in native mode, replaced without asking, detached by detachXdpNetlink', () => {
    using link = attachXdpNetlink(obj.program('xdp_first').fd, hostSide, { mode: XdpMode.DRIVER });
    expect(queryXdp(hostSide)).toMatchObject({
      attached: XdpAttached.DRIVER,
      driverProgramId: programId('xdp_first'),
    });
    // Generic mode while a native program runs: refused, with the kernel's reason.
    expect(() => attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { mode: XdpMode.SKB })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ errno: 'EEXIST' }) }),
    );
    attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { mode: XdpMode.DRIVER, replace: true }).close();
    // The close above found its own program still attached and detached it.
    expect(queryXdp(hostSide).attached).toBe(XdpAttached.NONE);
    using again = attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { mode: XdpMode.DRIVER, replace: true });
    detachXdpNetlink(hostSide, { mode: XdpMode.DRIVER, expectedProgramFd: obj.program('xdp_second').fd });
    expect(queryXdp(hostSide).attached).toBe(XdpAttached.NONE);
    // The closes at the end of this block find nothing of their own and do nothing.
    expect([link.fd, again.fd]).toEqual([-1, -1]);
  });

  it('XDP through netlink is refused while an XDP link holds the interface, and in hardware mode on a veth', () => {
    using xdpLink = attachXdp(obj.program('xdp_first').fd, hostSide);
    expect(queryXdp(hostSide).programId).toBe(programId('xdp_first'));
    expect(() => attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { replace: true })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ errno: 'EBUSY' }) }),
    );
    xdpLink.close();
    expect(() => attachXdpNetlink(obj.program('xdp_second').fd, hostSide, { mode: XdpMode.HARDWARE })).toThrow(
      expect.objectContaining({
        code: 'kernel',
        message: `xdp (netlink) '${hostSide}': attach through netlink: EINVAL — the program is not an XDP program, the mode flags conflict (give one mode), or the driver refused the mode (hardware mode needs an offloading NIC and a program loaded for it)`,
      }),
    );
    expect(() => queryXdp('nosuchdev0')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  /** Whether a datagram sent from the namespace to the host's UDP port 7 arrives (within a second). */
  const port7Arrives = async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(7, '10.254.11.1', resolve));
    try {
      const arrived = new Promise<boolean>((resolve) => {
        socket.once('message', () => resolve(true));
        setTimeout(() => resolve(false), 1000);
      });
      sendFromNamespace(1, 7);
      return await arrived;
    } finally {
      socket.close();
    }
  };

  it('a tc filter through netlink: clsact added, direct action obeyed, queried, deleted on close', async () => {
    expect(await port7Arrives()).toBe(true);
    const link = attachTc(obj.program('tc_count').fd, hostSide, { direction: 'ingress' });
    expect(link.place.handle).toBeGreaterThan(0);
    expect(link.place.priority).toBeGreaterThan(0);
    expect(queryTc(hostSide, link.place)).toEqual({
      handle: link.place.handle,
      priority: link.place.priority,
      programId: programId('tc_count'),
    });
    sendFromNamespace(2);
    expect(counter('tc_packets')).toBeGreaterThanOrEqual(2);
    // TC_ACT_SHOT is obeyed only in direct-action mode.
    expect(await port7Arrives()).toBe(false);
    expect(counter('tc_dropped')).toBeGreaterThanOrEqual(1);
    link.close();
    expect(() => queryTc(hostSide, link.place)).toThrow(
      expect.objectContaining({
        context: expect.objectContaining({ errno: 'EINVAL' }),
        message: expect.stringContaining("the kernel says 'Cannot find specified filter chain'"),
        hint: expect.stringContaining('no filter at this priority'),
      }),
    );
    expect(() => queryTc(hostSide, { ...link.place, handle: link.place.handle + 1 })).toThrow(LinkError);
    expect(await port7Arrives()).toBe(true);
  });

  it('a tc filter at a given handle and priority: refused twice, replaced, detached, and its hook destroyed', () => {
    const place = { direction: 'egress', handle: 5, priority: 3 } as const;
    const link = attachTc(obj.program('tc_count').fd, hostSide, place);
    try {
      expect(link.place).toEqual(place);
      expect(() => attachTc(obj.program('tc_count').fd, hostSide, place)).toThrow(
        expect.objectContaining({
          code: 'kernel',
          context: expect.objectContaining({ kind: 'tc/egress (netlink)', errno: 'EEXIST' }),
          hint: expect.stringContaining('pass replace: true'),
        }),
      );
      using replaced = attachTc(obj.program('tc_count').fd, hostSide, { ...place, replace: true });
      expect(queryTc(hostSide, replaced.place).programId).toBe(programId('tc_count'));
      expect(() => queryTc(hostSide, { direction: 'egress', handle: 5 })).toThrow(
        expect.objectContaining({ code: 'needs-option' }),
      );
      // Another filter at the same priority keeps the chain: the missing handle is then ENOENT.
      using other = attachTc(obj.program('tc_count').fd, hostSide, { ...place, handle: 6 });
      detachTc(hostSide, place);
      expect(() => detachTc(hostSide, place)).toThrow(
        expect.objectContaining({ code: 'not-found', context: expect.objectContaining({ errno: 'ENOENT' }) }),
      );
      expect(queryTc(hostSide, other.place).handle).toBe(6);
    } finally {
      link.close();
    }
    expect(createTcHook(hostSide)).toBe(false);
    destroyTcHook(hostSide);
    expect(() => destroyTcHook(hostSide)).toThrow(
      expect.objectContaining({
        context: expect.objectContaining({ errno: 'EINVAL' }),
        hint: expect.stringContaining('no clsact qdisc'),
      }),
    );
    expect(createTcHook(hostSide)).toBe(true);
    destroyTcHook(hostSide);
  });

  it('program.attach() reaches netlink XDP, plain tc, sockmap (link and legacy) and netns kinds by section name, and says what each needs', () => {
    using xdp = obj.program('xdp_first').attach({ interface: hostSide, netlink: true, xdpMode: XdpMode.SKB });
    expect([xdp.kind, queryXdp(hostSide).skbProgramId]).toEqual(['xdp (netlink)', programId('xdp_first')]);
    using tc = obj.program('tc_count').attach({ interface: hostSide, direction: 'egress' });
    expect(tc).toBeInstanceOf(TcLink);
    expect(queryTc(hostSide, (tc as TcLink).place).programId).toBe(programId('tc_count'));
    using sockmap = obj.program('msg_verdict').attach({ map: obj.map('sockets').fd });
    expect(sockmap.info().type).toBe(14 /* BPF_LINK_TYPE_SOCKMAP */);
    const hash = obj.map('socket_hash').fd;
    const legacy = obj.program('stream_verdict').attach({ map: hash, legacy: true });
    expect(legacy.fd).toBe(-1);
    expect(queryPrograms(hash, SockmapAttachType.streamVerdict).ids).toEqual([programId('stream_verdict')]);
    legacy.close();
    expect(queryPrograms(hash, SockmapAttachType.streamVerdict).ids).toEqual([]);
    using dissector = obj.program('flow_count').attach({ netns: `/run/netns/${net.ns}` });
    expect(dissector.info().type).toBe(5 /* BPF_LINK_TYPE_NETNS */);
    expect(() => obj.program('tc_count').attach({ interface: hostSide })).toThrow(
      expect.objectContaining({ code: 'needs-option', message: expect.stringContaining("direction: 'ingress'") }),
    );
    expect(() => obj.program('stream_verdict').attach()).toThrow(expect.objectContaining({ code: 'needs-option' }));
    expect(() => obj.program('flow_count').attach()).toThrow(expect.objectContaining({ code: 'needs-option' }));
    expect(() => obj.program('netkit_peer').attach({ interface: hostSide })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ kind: 'netkit/peer', errno: 'EINVAL' }) }),
    );
    destroyTcHook(hostSide);
  });
});
