import { fixture } from '@bpfkit/fixtures';
import { BpfCommand } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { countedCommands } from './counted-commands.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();

describe.skipIf(unavailable !== undefined)('the calls a load makes', () => {
  it('a load after the first sends what libbpf sends: no feature probe again, no map info read back', () => {
    // The first load of the process probes the kernel; the ones after reuse what it found.
    const first = BpfObject.open(fixture('globals_subprogs').path);
    first.load();
    first.close();
    using object = BpfObject.open(fixture('globals_subprogs').path);
    const programs = object.programs.length;
    const sent = countedCommands(() => object.load());
    expect(sent.get(BpfCommand.BTF_LOAD)).toBe(1); // the object's BTF, no probe
    expect(sent.get(BpfCommand.MAP_CREATE)).toBe(object.maps.length);
    expect(sent.get(BpfCommand.PROG_LOAD)).toBe(programs);
    expect(sent.get(BpfCommand.PROG_BIND_MAP)).toBeGreaterThanOrEqual(programs); // read-only data stays bound
    expect(sent.get(BpfCommand.OBJ_GET_INFO_BY_FD)).toBeUndefined();
    // A map's sizes are read from the kernel when first needed, once.
    const map = object.map('.rodata');
    if (map.spec.initialData === undefined) throw new Error('.rodata has no initial value');
    const reads = countedCommands(() => {
      expect([map.keySize, map.valueSize, map.lookupSize]).toEqual([4, map.spec.valueSize, map.spec.valueSize]);
      expect(map.lookup(new Uint8Array(4))).toEqual(map.spec.initialData);
    });
    expect(reads.get(BpfCommand.OBJ_GET_INFO_BY_FD)).toBe(1);
  });
});
