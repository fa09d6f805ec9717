import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfCommand, ProgramType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { PROG_LOAD_ATTEMPTS } from '../src/call.js';
import { Errno } from '../src/errno.js';
import {
  type BpfBackend,
  clearFeatureCache,
  createMap,
  getBackend,
  loadProgram,
  MAX_LOG_SIZE,
  mapLayout,
  mapLookup,
  openPerfEvent,
  PerfIoctl,
  PerfType,
  perfIoctl,
  programTypeSupported,
  setBackend,
  tracepointId,
} from '../src/index.js';
import { assemble, bpfUnavailable, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Puts a backend over `real` whose kernel answers EAGAIN to the first `failures` sends of
 * `command` (the rest go through); returns how many sends of `command` it saw. The caller
 * puts `real` back.
 */
function eagainFirst(real: BpfBackend, command: number, failures: number): () => number {
  let sends = 0;
  setBackend({
    ...real,
    bpf(sent, attr, size) {
      if (sent !== command) return real.bpf(sent, attr, size);
      sends++;
      return sends <= failures ? -Errno.EAGAIN : real.bpf(sent, attr, size);
    },
  });
  return () => sends;
}

describe.skipIf(unavailable !== undefined)('file descriptors and logs', () => {
  it('reports and closes a descriptor garbage-collected while open', () => {
    const script = `
      import { createMap, onLeak } from '@bpfkit/syscall';
      const leaks = [];
      onLeak((d) => leaks.push(d));
      (() => { createMap({ name: 'dropped', type: 2, keySize: 4, valueSize: 4, maxEntries: 1 }); })();
      for (let i = 0; i < 20 && leaks.length === 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      console.log(JSON.stringify(leaks));
    `;
    const run = spawnSync('node', ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual(["map 'dropped'"]);
  });

  it('grows the verifier log on ENOSPC until the whole log fits', () => {
    const body = Array.from({ length: 200 }, () => [0xb7, 0, 0, 0, 1] as [number, number, number, number, number]);
    const program = loadProgram({
      type: 6,
      license: 'GPL',
      instructions: assemble(...body, [0x95, 0, 0, 0, 0]),
      logLevel: 2,
      logSize: 256,
    });
    expect(program.log.length).toBeGreaterThan(200);
    expect(program.log.join('\n')).toMatch(/processed 201 insns/);
    program.fd.close();
  });

  it('sends BPF_PROG_LOAD again while the kernel answers EAGAIN, as libbpf does, a bounded number of times', () => {
    const real = getBackend();
    // The kernel's verifier answers EAGAIN when a signal is pending; here the first few sends do.
    const interrupted = (failures: number) => eagainFirst(real, BpfCommand.PROG_LOAD, failures);
    const load = () =>
      loadProgram({ type: 6, license: 'GPL', instructions: assemble([0xb7, 0, 0, 0, 1], [0x95, 0, 0, 0, 0]) });
    try {
      const sends = interrupted(PROG_LOAD_ATTEMPTS - 1);
      const program = load();
      expect(sends()).toBe(PROG_LOAD_ATTEMPTS);
      program.fd.close();
      // Always EAGAIN: the quiet load and the one with the verifier log each give up after the attempts.
      const always = interrupted(Number.POSITIVE_INFINITY);
      expect(load).toThrow(expect.objectContaining({ command: 'BPF_PROG_LOAD', errnoName: 'EAGAIN' }));
      expect(always()).toBe(2 * PROG_LOAD_ATTEMPTS);
    } finally {
      setBackend(real);
    }
  });

  it('sends a feature probe\'s BPF_PROG_LOAD again on EAGAIN too, so an interrupted probe does not report (and cache) "unsupported"', () => {
    const real = getBackend();
    const sends = eagainFirst(real, BpfCommand.PROG_LOAD, PROG_LOAD_ATTEMPTS - 1);
    try {
      clearFeatureCache();
      expect(programTypeSupported(ProgramType.SOCKET_FILTER)).toBe(true);
      expect(sends()).toBe(PROG_LOAD_ATTEMPTS);
    } finally {
      setBackend(real);
      clearFeatureCache();
    }
  });

  it("reports another command's EAGAIN at once: only BPF_PROG_LOAD is sent again", () => {
    const real = getBackend();
    const creates = eagainFirst(real, BpfCommand.MAP_CREATE, 1);
    try {
      expect(() => createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 })).toThrow(
        expect.objectContaining({ command: 'BPF_MAP_CREATE', errnoName: 'EAGAIN' }),
      );
      expect(creates()).toBe(1);
    } finally {
      setBackend(real);
    }
  });

  it("takes a verifier log of the kernel's maximum size, clamping larger requests to it", () => {
    const program = loadProgram({
      type: 6,
      license: 'GPL',
      instructions: assemble([0xb7, 0, 0, 0, 1], [0x95, 0, 0, 0, 0]),
      logLevel: 2,
      logSize: MAX_LOG_SIZE + 4096,
    });
    expect(program.log.join('\n')).toMatch(/processed 2 insns/);
    program.fd.close();
  });

  it('attaches a tracepoint program with perf ioctls (the pre-link way)', () => {
    if (!existsSync('/sys/kernel/tracing/events'))
      execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
    const hits = createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
    const program = loadProgram({
      type: 5,
      license: 'GPL',
      instructions: assemble(
        [0x62, 10, 0, -4, 0],
        [0xbf, 2, 10, 0, 0],
        [0x07, 2, 0, 0, -4],
        [0x18, 1, 1, 0, hits.fd],
        [0, 0, 0, 0, 0],
        [0x85, 0, 0, 0, 1],
        [0x15, 0, 0, 2, 0],
        [0xb7, 1, 0, 0, 1],
        [0xdb, 0, 1, 0, 0],
        [0xb7, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0],
      ),
    });
    const event = openPerfEvent({
      type: PerfType.TRACEPOINT,
      config: tracepointId('syscalls', 'sys_enter_kill'),
      pid: process.pid,
      cpu: -1,
    });
    try {
      perfIoctl(event.fd, PerfIoctl.SET_BPF, program.fd.fd);
      perfIoctl(event.fd, PerfIoctl.ENABLE);
      for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
      // Closing the event detaches the program; later calls are not counted.
      event.close();
      for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
      expect(
        new DataView((mapLookup(hits.fd, u32(0), mapLayout(hits.fd)) as Uint8Array).buffer).getBigUint64(0, true),
      ).toBe(3n);
      expect(() => perfIoctl(-1, PerfIoctl.ENABLE)).toThrow(
        expect.objectContaining({ command: 'ioctl', errnoName: 'EBADF' }),
      );
    } finally {
      event.close();
      program.fd.close();
      hits.close();
    }
  });
});
