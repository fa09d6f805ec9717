import { fixture } from '@bpfkit/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, readU32, u32 } from './kernel.js';

const unavailable = bpfUnavailable();
const XDP_PASS = 2;

describe.skipIf(unavailable !== undefined)('loading real objects into the kernel', () => {
  let fdsBefore = 0;
  beforeAll(() => {
    fdsBefore = openFdCount();
  });
  afterAll(() => {
    expect(openFdCount()).toBe(fdsBefore);
  });

  describe('the seed map-in-map object', () => {
    it('creates maps, fills slots and runs a program through outer → inner maps', () => {
      const lines: string[] = [];
      using obj = BpfObject.open(fixture('map_in_map').path, { logger: (line) => lines.push(line) });
      obj.load();

      // Slots read back as the ids of the maps they were set to.
      const id = (name: string) => obj.map(name).info().id;
      expect(readU32(obj.map('outer_arr').lookup(u32(0)))).toBe(id('inner_map1'));
      expect(obj.map('outer_arr').lookup(u32(1))).toBeUndefined();
      expect(readU32(obj.map('outer_arr').lookup(u32(2)))).toBe(id('inner_map2'));
      expect(readU32(obj.map('outer_hash').lookup(u32(0)))).toBe(id('inner_map2'));
      expect(readU32(obj.map('outer_hash').lookup(u32(4)))).toBe(id('inner_map1'));
      expect([...obj.map('outer_hash').keys()].map(readU32).sort()).toEqual([0, 4]);

      // The program writes input to outer_arr[0]'s inner map and input + 1 to outer_hash[0]'s.
      obj.map('.bss').update(u32(0), u32(41));
      const run = obj.program('handle').testRun({ data: new Uint8Array(64) });
      expect(run.retval).toBe(XDP_PASS);
      expect(readU32(obj.map('inner_map1').lookup(u32(0)))).toBe(41);
      expect(readU32(obj.map('inner_map2').lookup(u32(0)))).toBe(42);

      expect(lines).toContain(`map 'outer_hash': slot [4] set to map 'inner_map1' fd=${obj.map('inner_map1').fd}`);
      expect(lines.some((l) => /^map 'outer_hash.inner': prototype created, fd=\d+$/.test(l))).toBe(true);
      expect(lines).toContain("map 'outer_hash.inner': prototype closed");
      expect(lines.some((l) => l.startsWith("prog 'handle': loaded, fd="))).toBe(true);
    });

    it('creates each prototype before its outer map and closes it right after', () => {
      const lines: string[] = [];
      using obj = BpfObject.open(fixture('map_in_map').path, { logger: (line) => lines.push(line) });
      obj.load();
      const at = (text: string) => lines.findIndex((l) => l.startsWith(text));
      expect(at("map 'outer_hash.inner': prototype created")).toBeLessThan(at("map 'outer_hash': created"));
      expect(at("map 'outer_hash': created")).toBeLessThan(at("map 'outer_hash.inner': prototype closed"));
      expect(at("map 'outer_hash.inner': prototype closed")).toBeLessThan(at("map 'outer_hash': slot"));
    });

    it('exposes map attributes and kernel info', () => {
      using obj = BpfObject.open(fixture('map_in_map').path);
      obj.load();
      const outer = obj.map('outer_hash');
      expect(outer).toMatchObject({ name: 'outer_hash', type: 13, keySize: 4, valueSize: 4, maxEntries: 5, flags: 0 });
      expect(outer.info()).toMatchObject({ type: 13, maxEntries: 5, name: 'outer_hash' });
      expect(obj.program('handle').type).toBe(6);
    });
  });

  it('fills prog-array slots after program load and tail-calls through them', () => {
    const lines: string[] = [];
    using obj = BpfObject.open(fixture('prog_array').path, { logger: (line) => lines.push(line) });
    obj.load();
    const run = obj.program('dispatch').testRun({ data: new Uint8Array(64) });
    // dispatch → jump_table[1] = tail_one (hops += 1) → jump_table[3] = tail_three (hops += 10) → XDP_PASS
    expect(run.retval).toBe(XDP_PASS);
    expect(readU32(obj.map('.bss').lookup(u32(0)))).toBe(11);
    expect(lines.filter((l) => l.includes('set to prog'))).toEqual([
      `map 'jump_table': slot [1] set to prog 'tail_one' fd=${obj.program('tail_one').fd}`,
      `map 'jump_table': slot [3] set to prog 'tail_three' fd=${obj.program('tail_three').fd}`,
    ]);
  });

  describe('global data, subprograms and callbacks', () => {
    it('starts from the initial values and runs static, global and callback subprograms', () => {
      using obj = BpfObject.open(fixture('globals_subprogs').path);
      obj.load();
      expect(readU32(obj.map('.data').lookup(u32(0)))).toBe(7);
      expect(obj.map('.rodata').info().flags & 0x80).toBe(0x80);
      const run = obj.program('entry').testRun({ data: new Uint8Array(64) });
      expect(run.retval).toBe(XDP_PASS);
      // sum = 0+1+2+3 = 6; counter = add(7, scale(6)=6*10) + 42 + 'h'(104) = 7 + 60 + 42 + 104
      expect(readU32(obj.map('.data').lookup(u32(0)))).toBe(7 + 60 + 42 + 104);
      expect(readU32(obj.map('.bss').lookup(u32(0)))).toBe(6);
    });

    it('sets const volatile values before load', () => {
      using obj = BpfObject.open(fixture('globals_subprogs').path, { constants: { threshold: 3 } });
      obj.load();
      obj.program('entry').testRun({ data: new Uint8Array(64) });
      expect(readU32(obj.map('.data').lookup(u32(0)))).toBe(7 + 18 + 42 + 104);
      expect(() => obj.map('.rodata').update(u32(0), new Uint8Array(16))).toThrow(/EPERM/);
    });

    it('finds maps by variable, libbpf and section names', () => {
      using obj = BpfObject.open(fixture('globals_subprogs').path);
      obj.load();
      expect(obj.map('.data.custom').name).toBe('.data.custom');
      expect(obj.map('globals_.bss')).toBe(obj.map('.bss'));
      expect(() => obj.map('nope')).toThrow(/no map named 'nope'/);
    });
  });

  it('loads legacy maps, which libbpf 1.x refuses', () => {
    using obj = BpfObject.open(fixture('legacy_maps').path);
    obj.load();
    const run = obj.program('count_packets').testRun({ data: new Uint8Array(64) });
    expect(run.retval).toBe(0);
    expect(readU32(obj.map('legacy_hash').lookup(u32(0)))).toBe(1);
    // A socket filter's test run pulls the 14-byte Ethernet header: skb->len is 64 - 14.
    expect(readU32(obj.map('legacy_array').lookup(u32(0)))).toBe(50);
  });

  it('loads the selftest-like object with its 9 slots, differently sized inners included', () => {
    using obj = BpfObject.open(fixture('btf_map_in_map').path);
    obj.load();
    const id = (name: string) => obj.map(name).info().id;
    expect([0, 1, 2].map((i) => readU32(obj.map('outer_arr_dyn').lookup(u32(i))))).toEqual([
      id('inner_map3'),
      id('inner_map4'),
      id('inner_map5'),
    ]);
    expect(readU32(obj.map('outer_sparse').lookup(u32(63)))).toBe(id('inner_map2'));
  });

  describe('objects are used as designed', () => {
    it('refuses a second load and use after close', () => {
      const obj = BpfObject.open(fixture('map_in_map').path);
      expect(() => obj.map('outer_hash')).toThrow(/not loaded/);
      obj.load();
      expect(() => obj.load()).toThrow(LoadError);
      obj.close();
      obj.close();
      expect(() => obj.map('outer_hash')).toThrow(/closed/);
    });

    it('skips programs with autoload off', () => {
      using obj = BpfObject.open(fixture('prog_array').path);
      const plan = obj.programs.find((p) => p.name === 'dispatch');
      if (plan) plan.autoload = false;
      obj.load();
      expect(() => obj.program('dispatch')).toThrow(/no loaded program named 'dispatch'/);
    });
  });
});
