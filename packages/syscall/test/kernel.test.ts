import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BpfSyscallError,
  createMap,
  type Fd,
  failingInstruction,
  getBackend,
  getPinnedObject,
  loadProgram,
  mapDelete,
  mapFreeze,
  mapInfo,
  mapLayout,
  mapLookup,
  mapLookupAndDelete,
  mapLookupBatch,
  mapNextKey,
  mapUpdate,
  mapUpdateBatch,
  objectFdById,
  objectIds,
  pinObject,
  programInfo,
  testRun,
  UpdateFlag,
} from '../src/index.js';
import { assemble, bpfUnavailable, openFdCount, u32, u64 } from './kernel.js';

const unavailable = bpfUnavailable();
const MAP = { HASH: 1, ARRAY: 2, PERCPU_ARRAY: 6, LRU_HASH: 9, LPM_TRIE: 11, QUEUE: 22 } as const;
const PROG = { SOCKET_FILTER: 1, XDP: 6 } as const;
const EXIT = 0x95;
const MOV64_IMM = 0xb7;

/** Every open fd made in a test, closed afterwards. */
const opened: Fd[] = [];
function own<T extends Fd>(fd: T): T {
  opened.push(fd);
  return fd;
}

describe.skipIf(unavailable !== undefined)('bpf(2) on the running kernel', () => {
  let fdsBefore = 0;
  beforeAll(() => {
    fdsBefore = openFdCount();
  });
  afterAll(() => {
    for (const fd of opened) fd.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('uses the FFI that BPFKIT_FFI names (koffi by default)', () => {
    expect(getBackend().name).toBe(process.env.BPFKIT_FFI ?? 'koffi');
  });

  describe('maps round-trip values', () => {
    it.each([
      ['HASH', MAP.HASH],
      ['ARRAY', MAP.ARRAY],
      ['LRU_HASH', MAP.LRU_HASH],
    ])('%s', (name, type) => {
      const layout = { name: `t_${name.toLowerCase()}`, type, keySize: 4, valueSize: 8, maxEntries: 16 };
      const map = own(createMap(layout));
      mapUpdate(map.fd, u32(3), u64(0x1122334455667788n), layout);
      expect(mapLookup(map.fd, u32(3), layout)).toEqual(u64(0x1122334455667788n));
      expect(mapNextKey(map.fd, undefined, layout)).toBeDefined();
      if (type !== MAP.ARRAY) {
        expect(mapLookup(map.fd, u32(4), layout)).toBeUndefined();
        expect(mapDelete(map.fd, u32(3), layout)).toBe(true);
        expect(mapDelete(map.fd, u32(3), layout)).toBe(false);
      }
      const info = mapInfo(map.fd);
      expect(info).toMatchObject({ type, keySize: 4, valueSize: 8, maxEntries: 16, name: `t_${name.toLowerCase()}` });
      expect(info.id).toBeGreaterThan(0);
    });

    it('a map create whose attr fails to be written leaves nothing in the next one', () => {
      // map_extra is written last and BigInt(1.5) throws: the name was written by then.
      const broken = { name: 'left_behind', type: MAP.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };
      expect(() => createMap({ ...broken, mapExtra: 1.5 as unknown as bigint })).toThrow(RangeError);
      const map = own(createMap({ name: 'ab', type: MAP.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
      expect(mapInfo(map.fd).name).toBe('ab');
    });

    it('PERCPU_ARRAY holds one value per possible CPU', () => {
      const cpus = Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim());
      const layout = { type: MAP.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 };
      const map = own(createMap(layout));
      const values = new Uint8Array(8 * cpus);
      const view = new DataView(values.buffer);
      for (let cpu = 0; cpu < cpus; cpu++) view.setBigUint64(cpu * 8, BigInt(cpu + 1), true);
      mapUpdate(map.fd, u32(1), values, layout);
      const back = mapLookup(map.fd, u32(1), layout) as Uint8Array;
      expect(back).toEqual(values);
    });

    it('LPM_TRIE matches the longest prefix', () => {
      const layout = { type: MAP.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: 1 };
      const map = own(createMap(layout));
      const key = (prefix: number, ip: number[]) => Uint8Array.from([...u32(prefix), ...ip]);
      mapUpdate(map.fd, key(8, [10, 0, 0, 0]), u32(8), layout);
      mapUpdate(map.fd, key(24, [10, 1, 2, 0]), u32(24), layout);
      expect(mapLookup(map.fd, key(32, [10, 1, 2, 3]), layout)).toEqual(u32(24));
      expect(mapLookup(map.fd, key(32, [10, 9, 9, 9]), layout)).toEqual(u32(8));
    });

    it('QUEUE pops in FIFO order', () => {
      const layout = { type: MAP.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 };
      const map = own(createMap(layout));
      for (const v of [1, 2, 3]) mapUpdate(map.fd, new Uint8Array(0), u32(v), layout);
      expect([1, 2, 3].map(() => mapLookupAndDelete(map.fd, undefined, layout))).toEqual([u32(1), u32(2), u32(3)]);
      expect(mapLookupAndDelete(map.fd, undefined, layout)).toBeUndefined();
    });

    it('a frozen map refuses writes from user space', () => {
      const layout = { type: MAP.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };
      const map = own(createMap(layout));
      mapUpdate(map.fd, u32(0), u32(9), layout);
      mapFreeze(map.fd);
      expect(() => mapUpdate(map.fd, u32(0), u32(1), layout, 0, 'frozen')).toThrow(
        expect.objectContaining({ errnoName: 'EPERM' }),
      );
    });

    it('batch ops move 100k entries of a hash in a few calls', () => {
      const count = 100_000;
      const layout = { type: MAP.HASH, keySize: 4, valueSize: 8, maxEntries: count };
      const map = own(createMap(layout));
      const keys = new Uint8Array(count * 4);
      const values = new Uint8Array(count * 8);
      const kv = new DataView(keys.buffer);
      const vv = new DataView(values.buffer);
      for (let i = 0; i < count; i++) {
        kv.setUint32(i * 4, i, true);
        vv.setBigUint64(i * 8, BigInt(i) * 3n, true);
      }
      expect(mapUpdateBatch(map.fd, keys, values, count, layout)).toBe(count);
      let total = 0;
      let from: Uint8Array | undefined;
      let sum = 0n;
      for (let calls = 0; calls < 100; calls++) {
        const batch = mapLookupBatch(map.fd, { layout, count: 32_768, ...(from ? { from } : {}) });
        const bk = new DataView(batch.keys.buffer);
        const bv = new DataView(batch.values.buffer);
        for (let i = 0; i < batch.count; i++) {
          expect(bv.getBigUint64(i * 8, true)).toBe(BigInt(bk.getUint32(i * 4, true)) * 3n);
          sum += bv.getBigUint64(i * 8, true);
        }
        total += batch.count;
        if (batch.next === undefined) break;
        from = batch.next;
      }
      expect(total).toBe(count);
      expect(sum).toBe((BigInt(count) * BigInt(count - 1) * 3n) / 2n);
    });
  });

  describe('programs', () => {
    it('a hand-assembled XDP program loads and test-runs', () => {
      const program = loadProgram({
        name: 'xdp_pass',
        type: PROG.XDP,
        license: 'GPL',
        instructions: assemble([MOV64_IMM, 0, 0, 0, 2], [EXIT, 0, 0, 0, 0]),
      });
      own(program.fd);
      const run = testRun(program.fd.fd, { data: new Uint8Array(64).fill(0xab), repeat: 10 });
      expect(run.retval).toBe(2);
      expect(run.data).toEqual(new Uint8Array(64).fill(0xab));
      const info = programInfo(program.fd.fd, { xlated: true });
      expect(info).toMatchObject({ type: PROG.XDP, name: 'xdp_pass' });
      expect(info.xlated?.length).toBe(16);
      expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    });

    it('a verifier rejection carries the log and the failing instruction', () => {
      try {
        loadProgram({
          name: 'bad_read',
          type: PROG.SOCKET_FILTER,
          license: 'GPL',
          // r0 = r2 (never initialised); exit
          instructions: assemble([0xbf, 0, 2, 0, 0], [EXIT, 0, 0, 0, 0]),
        });
        expect.unreachable();
      } catch (error) {
        expect(BpfSyscallError.is(error)).toBe(true);
        const e = error as BpfSyscallError;
        expect(e).toMatchObject({ command: 'BPF_PROG_LOAD', errnoName: 'EACCES', code: 'verifier' });
        expect(e.log.join('\n')).toContain('R2 !read_ok');
        expect(failingInstruction(e.log)).toBe(0);
        expect(e.message).toContain("prog 'bad_read': BPF_PROG_LOAD failed: EACCES");
      }
    });

    it('returns the verifier log on success when asked', () => {
      const program = loadProgram({
        type: PROG.SOCKET_FILTER,
        license: 'GPL',
        instructions: assemble([MOV64_IMM, 0, 0, 0, 0], [EXIT, 0, 0, 0, 0]),
        logLevel: 2,
      });
      own(program.fd);
      expect(program.log.join('\n')).toMatch(/processed 2 insns/);
    });
  });

  describe('objects', () => {
    it('pins and reopens a map in a private bpffs', () => {
      const dir = mkdtempSync(join(tmpdir(), 'bpfkit-pin-'));
      execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
      try {
        const layout = { type: MAP.HASH, keySize: 4, valueSize: 4, maxEntries: 4, name: 'pinned' };
        const map = own(createMap(layout));
        mapUpdate(map.fd, u32(1), u32(77), layout);
        pinObject(map.fd, join(dir, 'pinned'));
        const again = own(getPinnedObject(join(dir, 'pinned')));
        expect(mapLookup(again.fd, u32(1), mapLayout(again.fd))).toEqual(u32(77));
        expect(mapInfo(again.fd).id).toBe(mapInfo(map.fd).id);
        expect(() => pinObject(map.fd, join(dir, 'pinned'))).toThrow(expect.objectContaining({ errnoName: 'EEXIST' }));
        expect(() => getPinnedObject(join(dir, 'missing'))).toThrow(
          expect.objectContaining({ errnoName: 'ENOENT', code: 'not-found' }),
        );
      } finally {
        execFileSync('umount', [dir]);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('finds objects by id', () => {
      const map = own(createMap({ type: MAP.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'by_id' }));
      const id = mapInfo(map.fd).id;
      expect(objectIds('map')).toContain(id);
      const reopened = own(objectFdById('map', id) as Fd);
      expect(mapInfo(reopened.fd).name).toBe('by_id');
    });
  });

  describe('errors name the command, errno and what to do', () => {
    it('an unknown map type', () => {
      try {
        createMap({ type: 9999, keySize: 4, valueSize: 4, maxEntries: 1, name: 'weird' });
        expect.unreachable();
      } catch (error) {
        expect(error).toMatchObject({ command: 'BPF_MAP_CREATE', errnoName: 'EINVAL', code: 'invalid' });
        expect((error as Error).message).toContain("map 'weird': BPF_MAP_CREATE failed: EINVAL");
      }
    });

    it('a closed file descriptor', () => {
      const layout = { type: MAP.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };
      const map = createMap(layout);
      const fd = map.fd;
      map.close();
      map.close();
      expect(map.open).toBe(false);
      expect(() => mapUpdate(fd, u32(0), u32(0), layout, 0, 'gone')).toThrow(
        expect.objectContaining({ errnoName: 'EBADF', code: 'bad-fd' }),
      );
    });

    it('an element that already exists', () => {
      const layout = { type: MAP.HASH, keySize: 4, valueSize: 4, maxEntries: 2 };
      const map = own(createMap(layout));
      mapUpdate(map.fd, u32(1), u32(1), layout);
      expect(() => mapUpdate(map.fd, u32(1), u32(2), layout, UpdateFlag.NOEXIST)).toThrow(
        expect.objectContaining({ errnoName: 'EEXIST' }),
      );
    });

    it('a full hash map', () => {
      const layout = { type: MAP.HASH, keySize: 4, valueSize: 4, maxEntries: 1 };
      const map = own(createMap(layout));
      mapUpdate(map.fd, u32(1), u32(1), layout);
      expect(() => mapUpdate(map.fd, u32(2), u32(2), layout)).toThrow(expect.objectContaining({ errnoName: 'E2BIG' }));
    });
  });
});
