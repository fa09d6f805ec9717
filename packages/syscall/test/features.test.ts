import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  attachCookieSupported,
  batchSupported,
  batchUpdateSupported,
  btfFeatures,
  btfKindSupported,
  helperSupported,
  linkAttachTypeSupported,
  mapTypeSupported,
  mmapableArraysSupported,
  programTypeSupported,
  uprobeMultiLinkSupported,
} from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();
const config = (() => {
  try {
    return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    return '';
  }
})();

describe.skipIf(unavailable !== undefined)('feature probes on the running 6.18 kernel', () => {
  it('find every map type up to ARENA and reject unknown ones', () => {
    for (let type = 1; type <= 33; type++) expect({ type, ok: mapTypeSupported(type) }).toEqual({ type, ok: true });
    expect(mapTypeSupported(0)).toBe(false);
    expect(mapTypeSupported(250)).toBe(false);
  });

  it('find the program types that load without an attach target', () => {
    for (const type of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 16, 17, 18, 21, 22, 23, 24, 25, 30, 31, 32]) {
      expect({ type, ok: programTypeSupported(type) }).toEqual({ type, ok: true });
    }
    expect(programTypeSupported(20)).toBe(/^CONFIG_BPF_LIRC_MODE2=y/m.test(config));
    expect(programTypeSupported(250)).toBe(false);
  });

  it('find helpers per program type', () => {
    expect(helperSupported(6, 1)).toBe(true); // XDP may look up maps
    expect(helperSupported(1, 44)).toBe(false); // socket filters may not call bpf_xdp_adjust_head
    expect(helperSupported(6, 99999)).toBe(false);
    expect(attachCookieSupported()).toBe(true);
  });

  it('find every BTF kind', () => {
    for (let kind = 1; kind <= 19; kind++) expect({ kind, ok: btfKindSupported(kind) }).toEqual({ kind, ok: true });
    expect(btfKindSupported(25)).toBe(false);
    expect(btfFeatures()).toEqual({
      datasec: true,
      func: true,
      globalFunc: true,
      float: true,
      declTag: true,
      typeTag: true,
      enum64: true,
    });
  });

  it('find batch ops, mmapable arrays and link types', () => {
    expect(batchSupported(1)).toBe(true);
    // Map-in-map types take batch updates (what the loader writes slots with) on 6.x.
    expect([1, 2, 12, 13].map(batchUpdateSupported)).toEqual([true, true, true, true]);
    expect(batchUpdateSupported(27 /* RINGBUF: no element updates at all */)).toBe(false);
    expect(mmapableArraysSupported()).toBe(true);
    expect(linkAttachTypeSupported(46)).toBe(true);
    expect(linkAttachTypeSupported(54)).toBe(/^CONFIG_NETKIT=y/m.test(config));
    expect(linkAttachTypeSupported(999)).toBe(false);
  });

  it('find uprobe_multi links with process filtering (6.18 has them; libbpf then loads usdt with UPROBE_MULTI)', () => {
    expect(uprobeMultiLinkSupported()).toBe(/^CONFIG_UPROBES=y/m.test(config));
  });

  it('cache their answers', () => {
    const first = mapTypeSupported(27);
    expect(mapTypeSupported(27)).toBe(first);
  });
});
