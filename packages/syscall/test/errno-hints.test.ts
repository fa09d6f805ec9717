import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BpfSyscallError,
  createMap,
  errnoHint,
  type Fd,
  loadProgram,
  mapDelete,
  mapFreeze,
  mapUpdate,
  pinObject,
  testRun,
} from '../src/index.js';
import { assemble, bpfUnavailable, u32, u64 } from './kernel.js';

const unavailable = bpfUnavailable();
const CAPABILITY_HINT = 'needs CAP_BPF or CAP_SYS_ADMIN';
const ARRAY = 2;
const HASH = 1;
const XDP = 6;
const TRACING = 26;
const BPF_TRACE_FENTRY = 24;
/** r0 = 2; exit */
const RETURN_2 = assemble([0xb7, 0, 0, 0, 2], [0x95, 0, 0, 0, 0]);

/** The error `call` throws (failing the test when it does not). */
function failure(call: () => unknown): BpfSyscallError {
  try {
    call();
  } catch (error) {
    if (BpfSyscallError.is(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('errno hints without facts', () => {
  it('speak in general terms, and about privileges only to a process that lacks them', () => {
    expect(errnoHint(1)).toContain(CAPABILITY_HINT);
    expect(errnoHint(1, 'BPF_MAP_CREATE', { privileged: false })).toContain(CAPABILITY_HINT);
    expect(errnoHint(1, 'BPF_MAP_CREATE', { privileged: true })).not.toContain(CAPABILITY_HINT);
    expect(errnoHint(7)).toContain('the kernel may be older');
  });

  it('name the capability a program load lacks besides CAP_BPF', () => {
    const tracepoint = { privileged: true, programType: 5, missingCapabilities: ['CAP_PERFMON'] };
    expect(errnoHint(1, 'BPF_PROG_LOAD', tracepoint)).toBe(
      'TRACEPOINT programs need CAP_PERFMON besides CAP_BPF, and the process lacks it (CAP_SYS_ADMIN would also do): grant it, or run as root',
    );
    const freplace = { privileged: true, programType: 28, missingCapabilities: ['CAP_PERFMON', 'CAP_NET_ADMIN'] };
    expect(errnoHint(1, 'BPF_PROG_LOAD', freplace)).toMatch(
      /^EXT programs need CAP_PERFMON and CAP_NET_ADMIN besides CAP_BPF, and the process lacks them/,
    );
    expect(errnoHint(1, 'BPF_PROG_LOAD', { privileged: true, programType: 5 })).toContain('something else refused it');
  });
});

describe.skipIf(unavailable !== undefined)('errno hints that fit the command and the object', () => {
  const open: Fd[] = [];
  const own = (fd: Fd) => {
    open.push(fd);
    return fd;
  };
  afterAll(() => {
    for (const fd of open) fd.close();
  });

  it('EPERM writing a frozen map says it is frozen, not that privileges are missing', () => {
    const layout = { type: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'rodata' };
    const map = own(createMap(layout));
    mapFreeze(map.fd);
    const error = failure(() => mapUpdate(map.fd, u32(0), u64(1n), layout, 0, '.rodata'));
    expect(error).toMatchObject({ errnoName: 'EPERM', code: 'permission', context: { map: '.rodata' } });
    expect(error.hint).toContain('the map is frozen');
    expect(error.hint).not.toContain(CAPABILITY_HINT);
    expect(failure(() => mapDelete(map.fd, u32(0), layout)).hint).toContain('the map is frozen');
  });

  it('EPERM writing a map created read-only for user space says the descriptor is read-only', () => {
    const layout = { type: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 1 << 3 };
    const map = own(createMap(layout));
    expect(failure(() => mapUpdate(map.fd, u32(0), u64(1n), layout)).hint).toContain(
      'this descriptor of the map is read-only',
    );
  });

  it('EPERM pinning into a directory that is not a bpffs says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-not-bpffs-'));
    try {
      const map = own(createMap({ type: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }));
      const error = failure(() => pinObject(map.fd, join(dir, 'pinned')));
      expect(error).toMatchObject({ errnoName: 'EPERM', context: { path: join(dir, 'pinned') } });
      expect(error.hint).toContain('not on a bpf filesystem');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('E2BIG for an array index at or past max_entries names the range, not an older kernel', () => {
    const layout = { type: ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 };
    const map = own(createMap(layout));
    const error = failure(() => mapUpdate(map.fd, u32(4), u64(1n), layout));
    expect(error.errnoName).toBe('E2BIG');
    expect(error.hint).toBe("the index is not below the map's max_entries 4: its indexes run from 0 to 3");
  });

  it('E2BIG adding to a full hash says it is full', () => {
    const layout = { type: HASH, keySize: 4, valueSize: 8, maxEntries: 1 };
    const map = own(createMap(layout));
    mapUpdate(map.fd, u32(1), u64(1n), layout);
    const error = failure(() => mapUpdate(map.fd, u32(2), u64(1n), layout));
    expect(error.errnoName).toBe('E2BIG');
    expect(error.hint).toContain('the map is full (max_entries 1)');
  });

  it('EINVAL for an XDP test run on fewer than 14 bytes says how many it needs', () => {
    const program = loadProgram({ type: XDP, license: 'GPL', instructions: RETURN_2, name: 'xdp_pass' });
    own(program.fd);
    const error = failure(() => testRun(program.fd.fd, { data: new Uint8Array(13) }, 'xdp_pass'));
    expect(error).toMatchObject({ errnoName: 'EINVAL', context: { program: 'xdp_pass' } });
    expect(error.hint).toContain('the test data is 13 bytes');
    expect(error.hint).toContain('at least 14');
    expect(testRun(program.fd.fd, { data: new Uint8Array(14) }).retval).toBe(2);
  });

  it('EPERM loading fentry where the kernel refuses trampolines blames trampolines, not privileges', (context) => {
    const vmlinux = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const id = Number(/^\[(\d+)\] FUNC 'do_unlinkat'/m.exec(vmlinux.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    let error: unknown;
    try {
      own(
        loadProgram({
          type: TRACING,
          expectedAttachType: BPF_TRACE_FENTRY,
          attachBtfId: id,
          license: 'GPL',
          instructions: assemble([0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]),
        }).fd,
      );
    } catch (caught) {
      error = caught;
    }
    if (error === undefined) context.skip('this kernel builds BPF trampolines: there is no refusal to explain');
    expect(BpfSyscallError.is(error)).toBe(true);
    const refused = error as BpfSyscallError;
    expect(refused.errnoName).toBe('EPERM');
    expect(refused.hint).toContain('refuses BPF trampolines');
    expect(refused.hint).not.toContain(CAPABILITY_HINT);
  });
});
