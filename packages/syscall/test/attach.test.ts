import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { readKernelBtf } from '@bpfkit/btf/node';
import { openElfFileSync } from '@bpfkit/elf/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachProgram,
  btfInfo,
  createIterator,
  createLink,
  createMap,
  detachLink,
  detachProgram,
  enableStats,
  type Fd,
  linkInfo,
  loadBtf,
  loadProgram,
  mapLayout,
  mapLookup,
  mapMemory,
  openPerfEvent,
  openRawTracepoint,
  PerfType,
  probePmu,
  programInfo,
  queryPrograms,
  readIterator,
  testRun,
  tracepointId,
  updateLink,
} from '../src/index.js';
import { assemble, bpfUnavailable, openFdCount, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
const PROG = {
  SCHED_CLS: 3,
  TRACEPOINT: 5,
  XDP: 6,
  CGROUP_SKB: 8,
  KPROBE: 2,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
} as const;
const ATTACH = { CGROUP_INET_EGRESS: 1, TRACE_ITER: 28, XDP: 37, PERF_EVENT: 41, TCX_INGRESS: 46 } as const;
const LINK_TYPE = { RAW_TRACEPOINT: 1, CGROUP: 3, PERF_EVENT: 7, XDP: 6, TCX: 11 } as const;

const opened: Fd[] = [];
const own = <T extends Fd>(fd: T): T => {
  opened.push(fd);
  return fd;
};

/** A program that adds 1 to the u64 at key 0 of `counterFd`, then returns `ret`. */
function counterProgram(type: number, counterFd: number, ret = 0): Fd {
  const program = loadProgram({
    name: 'counter',
    type,
    license: 'GPL',
    instructions: assemble(
      [0x62, 10, 0, -4, 0], // *(u32 *)(r10 - 4) = 0
      [0xbf, 2, 10, 0, 0], // r2 = r10
      [0x07, 2, 0, 0, -4], // r2 += -4
      [0x18, 1, 1, 0, counterFd], // r1 = map ll
      [0, 0, 0, 0, 0],
      [0x85, 0, 0, 0, 1], // call bpf_map_lookup_elem
      [0x15, 0, 0, 2, 0], // if r0 == 0 goto +2
      [0xb7, 1, 0, 0, 1], // r1 = 1
      [0xdb, 0, 1, 0, 0], // lock *(u64 *)(r0 + 0) += r1
      [0xb7, 0, 0, 0, ret], // r0 = ret
      [0x95, 0, 0, 0, 0], // exit
    ),
  });
  return own(program.fd);
}

function counter(): { map: Fd; read: () => bigint } {
  const map = own(createMap({ name: 'hits', type: 2, keySize: 4, valueSize: 8, maxEntries: 1 }));
  return {
    map,
    read: () => new DataView((mapLookup(map.fd, u32(0), mapLayout(map.fd)) as Uint8Array).buffer).getBigUint64(0, true),
  };
}

const returns = (type: number, value: number) =>
  own(loadProgram({ type, license: 'GPL', instructions: assemble([0xb7, 0, 0, 0, value], [0x95, 0, 0, 0, 0]) }).fd);

function ensureTracefs(): void {
  if (!existsSync('/sys/kernel/tracing/events'))
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
}

describe.skipIf(unavailable !== undefined)('attaching programs', () => {
  let fdsBefore = 0;
  const veth = `bpfk${process.pid % 100000}`;
  let ifindex = 0;
  beforeAll(() => {
    fdsBefore = openFdCount();
    execFileSync('ip', ['link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
    execFileSync('ip', ['link', 'set', `${veth}a`, 'up']);
    ifindex = Number(readFileSync(`/sys/class/net/${veth}a/ifindex`, 'utf8'));
  });
  afterAll(() => {
    execFileSync('ip', ['link', 'del', `${veth}a`]);
    for (const fd of opened) fd.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('a raw tracepoint counts syscalls until its fd closes', () => {
    const hits = counter();
    const attachment = openRawTracepoint(counterProgram(PROG.RAW_TRACEPOINT, hits.map.fd).fd, 'sys_enter');
    expect(linkInfo(attachment.fd).type).toBe(LINK_TYPE.RAW_TRACEPOINT);
    for (let i = 0; i < 10; i++) process.kill(process.pid, 0);
    expect(hits.read()).toBeGreaterThanOrEqual(10n);
    attachment.close();
    const after = hits.read();
    for (let i = 0; i < 10; i++) process.kill(process.pid, 0);
    expect(hits.read()).toBe(after);
  });

  it('a tracepoint program attaches to a perf event through a link', () => {
    ensureTracefs();
    const hits = counter();
    const event = own(
      openPerfEvent({
        type: PerfType.TRACEPOINT,
        config: tracepointId('syscalls', 'sys_enter_kill'),
        pid: process.pid,
        cpu: -1,
      }),
    );
    const link = own(
      createLink({
        programFd: counterProgram(PROG.TRACEPOINT, hits.map.fd).fd,
        target: event.fd,
        attachType: ATTACH.PERF_EVENT,
      }),
    );
    expect(linkInfo(link.fd).type).toBe(LINK_TYPE.PERF_EVENT);
    for (let i = 0; i < 5; i++) process.kill(process.pid, 0);
    expect(hits.read()).toBe(5n);
  });

  it('a uprobe on a libc function counts its calls', async () => {
    const { default: koffi } = await import('koffi');
    const libcPath = '/lib/x86_64-linux-gnu/libc.so.6';
    const libc = openElfFileSync(libcPath);
    const symbol = libc.dynamicSymbols.find((s) => s.name === 'getppid');
    expect(symbol).toBeDefined();
    const hits = counter();
    const path = new Uint8Array(new ArrayBuffer(libcPath.length + 1));
    path.set(new TextEncoder().encode(libcPath));
    const { type } = probePmu('uprobe');
    const event = own(
      openPerfEvent({
        type,
        config: 0,
        config1: path,
        config2: BigInt(libc.fileOffsetOf(symbol as never)),
        pid: process.pid,
        cpu: -1,
      }),
    );
    own(
      createLink({
        programFd: counterProgram(PROG.KPROBE, hits.map.fd).fd,
        target: event.fd,
        attachType: ATTACH.PERF_EVENT,
      }),
    );
    const getppid = koffi.load('libc.so.6').func('int getppid()');
    for (let i = 0; i < 7; i++) getppid();
    expect(hits.read()).toBe(7n);
  });

  it('an XDP link attaches to a veth and swaps its program', () => {
    const pass = returns(PROG.XDP, 2);
    const drop = returns(PROG.XDP, 1);
    const link = own(createLink({ programFd: pass.fd, target: ifindex, attachType: ATTACH.XDP }));
    const info = linkInfo(link.fd);
    expect(info).toMatchObject({ type: LINK_TYPE.XDP, programId: programInfo(pass.fd).id });
    expect(execFileSync('ip', ['link', 'show', `${veth}a`], { encoding: 'utf8' })).toMatch(/xdp/);
    updateLink(link.fd, drop.fd, pass.fd);
    expect(linkInfo(link.fd).programId).toBe(programInfo(drop.fd).id);
    expect(() => updateLink(link.fd, pass.fd, pass.fd)).toThrow(expect.objectContaining({ errnoName: 'EPERM' }));
    detachLink(link.fd);
    expect(execFileSync('ip', ['link', 'show', `${veth}a`], { encoding: 'utf8' })).not.toMatch(/xdp/);
  });

  it('a tcx link attaches at ingress and shows in a query', () => {
    const program = returns(PROG.SCHED_CLS, 0);
    const link = own(createLink({ programFd: program.fd, target: ifindex, attachType: ATTACH.TCX_INGRESS }));
    expect(linkInfo(link.fd).type).toBe(LINK_TYPE.TCX);
    const query = queryPrograms(ifindex, ATTACH.TCX_INGRESS);
    expect(query.ids).toEqual([programInfo(program.fd).id]);
    // The kernel stores the revision at byte 56 whatever attr size is passed; it must land in our attr.
    expect(query.revision).toBeGreaterThan(0n);
  });

  it('cgroup programs attach by link and by the older attach API', () => {
    const dir = `/sys/fs/cgroup/unified/bpfkit-${process.pid}`;
    mkdirSync(dir);
    const cgroup = openSync(dir, 'r');
    try {
      const program = returns(PROG.CGROUP_SKB, 1);
      const link = own(createLink({ programFd: program.fd, target: cgroup, attachType: ATTACH.CGROUP_INET_EGRESS }));
      expect(linkInfo(link.fd).type).toBe(LINK_TYPE.CGROUP);
      expect(queryPrograms(cgroup, ATTACH.CGROUP_INET_EGRESS).ids).toEqual([programInfo(program.fd).id]);
      link.close();
      attachProgram({ targetFd: cgroup, programFd: program.fd, attachType: ATTACH.CGROUP_INET_EGRESS });
      expect(queryPrograms(cgroup, ATTACH.CGROUP_INET_EGRESS).ids).toEqual([programInfo(program.fd).id]);
      detachProgram(cgroup, program.fd, ATTACH.CGROUP_INET_EGRESS);
      expect(queryPrograms(cgroup, ATTACH.CGROUP_INET_EGRESS).ids).toEqual([]);
    } finally {
      closeSync(cgroup);
      rmdirSync(dir);
    }
  });

  it('run-time statistics count runs while enabled, and only then', () => {
    const program = returns(PROG.XDP, 2);
    const stats = enableStats();
    try {
      testRun(program.fd, { data: new Uint8Array(64), repeat: 100 });
      const info = programInfo(program.fd);
      expect(info.runCount).toBe(100n);
      expect(info.runTimeNs).toBeGreaterThan(0n);
    } finally {
      stats.close();
    }
    testRun(program.fd, { data: new Uint8Array(64), repeat: 100 });
    expect(programInfo(program.fd).runCount).toBe(100n);
  });

  it('an mmapable array map is shared memory', () => {
    const map = own(createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0x400 }));
    const mapping = mapMemory(map.fd, 32);
    new DataView(mapping.bytes.buffer, mapping.bytes.byteOffset).setBigUint64(16, 0xfeedn, true);
    expect(
      new DataView((mapLookup(map.fd, u32(2), mapLayout(map.fd)) as Uint8Array).buffer).getBigUint64(0, true),
    ).toBe(0xfeedn);
    mapping.unmap();
    mapping.unmap();
  });

  it('reports BTF object info', () => {
    const blob = new Uint8Array([
      0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0,
      0, 32, 0, 0, 1, 0, 105, 110, 116, 0,
    ]);
    const fd = own(loadBtf(blob, 'tiny'));
    expect(btfInfo(fd.fd)).toMatchObject({ size: blob.length, kernel: false });
    expect(btfInfo(fd.fd).id).toBeGreaterThan(0);
  });

  it('an iterator over maps runs its TRACING program once per map and once at the end, and reads what it wrote', () => {
    const btf = readKernelBtf();
    const target = btf.byName('bpf_iter_bpf_map', 'func');
    expect(target).toBeDefined();
    own(createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 }));
    const marker = 0x4b4f4b4f; // "OKOK"
    const program = loadProgram({
      type: PROG.TRACING,
      expectedAttachType: ATTACH.TRACE_ITER,
      attachBtfId: target?.id ?? 0,
      license: 'GPL',
      instructions: assemble(
        [0xbf, 6, 1, 0, 0], // r6 = ctx
        [0x79, 1, 6, 0, 0], // r1 = ctx->meta
        [0x79, 1, 1, 0, 0], // r1 = meta->seq
        [0x62, 10, 0, -4, marker], // *(u32 *)(r10 - 4) = marker
        [0xbf, 2, 10, 0, 0], // r2 = r10
        [0x07, 2, 0, 0, -4], // r2 -= 4
        [0xb7, 3, 0, 0, 4], // r3 = 4
        [0x85, 0, 0, 0, 127], // bpf_seq_write(seq, r2, 4)
        [0xb7, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0],
      ),
    });
    own(program.fd);
    const link = own(createLink({ programFd: program.fd.fd, target: 0, attachType: ATTACH.TRACE_ITER }));
    const output = readIterator(own(createIterator(link.fd)).fd);
    // At least our map and the final call; every 4 bytes the marker.
    expect(output.length).toBeGreaterThanOrEqual(8);
    expect(output.length % 4).toBe(0);
    const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
    for (let offset = 0; offset < output.length; offset += 4) expect(view.getUint32(offset, true)).toBe(marker);
  });
});
