import { readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { MapType } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();

/** Start addresses of this process's mappings of an arena (the kernel names them `anon_inode:bpf-map`). */
function arenaMappings(): bigint[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('bpf-map'))
    .map((line) => BigInt(`0x${line.split('-')[0]}`));
}

describe.skipIf(unavailable !== undefined)('arena maps and __arena globals', () => {
  it('programs read and write __arena globals, which start with their initial values', () => {
    using object = BpfObject.open(fixture('arena').path);
    expect(object.maps.find((m) => m.name === 'arena')?.arenaGlobals?.length).toBe(16);
    object.load();
    expect(object.map('arena').info().type).toBe(MapType.ARENA);
    // counter starts at 5 (copied into the arena), each run adds one.
    expect(object.program('bump').testRun().retval).toBe(6);
    expect(object.program('bump').testRun().retval).toBe(7);
  });

  it('the arena is mapped at map_extra while the object lives, and unmapped when it closes', () => {
    const address = 1n << 44n;
    const object = BpfObject.open(fixture('arena').path);
    object.load();
    expect(arenaMappings()).toContain(address);
    object.close();
    expect(arenaMappings()).not.toContain(address);
  });

  it('without map_extra the kernel picks the address, and programs still load and run', () => {
    using object = BpfObject.open(fixture('arena').path);
    const spec = object.maps.find((m) => m.name === 'arena');
    if (spec === undefined) throw new Error('no arena map');
    spec.mapExtra = 0n;
    object.load();
    expect(arenaMappings()).not.toContain(1n << 44n);
    expect(object.program('bump').testRun().retval).toBe(6);
  });
});
