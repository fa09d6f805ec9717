import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BpfSyscallError,
  createMap,
  getPinnedObject,
  joinPerCpu,
  mapDelete,
  mapDeleteBatch,
  mapLookup,
  mapLookupAndDelete,
  mapLookupBatch,
  mapNextKey,
  mapUpdate,
  mapUpdateBatch,
  pinObject,
  possibleCpus,
  splitPerCpu,
  startMapUpdateBatch,
  valueBufferSize,
} from '../src/index.js';
import { bpfUnavailable, openFdCount, u32 } from './kernel.js';
import { elementBytes, MATRIX_CASES, runCase } from './layout-matrix.js';

const unavailable = bpfUnavailable();
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The error `run` throws (or fails the test when it returns). */
function thrown(run: () => unknown): BpfSyscallError {
  try {
    run();
  } catch (error) {
    if (BpfSyscallError.is(error)) return error;
    throw error;
  }
  return expect.unreachable('no error thrown') as never;
}

describe('valueBufferSize: the one rule for value buffers', () => {
  const cpus = possibleCpus();
  it.each([
    ['HASH', 1, 1, 1],
    ['ARRAY', 2, 4096, 4096],
    ['PERCPU_HASH', 5, 1, 8 * cpus],
    ['PERCPU_ARRAY', 6, 8, 8 * cpus],
    ['PERCPU_ARRAY', 6, 12, 16 * cpus],
    ['LRU_PERCPU_HASH', 10, 64, 64 * cpus],
    ['PERCPU_CGROUP_STORAGE', 21, 4096, 4096 * cpus],
    ['PROG_ARRAY (ids)', 3, 4, 4],
    ['ARRAY_OF_MAPS (ids)', 12, 4, 4],
  ])('%s, value %i bytes: %i bytes per element', (_name, type, valueSize, bytes) => {
    expect(valueBufferSize({ type, keySize: 4, valueSize })).toBe(bytes);
    expect(valueBufferSize({ type, keySize: 4, valueSize }, 3)).toBe(bytes * 3);
  });

  it('takes one CPU per element with BPF_F_CPU or BPF_F_ALL_CPUS', () => {
    expect(valueBufferSize({ type: 6, keySize: 4, valueSize: 12 }, 1, 8)).toBe(16);
    expect(valueBufferSize({ type: 6, keySize: 4, valueSize: 12 }, 1, 16)).toBe(16);
  });

  it('splits and joins per-CPU values at the 8-byte stride, padding zero', () => {
    const layout = { type: 6, keySize: 4, valueSize: 3 };
    const values = Array.from({ length: cpus }, (_, cpu) => Uint8Array.of(cpu, cpu + 1, cpu + 2));
    const joined = joinPerCpu(layout, values);
    expect(joined.length).toBe(8 * cpus);
    expect(Array.from(joined.subarray(3, 8))).toEqual([0, 0, 0, 0, 0]);
    expect(splitPerCpu(layout, joined)).toEqual(values);
    const error = thrown(() => joinPerCpu(layout, values.slice(1), 'stats'));
    expect(error).toMatchObject({ code: 'invalid', context: { map: 'stats', expected: `${cpus} values` } });
    expect(error.hint).toContain('one value per possible CPU');
  });
});

describe.skipIf(unavailable !== undefined)('element buffers follow the map layout on the kernel', () => {
  const fds = openFdCount();
  afterAll(() => expect(openFdCount()).toBe(fds));

  it.each(MATRIX_CASES)(
    '%s (type %i) with %i-byte values: every read gives back what was written',
    (_name, type, size) => {
      const checks = runCase(type, size);
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks)
        expect({ what: check.what, read: check.read }).toEqual({ what: check.what, read: check.expected });
    },
  );

  it.each(['koffi', 'ffi-napi'])(
    'with %s, a child process reads every case and runs every probe, and exits 0',
    (ffi) => {
      const run = spawnSync('node', ['--expose-gc', '--import', 'tsx', 'packages/syscall/test/layout-child.ts'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, BPFKIT_FFI: ffi },
      });
      // The cases that read back wrong first: a mismatch exits 1 with nothing on stderr.
      expect(run.stdout.split('\n').filter((line) => line.includes('MISMATCH'))).toEqual([]);
      expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({
        status: 0,
        signal: null,
        stderr: '',
      });
      expect(run.stdout).toContain(`ffi ${ffi}`);
      for (const [name, , size] of MATRIX_CASES) expect(run.stdout).toContain(`${name} ${size}: ok`);
      // Batch lookups on per-CPU maps, whose probe overran its value buffer.
      for (const type of [1, 2, 5, 6, 9, 10]) expect(run.stdout).toContain(`batchSupported(${type}): true`);
    },
    60_000,
  );
});

