import { describe, expect, it } from 'vitest';
import {
  AttachType,
  attachTypeName,
  BpfCommand,
  commandName,
  isMapInMapType,
  isPerCpuMapType,
  MapType,
  mapTypeName,
  ProgramType,
  programTypeName,
} from '../src/index.js';

describe('enumerator names', () => {
  it('name each value without its prefix, bpf(2) commands with theirs', () => {
    expect(mapTypeName(MapType.ARRAY_OF_MAPS)).toBe('ARRAY_OF_MAPS');
    expect(programTypeName(ProgramType.XDP)).toBe('XDP');
    expect(attachTypeName(AttachType.TCX_INGRESS)).toBe('TCX_INGRESS');
    expect(commandName(BpfCommand.MAP_CREATE)).toBe('BPF_MAP_CREATE');
  });

  it("prefer the kernel's current name to a deprecated alias of the same value, and the first of two aliases", () => {
    expect(MapType.CGROUP_STORAGE_DEPRECATED).toBe(MapType.CGROUP_STORAGE);
    expect(mapTypeName(MapType.CGROUP_STORAGE)).toBe('CGROUP_STORAGE');
    expect(mapTypeName(MapType.PERCPU_CGROUP_STORAGE)).toBe('PERCPU_CGROUP_STORAGE');
    expect(BpfCommand.PROG_RUN).toBe(BpfCommand.PROG_TEST_RUN);
    expect(commandName(BpfCommand.PROG_RUN)).toBe('BPF_PROG_TEST_RUN');
  });

  it('say so for values the kernel enums do not hold, and for no attach type', () => {
    expect(mapTypeName(999)).toBe('UNKNOWN(999)');
    expect(programTypeName(-1)).toBe('UNKNOWN(-1)');
    expect(attachTypeName(999)).toBe('UNKNOWN(999)');
    expect(attachTypeName(undefined)).toBe('none');
    expect(commandName(999)).toBe('bpf command 999');
  });
});

describe('map kinds', () => {
  it('count as per-CPU exactly the map types the kernel names PERCPU', () => {
    const perCpu = Object.entries(MapType).filter(([, type]) => isPerCpuMapType(type));
    const named = Object.entries(MapType).filter(([name]) => name.includes('PERCPU'));
    expect(perCpu).toEqual(named);
    expect(isPerCpuMapType(MapType.PERCPU_ARRAY)).toBe(true);
    expect(isPerCpuMapType(MapType.ARRAY)).toBe(false);
  });

  it('count as map-in-map the two types whose slots hold maps', () => {
    const types = Object.values(MapType).filter(isMapInMapType);
    expect(types).toEqual([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);
  });
});
