import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, loadableFixtures } from '@bpfkit/fixtures';
import { Errno, getBackend, PROG_LOAD_ATTEMPTS, setBackend } from '@bpfkit/syscall';
import { BpfCommand } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, privateBpffs } from './kernel.js';
import { recordingBackend, stillAlive } from './recording-backend.js';

const unavailable = bpfUnavailable();

/** The two ways to load, which must fail alike: in place, and with program loads on a pool thread. */
const loads = {
  load: async (obj: BpfObject) => obj.load(),
  loadAsync: (obj: BpfObject) => obj.loadAsync(),
} as const;

describe.skipIf(unavailable !== undefined)('every failure path closes what it opened', () => {
  it('a verifier rejection names the instruction and the source line', () => {
    const before = openFdCount();
    const obj = BpfObject.open(fixture('bad_verifier').path);
    try {
      obj.load();
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error)).toBe(true);
      const e = error as LoadError;
      expect(e.step).toBe('load-program');
      expect(e.context).toMatchObject({ program: 'unchecked', errno: 'EACCES' });
      expect(e.context.source).toMatchObject({ line: 20, text: expect.stringContaining('*value += 1') });
      expect(e.message).toMatch(
        /prog 'unchecked': BPF program load failed: EACCES at insn \d+ \(bad_verifier\.bpf\.c:20: \*value \+= 1; \/\* no NULL check \*\/\): .*map_value_or_null/,
      );
    }
    expect(openFdCount()).toBe(before);
  });

  it('a map the kernel refuses names the map and errno, and leaves nothing behind', async () => {
    const before = openFdCount();
    const recorder = recordingBackend(getBackend(), -1, 0);
    setBackend(recorder);
    try {
      const obj = BpfObject.open(fixture('map_in_map').path);
      // The last map created (not a slot target, so no validator catches it first).
      const bss = obj.maps.find((m) => m.section === '.bss');
      if (bss) bss.type = 9999;
      obj.load();
      expect.unreachable();
    } catch (error) {
      expect((error as LoadError).step).toBe('create-map');
      expect((error as LoadError).context).toMatchObject({ map: 'map_in_m.bss', errno: 'EINVAL' });
      // The map is named once: the wrapper adds its context in front of the syscall error's.
      expect((error as LoadError).message.match(/map 'map_in_m\.bss'/g)).toHaveLength(1);
      expect((error as LoadError).message).toContain(
        "object 'map_in_map.el.o': map 'map_in_m.bss': failed to create: BPF_MAP_CREATE failed: EINVAL",
      );
    } finally {
      setBackend(recorder.real);
    }
    expect(recorder.created.length).toBeGreaterThan(3);
    expect(openFdCount()).toBe(before);
    expect(await stillAlive(recorder.created)).toEqual([]);
  });

  it('a slot the kernel refuses names the outer map, slot and target', () => {
    const obj = BpfObject.open(fixture('map_in_map').path);
    // Make the target differ from the prototype in a way the validator does not know to check.
    const target = obj.maps.find((m) => m.name === 'inner_map1');
    if (target) target.numaNode = 0;
    const outer = obj.maps.find((m) => m.name === 'outer_hash');
    if (outer?.inner) outer.inner.valueSize = 4;
    obj.load();
    obj.close();
    const broken = BpfObject.open(fixture('map_in_map').path);
    const prototype = broken.maps.find((m) => m.name === 'outer_hash')?.inner;
    if (prototype) prototype.flags = 0x1000;
    // BPF_F_INNER_MAP on the prototype only: the kernel refuses the slot (flags differ).
    const before = openFdCount();
    try {
      broken.load();
      expect.unreachable();
    } catch (error) {
      const e = error as LoadError;
      expect(e.step === 'open' || e.step === 'fill-slots').toBe(true);
      expect(e.message).toContain("map 'outer_hash'");
    }
    expect(openFdCount()).toBe(before);
  });

  it.each(['load', 'loadAsync'] as const)(
    'program loads the kernel interrupts (EAGAIN) are sent again as libbpf does: up to PROG_LOAD_ATTEMPTS, then the load fails closing everything (%s)',
    async (how) => {
      const real = getBackend();
      /** Answers EAGAIN to all but every `every`-th BPF_PROG_LOAD, in place and in the background alike. */
      const interrupting = (every: number) => {
        const counts = { sends: 0 };
        const interrupted = () => ++counts.sends % every !== 0;
        setBackend({
          ...real,
          bpf: (command, attr, size) =>
            command === BpfCommand.PROG_LOAD && interrupted() ? -Errno.EAGAIN : real.bpf(command, attr, size),
          bpfInBackground: (command, attr, size, done) =>
            command === BpfCommand.PROG_LOAD && interrupted()
              ? done(-Errno.EAGAIN)
              : real.bpfInBackground(command, attr, size, done),
        });
        return counts;
      };
      const before = openFdCount();
      try {
        // The last of the attempts gets through: every program loads.
        const patient = interrupting(PROG_LOAD_ATTEMPTS);
        const obj = BpfObject.open(fixture('map_in_map').path);
        await loads[how](obj);
        const loaded = obj.programs.filter((p) => p.autoload).length;
        expect(loaded).toBeGreaterThan(0);
        expect(patient.sends).toBe(loaded * PROG_LOAD_ATTEMPTS);
        obj.close();
        // Always interrupted: the quiet load and the one with the verifier log each give up after the attempts.
        interrupting(Number.POSITIVE_INFINITY);
        const failing = BpfObject.open(fixture('map_in_map').path);
        await expect(loads[how](failing)).rejects.toMatchObject({
          step: 'load-program',
          context: expect.objectContaining({ errno: 'EAGAIN' }),
        });
      } finally {
        setBackend(real);
      }
      expect(openFdCount()).toBe(before);
    },
  );

  it.each(loadableFixtures().flatMap((f) => (['load', 'loadAsync'] as const).map((how) => [f.name, how, f] as const)))(
    'failing each bpf(2) call of loading %s (%s) in turn leaves no fd and no kernel object',
    async (_name, how, f) => {
      const real = getBackend();
      const bpffs = privateBpffs();
      const pinRoot = bpffs.dir;
      // A new bpffs may hold the kernel's own files (maps.debug, progs.debug): keep those.
      const builtIn = new Set(readdirSync(pinRoot));
      const unpin = () => {
        for (const name of readdirSync(pinRoot)) if (!builtIn.has(name)) rmSync(join(pinRoot, name));
      };
      // Count the calls of one clean load first.
      const counter = recordingBackend(real, -1, 0);
      setBackend(counter);
      try {
        const clean = BpfObject.open(f.path, { pinRoot });
        await loads[how](clean);
        clean.close();
      } finally {
        setBackend(real);
        unpin();
      }
      const total = counter.calls;
      expect(total).toBeGreaterThan(1);
      const before = openFdCount();
      const created = [...counter.created];
      for (let n = 1; n <= total; n++) {
        const faulty = recordingBackend(real, n, Errno.ENOMEM);
        setBackend(faulty);
        try {
          const obj = BpfObject.open(f.path, { pinRoot });
          try {
            await loads[how](obj);
            obj.close(); // the BTF load is optional: failing it is not fatal
          } catch (error) {
            expect(LoadError.is(error)).toBe(true);
            expect((error as LoadError).step).not.toBe('use');
            // Wrapping adds context instead of repeating it: no map or program is named twice,
            // not even by the kernel's truncated name.
            expect((error as LoadError).message).not.toMatch(/\b(map|prog) '[^']+'.*\b\1 '/);
          }
        } finally {
          setBackend(real);
          unpin();
        }
        created.push(...faulty.created);
        expect(openFdCount(), `after failing call ${n} of ${total}`).toBe(before);
      }
      bpffs.unmount();
      expect(created.length).toBeGreaterThan(total);
      expect(await stillAlive(created)).toEqual([]);
    },
    60_000,
  );
});