describe.skipIf(unavailable !== undefined)('buffers that do not match the layout are refused before the call', () => {
  const layout = { type: 6, keySize: 4, valueSize: 12, maxEntries: 2, name: 'stats' };
  const hash = { type: 1, keySize: 4, valueSize: 8, maxEntries: 4 };
  const full = valueBufferSize(layout);

  it('a per-CPU value of one CPU, or of too many', () => {
    using map = createMap(layout);
    for (const wrong of [12, 16, full + 16]) {
      const error = thrown(() => mapUpdate(map.fd, u32(0), new Uint8Array(wrong), layout, 0, 'stats'));
      expect(error).toMatchObject({
        command: 'BPF_MAP_UPDATE_ELEM',
        code: 'invalid',
        errnoName: 'EINVAL',
        context: { map: 'stats', field: 'value', expected: `${full} bytes`, actual: `${wrong} bytes` },
      });
      expect(error.message).toContain(
        `map 'stats': BPF_MAP_UPDATE_ELEM refused before the call: value is ${wrong} bytes`,
      );
      expect(error.hint).toContain(`${possibleCpus()} values (one per possible CPU), each 12 bytes padded to 16`);
    }
    // Nothing was written: the element still reads as zeros.
    expect(mapLookup(map.fd, u32(0), layout)).toEqual(new Uint8Array(full));
  });

  it('keys of the wrong size, for every element command', () => {
    using map = createMap(hash);
    mapUpdate(map.fd, u32(1), new Uint8Array(8), hash);
    const short = new Uint8Array(2);
    const long = new Uint8Array(8);
    for (const run of [
      () => mapLookup(map.fd, short, hash),
      () => mapUpdate(map.fd, long, new Uint8Array(8), hash),
      () => mapDelete(map.fd, short, hash),
      () => mapNextKey(map.fd, long, hash),
    ])
      expect(thrown(run)).toMatchObject({ code: 'invalid', context: { field: 'key', expected: '4 bytes' } });
    expect(mapLookup(map.fd, u32(1), hash)).toEqual(new Uint8Array(8));
  });

  it('batch keys, values, counts and tokens that do not match', () => {
    using map = createMap(hash);
    const keys = new Uint8Array(8);
    expect(thrown(() => mapUpdateBatch(map.fd, keys, new Uint8Array(8), 2, hash)).context).toMatchObject({
      field: 'values',
      expected: '16 bytes',
      actual: '8 bytes',
    });
    expect(thrown(() => mapUpdateBatch(map.fd, keys, new Uint8Array(24), 3, hash)).context.field).toBe('keys');
    expect(thrown(() => mapDeleteBatch(map.fd, keys, 3, hash)).context.field).toBe('keys');
    expect(thrown(() => mapLookupBatch(map.fd, { layout: hash, count: 1.5 })).context.field).toBe('count');
    expect(thrown(() => mapLookupBatch(map.fd, { layout: hash, count: 2 ** 32 })).context.field).toBe('count');
    expect(
      thrown(() => mapLookupBatch(map.fd, { layout: hash, count: 2, from: new Uint8Array(1) })).context.field,
    ).toBe('token');
    const fds = openFdCount();
    expect(thrown(() => startMapUpdateBatch(map.fd, keys, new Uint8Array(8), 2, hash)).context.field).toBe('values');
    expect(openFdCount()).toBe(fds);
  });

  it('a layout with sizes no map can have', () => {
    using map = createMap(hash);
    for (const bad of [
      { ...hash, valueSize: -1 },
      { ...hash, valueSize: 1.5 },
      { ...hash, keySize: Number.NaN },
    ])
      expect(thrown(() => mapLookup(map.fd, u32(1), bad)).context.field).toMatch(/^layout /);
  });

  it("a layout other than the map's, for every element and batch command, before the kernel writes by the map's", () => {
    const stats = createMap({ ...layout, maxEntries: 4 });
    const lies = [
      { ...layout, valueSize: 64 },
      { ...layout, type: 5 },
      { ...layout, keySize: 8 },
    ];
    try {
      for (const lie of lies) {
        const key = new Uint8Array(lie.keySize);
        const value = new Uint8Array(valueBufferSize(lie));
        for (const run of [
          () => mapLookup(stats.fd, key, lie, 0, 'stats'),
          () => mapUpdate(stats.fd, key, value, lie, 0, 'stats'),
          () => mapDelete(stats.fd, key, lie, 'stats'),
          () => mapNextKey(stats.fd, undefined, lie, 'stats'),
          () => mapLookupAndDelete(stats.fd, key, lie, 'stats'),
          () => mapLookupBatch(stats.fd, { layout: lie, count: 2 }, 'stats'),
          () => mapUpdateBatch(stats.fd, key, value, 1, lie, 0, 'stats'),
          () => mapDeleteBatch(stats.fd, key, 1, lie, 'stats'),
        ])
          expect(thrown(run)).toMatchObject({
            code: 'invalid',
            context: {
              map: 'stats',
              field: 'layout',
              expected: 'type 6, key 4 bytes, value 12 bytes',
              actual: `type ${lie.type}, key ${lie.keySize} bytes, value ${lie.valueSize} bytes`,
            },
            hint: expect.stringContaining('mapLayout(fd)'),
          });
      }
      expect(
        thrown(() => startMapUpdateBatch(stats.fd, u32(0), new Uint8Array(full), 1, lies[1] as typeof layout)),
      ).toMatchObject({ context: { field: 'layout' } });
      // The map's own layout still works, and the map is as it was.
      expect(mapLookup(stats.fd, u32(0), layout)).toEqual(new Uint8Array(full));
    } finally {
      stats.close();
    }
  });

  it("a map's layout is asked of the kernel for a reopened map, and forgotten when its descriptor closes", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-layout-'));
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
    try {
      const created = createMap(layout);
      pinObject(created.fd, join(dir, 'stats'));
      created.close();
      const reopened = getPinnedObject(join(dir, 'stats'));
      const number = reopened.fd;
      expect(thrown(() => mapLookup(reopened.fd, u32(0), hash)).context).toMatchObject({
        field: 'layout',
        expected: 'type 6, key 4 bytes, value 12 bytes',
      });
      expect(mapLookup(reopened.fd, u32(0), layout)).toEqual(new Uint8Array(full));
      reopened.close();
      // The lowest free number comes back for the next map: its own layout counts, not the closed one's.
      using next = createMap(hash);
      expect(next.fd).toBe(number);
      expect(mapLookup(next.fd, u32(0), hash)).toBeUndefined();
      expect(thrown(() => mapLookup(next.fd, u32(0), layout)).context).toMatchObject({
        expected: 'type 1, key 4 bytes, value 8 bytes',
      });
    } finally {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the per-CPU values written by update come back by CPU', () => {
    using map = createMap(layout);
    const element = elementBytes(layout.type, layout.valueSize, 1);
    mapUpdate(map.fd, u32(1), element, layout);
    const back = mapLookup(map.fd, u32(1), layout) as Uint8Array;
    const perCpu = splitPerCpu(layout, back);
    expect(perCpu.length).toBe(possibleCpus());
    perCpu.forEach((value, cpu) => {
      expect(value).toEqual(element.subarray(cpu * 16, cpu * 16 + 12));
    });
  });
});
