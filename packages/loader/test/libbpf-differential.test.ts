import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fixture,
  libbpfComparableFixtures,
  mapNameById,
  newestLibbpfFixtures,
  normalizeXlated,
  requireTool,
} from '@bpfkit/fixtures';
import {
  backgroundBatchesSettled,
  getPinnedObject,
  type MapInfo,
  mapInfo,
  type ProgramInfo,
  programInfo,
} from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, privateBpffs } from './kernel.js';
import { thrown } from './thrown.js';

const unavailable = bpfUnavailable();
const bpftool = requireTool('bpftool', 'bpftool', 'version');

/** What MAP_CREATE gave a map, as both loaders should give it (BTF ids are the object's own). */
function createdAs(info: MapInfo) {
  const { name, type, keySize, valueSize, maxEntries, flags, btfKeyTypeId, btfValueTypeId, mapExtra } = info;
  const { btfVmlinuxValueTypeId } = info;
  return {
    name,
    type,
    keySize,
    valueSize,
    maxEntries,
    flags,
    btfKeyTypeId,
    btfValueTypeId,
    btfVmlinuxValueTypeId,
    mapExtra,
  };
}

/**
 * Loads `path` with libbpf (`tool prog loadall`, pinning programs and maps under `dir`) and
 * with bpfkit, and expects the same programs with identical translated instructions (map ids
 * normalised) and the same maps created with the same attributes.
 */
