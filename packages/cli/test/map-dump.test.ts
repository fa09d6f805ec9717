import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture } from '@bpfkit/fixtures';
import { createMap, type Fd, mapUpdate, perCpuStride, pinObject, possibleCpus } from '@bpfkit/syscall';
import { isPerCpuMapType } from '@bpfkit/uapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bpfUnavailable, u32 } from '../../syscall/test/kernel.js';
import {
  CGROUP_STORAGE_CASES,
  type CgroupStorageElement,
  cgroupStorageElement,
  DUMP_CASES,
  elementBytes,
  matrixMaxEntries,
} from '../../syscall/test/layout-matrix.js';
import { mapDump } from '../src/commands/map-dump.js';
import { hexBytes } from '../src/output.js';

const unavailable = bpfUnavailable();
const root = fileURLToPath(new URL('../../..', import.meta.url));
const KEYS = [0, 1, 2];

/** Bytes without BTF as `map dump --json` reads back: 1, 2, 4 or 8 as a little-endian unsigned integer, others hex. */
function plain(bytes: Uint8Array): unknown {
  if (![1, 2, 4, 8].includes(bytes.length)) return hexBytes(bytes);
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
  return Number(value);
}

/** What `map dump --json` must print for an element: for per-CPU maps one value per possible CPU. */
function rendered(type: number, valueSize: number, element: Uint8Array): unknown {
  if (!isPerCpuMapType(type)) return plain(element);
  const stride = perCpuStride(valueSize);
  return Array.from({ length: possibleCpus() }, (_, cpu) =>
    plain(element.subarray(cpu * stride, cpu * stride + valueSize)),
  );
}

/** Runs `bpfkit map dump PATH --json` for every path in a child process with `ffi`; its { path: { status, output } }. */
function dumpInChild(ffi: string, paths: readonly string[]): Record<string, { status: number; output: string }> {
  const run = spawnSync('node', ['--expose-gc', '--import', 'tsx', 'packages/cli/test/dump-child.ts', ...paths], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BPFKIT_FFI: ffi, NO_COLOR: '1' },
  });
  expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  });
  return JSON.parse(run.stdout) as Record<string, { status: number; output: string }>;
}

describe.skipIf(unavailable !== undefined)('bpfkit map dump of a pinned map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-dump-'));
  const maps: Fd[] = [];
  const pins = DUMP_CASES.map(([name, type, size]) => ({ path: join(dir, `${name}_${size}`), type, size }));

  beforeAll(() => {
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
    for (const pin of pins) {
      const layout = { type: pin.type, keySize: 4, valueSize: pin.size, maxEntries: matrixMaxEntries(pin.type) };
      const map = createMap(layout);
      maps.push(map);
      for (const key of KEYS) mapUpdate(map.fd, u32(key), elementBytes(pin.type, pin.size, key), layout);
      pinObject(map.fd, pin.path);
    }
  });
  afterAll(() => {
    for (const map of maps) map.close();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['koffi', 'ffi-napi'])(
    'with %s: every map type and value size, every CPU value, and the process exits 0',
    (ffi) => {
      const results = dumpInChild(
        ffi,
        pins.map((p) => p.path),
      );
      for (const pin of pins) {
        const result = results[pin.path];
        expect({ path: pin.path, status: result?.status }).toEqual({ path: pin.path, status: 0 });
        const rows = (JSON.parse(result?.output ?? '[]') as { key: number; value: unknown }[]).sort(
          (a, b) => a.key - b.key,
        );
        // Arrays hold every index; the untouched one reads as zeros.
        const keys = pin.type === 2 || pin.type === 6 ? [...KEYS, 3] : KEYS;
        expect(rows).toEqual(
          keys.map((key) => ({
            key,
            value: rendered(
              pin.type,
              pin.size,
              KEYS.includes(key)
                ? elementBytes(pin.type, pin.size, key)
                : new Uint8Array(elementBytes(pin.type, pin.size, key).length),
            ),
          })),
        );
      }
    },
    120_000,
  );
});

describe.skipIf(unavailable !== undefined)('bpfkit map dump of pinned cgroup storage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-dump-storage-'));
  const storages: { path: string; type: number; size: number; storage: CgroupStorageElement }[] = [];

  beforeAll(() => {
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
    for (const [name, type, size] of CGROUP_STORAGE_CASES) {
      const storage = cgroupStorageElement(type, size);
      const path = join(dir, `${name}_${size}`);
      storages.push({ path, type, size, storage });
      pinObject(storage.map.fd, path);
    }
  });
  afterAll(() => {
    for (const { storage } of storages) storage.close();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['koffi', 'ffi-napi'])(
    'with %s: the element a program made, every CPU value of the per-CPU kind, and the process exits 0',
    (ffi) => {
      const results = dumpInChild(
        ffi,
        storages.map((s) => s.path),
      );
      for (const { path, type, size, storage } of storages) {
        expect({ path, status: results[path]?.status }).toEqual({ path, status: 0 });
        const key = Number(new DataView(storage.key.buffer).getBigUint64(0, true));
        expect(JSON.parse(results[path]?.output ?? '[]')).toEqual([
          { key, value: rendered(type, size, storage.written) },
        ]);
      }
    },
    120_000,
  );
});

describe.skipIf(unavailable !== undefined)('bpfkit map dump of an object', () => {
  it('decodes a per-CPU map through BTF, one value per possible CPU, like the pinned dump', () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((text: string) => {
      printed.push(text);
    });
    try {
      expect(mapDump(fixture('percpu_maps').path, 'per_cpu_stats', { json: true })).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const zero = { packets: 0, bytes: 0, drops: 0 };
    expect(JSON.parse(printed.join('\n'))).toEqual(
      [0, 1, 2, 3].map((key) => ({ key, value: Array.from({ length: possibleCpus() }, () => zero) })),
    );
  });

  it('shows program slots by id, an empty slot as null, keys as numbers, as a pin of the same map shows them', () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((text: string) => {
      printed.push(text);
    });
    try {
      expect(mapDump(fixture('prog_array').path, 'jump_table', { json: true })).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const rows = JSON.parse(printed.join('\n')) as { key: number; value: { progId: number } | null }[];
    expect(rows.map((r) => r.key)).toEqual(rows.map((_, i) => i));
    expect(rows.some((r) => r.value === null)).toBe(true);
    for (const row of rows) if (row.value !== null) expect(row.value.progId).toBeGreaterThan(0);
  });
});
