import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmdirSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { duplicateFd, queryPrograms } from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { attachCgroup, attachFlowDissector, attachNetkit, attachSockmap, SockmapAttachType } from '../src/index.js';
import { childLines } from './child-lines.js';
import { createVethNamespace, sh, type VethNamespace } from './veth-namespace.js';

const unavailable = bpfUnavailable();
/** `BPF_CGROUP_SOCK_OPS`. */
const CGROUP_SOCK_OPS = 3;
/** `BPF_FLOW_DISSECTOR`. */
const ATTACH_FLOW_DISSECTOR = 17;

/** A connected TCP pair on loopback: the client end and the server's end. */
async function tcpPair(): Promise<{ client: Socket; server: Socket; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = createConnection(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  listener.close();
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
    },
  };
}

const fdOf = (socket: Socket) => (socket as unknown as { _handle: { fd: number } })._handle.fd;

/** What `socket` receives within `ms` milliseconds. */
async function receivedWithin(socket: Socket, ms = 400): Promise<string> {
  let text = '';
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
  };
  socket.on('data', onData);
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.off('data', onData);
  return text;
}

/** What the server end receives of each of `messages`, written one at a time by the client end. */
async function deliveredOf(pair: { client: Socket; server: Socket }, messages: string[]): Promise<string[]> {
  const delivered: string[] = [];
  for (const message of messages) {
    const arriving = receivedWithin(pair.server);
    pair.client.write(message);
    delivered.push(await arriving);
  }
  return delivered;
}