function compareWithLibbpf(tool: string, path: string, dir: string): void {
  const progs = join(dir, 'progs');
  const pins = join(dir, 'pins');
  mkdirSync(pins, { recursive: true });
  mkdirSync(join(dir, 'ours'));
  const run = spawnSync(tool, ['prog', 'loadall', path, progs, 'pinmaps', pins], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  using ours = BpfObject.open(path, { pinRoot: join(dir, 'ours') });
  ours.load();
  const theirPrograms = readdirSync(progs);
  expect(theirPrograms.sort()).toEqual(
    ours.programs
      .filter((p) => p.autoload)
      .map((p) => p.name)
      .sort(),
  );
  for (const program of theirPrograms) {
    const pinned = getPinnedObject(join(progs, program));
    try {
      // The instructions, and the maps each program holds (read-only data is bound to every program).
      const seen = (info: ProgramInfo) => ({
        program,
        xlated: normalizeXlated(info.xlated as Uint8Array, mapNameById),
        maps: info.mapIds.map(mapNameById).sort(),
      });
      const theirs = seen(programInfo(pinned.fd, { xlated: true }));
      expect(seen(ours.program(program).info({ xlated: true }))).toEqual(theirs);
    } finally {
      pinned.close();
    }
  }
  const theirMaps = readdirSync(pins).map((file) => {
    const pinned = getPinnedObject(join(pins, file));
    try {
      return createdAs(mapInfo(pinned.fd));
    } finally {
      pinned.close();
    }
  });
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const ourMaps = ours.maps.map((m) => createdAs(ours.map(m.name).info()));
  expect(ourMaps.sort(byName)).toEqual(theirMaps.sort(byName));
}

describe.skipIf(unavailable !== undefined || !bpftool)('bpfkit loads what libbpf loads (bpftool prog loadall)', () => {
  let bpffs: ReturnType<typeof privateBpffs>;
  beforeAll(() => {
    bpffs = privateBpffs();
  });
  afterAll(() => bpffs.unmount());

  const fixtures = libbpfComparableFixtures();

  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: identical translated instructions (map ids normalised) and map attributes',
    (name, f) => compareWithLibbpf('bpftool', f.path, join(bpffs.dir, name)),
  );

  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: fd_array map references translate to the same instructions as fds',
    (_name, f) => {
      const translated = (mapReferences: 'fd' | 'fd-array') => {
        using object = BpfObject.open(f.path, { mapReferences });
        object.load();
        return object.programs
          .filter((p) => p.autoload)
          .map((p) => normalizeXlated(object.program(p.name).info({ xlated: true }).xlated as Uint8Array, mapNameById));
      };
      const byFd = translated('fd');
      expect(byFd.flat().some((line) => line.startsWith('ld_imm64 map'))).toBe(true);
      expect(translated('fd-array')).toEqual(byFd);
    },
  );

  it('percpu_inner (kernels differ on it): bpfkit loads it exactly when libbpf does, else names the slot and why', async () => {
    const f = fixture('percpu_inner');
    expect(f.kernelDependent).toBeDefined();
    const dir = join(bpffs.dir, 'percpu_inner-probe');
    const theirs = spawnSync('bpftool', ['prog', 'loadall', f.path, dir], { encoding: 'utf8' });
    if (theirs.status === 0) {
      compareWithLibbpf('bpftool', f.path, join(bpffs.dir, 'percpu_inner'));
      return;
    }
    // libbpf refuses the slot write, not the maps or the program.
    expect(theirs.stderr).toMatch(/counter_sets.*failed to initialize slot \[1\].*-22/);
    const before = openFdCount();
    const error = thrown(() => BpfObject.open(f.path).load());
    expect(error).toBeInstanceOf(LoadError);
    const refused = error as LoadError;
    expect(refused.step).toBe('fill-slots');
    expect(refused.context).toMatchObject({ map: 'counter_sets', slot: 1, target: 'wide_counters', errno: 'EINVAL' });
    expect(refused.hint).toContain('max_entries 4 where the prototype has 1');
    // A slot batch the load handed to a worker holds a descriptor until the worker is done.
    await backgroundBatchesSettled();
    expect(openFdCount()).toBe(before);
  });

  /** Runs every program of a fixture once, bpftool's copy then ours, and returns both `.bss` contents. */
  function bssAfterRuns(name: string): { theirs: Uint8Array; mine: Uint8Array } {
    const f = fixture(name);
    const progs = join(bpffs.dir, `${name}-run-progs`);
    const pins = join(bpffs.dir, `${name}-run-pins`);
    mkdirSync(pins);
    execFileSync('bpftool', ['prog', 'loadall', f.path, progs, 'pinmaps', pins]);
    const packet = join(tmpdir(), `bpfkit-packet-${process.pid}`);
    writeFileSync(packet, new Uint8Array(64));
    for (const program of readdirSync(progs))
      execFileSync('bpftool', ['prog', 'run', 'pinned', join(progs, program), 'data_in', packet]);
    const bss = readdirSync(pins).find((m) => m.endsWith('_bss')) as string;
    const dump = JSON.parse(
      execFileSync('bpftool', ['-j', 'map', 'dump', 'pinned', join(pins, bss)], { encoding: 'utf8' }),
    );
    const theirs = Uint8Array.from((dump[0].value as string[]).map((b) => Number.parseInt(b, 16)));

    using ours = BpfObject.open(f.path);
    ours.load();
    for (const program of ours.programs) ours.program(program.name).testRun({ data: new Uint8Array(64) });
    const mine = ours.map('.bss').lookup(new Uint8Array(4)) as Uint8Array;
    expect(readFileSync(packet).length).toBe(64);
    return { theirs, mine };
  }

  it('CO-RE values equal libbpf’s on this kernel', () => {
    const { theirs, mine } = bssAfterRuns('core');
    expect([...mine]).toEqual([...theirs]);
    // And the values are what they should be: flavored types resolved, missing ones not.
    const value = (i: number) => Number(new DataView(mine.buffer).getBigUint64(i * 8, true));
    expect([value(6), value(7), value(12), value(13), value(17), value(18)]).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('CO-RE cases libbpf decides its own way give libbpf’s values', () => {
    const { theirs, mine } = bssAfterRuns('core_cases');
    const view = new DataView(mine.buffer, mine.byteOffset);
    const values = (bytes: Uint8Array) =>
      Array.from({ length: bytes.length / 8 }, (_, i) =>
        new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(i * 8, true),
      );
    expect(values(mine)).toEqual(values(theirs));
    // Negative enumerators, a typedef'd enum (the kernel's SS_CONNECTED is 3), anonymous
    // members found by name, and TYPE_MATCHES through a pointer.
    expect([0, 1, 2, 4].map((i) => view.getBigInt64(i * 8, true))).toEqual([-1n, -5n, -2147483648n, 3n]);
    expect(view.getBigInt64(12 * 8, true)).toBe(1n);
    expect(view.getBigInt64(15 * 8, true)).toBe(1n);
  });
});

/** A bpftool built with the newest libbpf (e.g. from its sources), for what Debian's cannot load. */
const newestBpftool = process.env.BPFKIT_BPFTOOL;

describe.skipIf(unavailable !== undefined || newestBpftool === undefined)(
  'bpfkit loads what the newest libbpf loads ($BPFKIT_BPFTOOL prog loadall)',
  () => {
    let bpffs: ReturnType<typeof privateBpffs>;
    beforeAll(() => {
      bpffs = privateBpffs();
    });
    afterAll(() => bpffs.unmount());

    it.each(newestLibbpfFixtures().map((f) => [f.name, f] as const))(
      '%s: identical translated instructions and map attributes',
      (name, f) => compareWithLibbpf(newestBpftool as string, f.path, join(bpffs.dir, name)),
    );
  },
);