describe.skipIf(unavailable !== undefined)('sockmap, sockops, flow dissector and netkit attachments', () => {
  let obj: BpfObject;
  let net: VethNamespace;
  let fdsBefore = 0;
  const counter = (name: string) => Number((obj.map('.bss').get(0) as Record<string, bigint>)[name]);

  beforeAll(() => {
    fdsBefore = openFdCount();
    net = createVethNamespace('bpfsk', 13);
    obj = BpfObject.open(fixture('link_net').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    net.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('an sk_msg verdict through a sockmap link passes one message and drops another', async () => {
    const pair = await tcpPair();
    const link = attachSockmap(obj.program('msg_verdict').fd, obj.map('sockets').fd, SockmapAttachType.msgVerdict);
    try {
      expect(link.info().type).toBe(14 /* BPF_LINK_TYPE_SOCKMAP */);
      obj.map('sockets').set(0, BigInt(fdOf(pair.client)));
      const arriving = receivedWithin(pair.server);
      pair.client.write('hello');
      expect(await arriving).toBe('hello');
      expect(counter('sk_msg_calls')).toBeGreaterThanOrEqual(1);
      const failed = new Promise<string>((resolve) =>
        pair.client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
      );
      const dropped = receivedWithin(pair.server);
      pair.client.write('xdrop');
      expect(await failed).toBe('EACCES');
      expect(await dropped).toBe('');
    } finally {
      link.close();
      pair.close();
    }
  });

  it('a stream parser and verdict attached with BPF_PROG_ATTACH to a sockhash, detached on close', async () => {
    const hash = obj.map('socket_hash').fd;
    const parser = attachSockmap(obj.program('stream_parser').fd, hash, SockmapAttachType.streamParser, {
      legacy: true,
    });
    const verdict = attachSockmap(obj.program('stream_verdict').fd, hash, SockmapAttachType.streamVerdict, {
      legacy: true,
    });
    const pair = await tcpPair();
    try {
      expect(verdict.fd).toBe(-1);
      obj.map('socket_hash').set(1, BigInt(fdOf(pair.server)));
      expect(await deliveredOf(pair, ['hello', 'xdrop'])).toEqual(['hello', '']);
      expect(counter('stream_parser_calls')).toBeGreaterThanOrEqual(2);
      expect(counter('stream_verdict_calls')).toBeGreaterThanOrEqual(2);
      // One program per attach type: a second verdict is refused.
      expect(() =>
        attachSockmap(obj.program('skb_verdict').fd, hash, SockmapAttachType.skbVerdict, { legacy: true }),
      ).toThrow(
        expect.objectContaining({
          code: 'kernel',
          context: expect.objectContaining({ kind: 'sockmap', errno: 'EBUSY' }),
          hint: expect.stringContaining('one program per attach type'),
        }),
      );
    } finally {
      pair.close();
      verdict.close();
      parser.close();
    }
    // Detached: attaching the other verdict kind now works.
    attachSockmap(obj.program('skb_verdict').fd, hash, SockmapAttachType.skbVerdict).close();
  });

  it('a BPF_PROG_ATTACH verdict whose program fd the caller closed first is still detached on close, leaving no fd', () => {
    const hash = obj.map('socket_hash').fd;
    const verdict = obj.program('skb_verdict');
    const attached = () => queryPrograms(hash, SockmapAttachType.skbVerdict).ids;
    const before = openFdCount();
    const callerFd = duplicateFd(verdict.fd, 'the caller’s program fd');
    const number = callerFd.fd;
    const link = attachSockmap(number, hash, SockmapAttachType.skbVerdict, { legacy: true });
    callerFd.close();
    // The number is free again, and the next fd the process opens takes it: now another program.
    const reused = duplicateFd(obj.program('stream_verdict').fd, 'another program at the closed number');
    expect(reused.fd).toBe(number);
    expect(attached()).toEqual([verdict.info().id]);
    link.close();
    expect(attached()).toEqual([]);
    reused.close();
    expect(openFdCount()).toBe(before);
  });

  it('an skb verdict through a sockmap link drops what it marks', async () => {
    using link = attachSockmap(obj.program('skb_verdict').fd, obj.map('sockets').fd, SockmapAttachType.skbVerdict);
    const pair = await tcpPair();
    try {
      obj.map('sockets').set(2, BigInt(fdOf(pair.server)));
      expect(await deliveredOf(pair, ['hello', 'xdrop'])).toEqual(['hello', '']);
      expect(counter('skb_verdict_calls')).toBeGreaterThanOrEqual(2);
      expect(link.kind).toBe('sockmap');
    } finally {
      pair.close();
    }
  });

  it('sockops on a cgroup sees a TCP connect made from the cgroup', async () => {
    const dir = `/sys/fs/cgroup/unified/bpfkit-sockops-${process.pid}`;
    mkdirSync(dir);
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    try {
      using link = attachCgroup(obj.program('sockops_count').fd, dir, CGROUP_SOCK_OPS);
      const before = counter('sockops_connects');
      await new Promise<void>((resolve, reject) =>
        import('node:child_process').then(({ execFile }) =>
          execFile('bash', ['-c', `echo $$ > ${dir}/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/${port}`], (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
      );
      expect(counter('sockops_connects')).toBe(before + 1);
      expect(link.info().type).toBe(3 /* BPF_LINK_TYPE_CGROUP */);
    } finally {
      listener.close();
      rmdirSync(dir);
    }
  });

  /** Sends a raw IPv4 frame out of the namespace's veth end, which the namespace's flow dissector dissects. */
  const sendRaw = () =>
    sh(
      'ip',
      'netns',
      'exec',
      net.ns,
      'python3',
      '-c',
      `import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("${net.nsSide}", 0)); s.send(b"\\xff" * 12 + b"\\x08\\x00" + b"\\x45" + b"\\x00" * 19)`,
    );

  it('a flow dissector on a namespace runs for packets sent there, and stops on close', () => {
    const link = attachFlowDissector(obj.program('flow_count').fd, `/run/netns/${net.ns}`);
    expect(link.info().type).toBe(5 /* BPF_LINK_TYPE_NETNS */);
    sendRaw();
    const seen = counter('flow_dissections');
    expect(seen).toBeGreaterThanOrEqual(1);
    link.close();
    sendRaw();
    expect(counter('flow_dissections')).toBe(seen);
    expect(() => attachFlowDissector(obj.program('flow_count').fd, '/run/netns/nosuchns')).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
  });

  /** The ids of the flow dissectors attached (not linked) to the namespace at `file`. */
  const attachedIn = (file: string) => {
    const ns = openSync(file, 'r');
    try {
      return queryPrograms(ns, ATTACH_FLOW_DISSECTOR).ids;
    } finally {
      closeSync(ns);
    }
  };

  it.each([
    ['attachFlowDissector', []],
    ["the loader's program.attach({ legacy: true })", ['loader']],
  ])(
    'a flow dissector attached with BPF_PROG_ATTACH by a process of the namespace (%s) runs for its packets, until detached',
    async (_, args) => {
      const program = obj.program('flow_count');
      const root = new URL('../../..', import.meta.url).pathname;
      const child = spawn(
        'ip',
        ['netns', 'exec', net.ns, 'node', '--import', 'tsx', 'packages/link/test/flow-dissector-child.ts', ...args],
        { cwd: root, stdio: ['pipe', 'pipe', 'inherit', program.fd] },
      );
      const { nextLine, exited } = childLines(child, 'flow-dissector-child');
      try {
        const [word, id] = (await nextLine()).split(' ');
        expect(word).toBe('attached');
        // In the child's namespace, not in the test's.
        expect(attachedIn(`/run/netns/${net.ns}`)).toEqual([Number(id)]);
        expect(attachedIn('/proc/self/ns/net')).toEqual([]);
        // Attached directly, not by a link: a netns link is then refused with EEXIST (a second link gets E2BIG).
        expect(() => attachFlowDissector(program.fd, `/run/netns/${net.ns}`)).toThrow(
          expect.objectContaining({ context: expect.objectContaining({ errno: 'EEXIST' }) }),
        );
        if (args.length === 0) {
          // Our program: its counter sees the namespace's packets until detached.
          expect(Number(id)).toBe(program.info().id);
          const before = counter('flow_dissections');
          sendRaw();
          expect(counter('flow_dissections')).toBeGreaterThan(before);
        }
        child.stdin?.write('detach\n');
        expect(await nextLine()).toBe('detached');
        expect(attachedIn(`/run/netns/${net.ns}`)).toEqual([]);
        const seen = counter('flow_dissections');
        sendRaw();
        expect(counter('flow_dissections')).toBe(seen);
      } finally {
        child.stdin?.end();
        await exited;
      }
      expect(child.exitCode).toBe(0);
    },
    120_000,
  ); // the child starts Node and tsx, slow on a loaded machine

  it('BPF_PROG_ATTACH of a flow dissector is refused for another namespace than the caller’s, leaving nothing', () => {
    const before = openFdCount();
    expect(() => attachFlowDissector(obj.program('flow_count').fd, `/run/netns/${net.ns}`, { legacy: true })).toThrow(
      expect.objectContaining({ code: 'bad-target', hint: expect.stringMatching(/ip netns exec/) }),
    );
    expect(() => attachFlowDissector(obj.program('flow_count').fd, '/run/netns/nosuchns', { legacy: true })).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
    expect(openFdCount()).toBe(before);
  });

  it('netkit: refused on a veth, as this kernel has no netkit (CONFIG_NETKIT), with what it needs', () => {
    let created = true;
    try {
      sh('ip', 'link', 'add', `nk${process.pid % 100000}`, 'type', 'netkit');
    } catch {
      created = false;
    }
    if (created) sh('ip', 'link', 'del', `nk${process.pid % 100000}`);
    expect(created).toBe(false);
    expect(() => attachNetkit(obj.program('netkit_primary').fd, net.hostSide, 'primary')).toThrow(
      expect.objectContaining({
        code: 'kernel',
        context: expect.objectContaining({ kind: 'netkit/primary', errno: 'EINVAL' }),
        hint: expect.stringContaining('CONFIG_NETKIT'),
      }),
    );
  });
});
