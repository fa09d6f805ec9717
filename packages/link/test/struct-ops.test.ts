import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { attachStructOps, LinkError, updateStructOps } from '../src/index.js';
import { buildCongestion, connectWithCongestion } from './binaries.js';

const unavailable = bpfUnavailable();
/** `BPF_LINK_TYPE_STRUCT_OPS`. */
const LINK_TYPE_STRUCT_OPS = 9;

describe.skipIf(unavailable !== undefined)('struct_ops: a TCP congestion control of our own', () => {
  let built: ReturnType<typeof buildCongestion>;
  let fdsBefore = 0;
  const connect = (name: string) => connectWithCongestion(built.path, name);
  const open = () => {
    const object = BpfObject.open(fixture('congestion_control').path);
    object.load();
    return object;
  };
  const counters = (object: BpfObject) => object.map('.bss').get(0) as Record<string, bigint>;
  const value = (object: BpfObject, map: string) => object.map(map).structOpsValue as Uint8Array;

  beforeAll(() => {
    fdsBefore = openFdCount();
    built = buildCongestion();
  });
  afterAll(() => {
    built.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('is chosen by sockets while a struct_ops link registers it, and runs for them', () => {
    using object = open();
    expect(connect('bpfkit_cc')).toMatch(/^refused: .*No such file/);
    {
      using link = attachStructOps(object.map('bpfkit_cc').fd, value(object, 'bpfkit_cc'));
      expect(link.kind).toBe('struct_ops');
      expect(link.info().type).toBe(LINK_TYPE_STRUCT_OPS);
      expect(connect('bpfkit_cc')).toBe('bpfkit_cc');
      const seen = counters(object);
      expect(seen.inits).toBeGreaterThanOrEqual(1n);
      expect(seen.cong_avoid_calls).toBeGreaterThan(0n);
      expect(seen.acked_packets).toBeGreaterThan(0n);
      // BPF_LINK_DETACH unregisters while the fd stays open.
      link.detach();
      expect(connect('bpfkit_cc')).toMatch(/^refused:/);
    }
    {
      using _again = attachStructOps(object.map('bpfkit_cc').fd, value(object, 'bpfkit_cc'));
      expect(connect('bpfkit_cc')).toBe('bpfkit_cc');
    }
    expect(connect('bpfkit_cc')).toMatch(/^refused:/);
  });

  it('a plain .struct_ops map registers by its value and unregisters on close, with no link fd', () => {
    using object = open();
    const link = attachStructOps(object.map('bpfkit_cc_plain').fd, value(object, 'bpfkit_cc_plain'));
    try {
      expect(link.fd).toBe(-1);
      expect(connect('bpfkit_cc_plain')).toBe('bpfkit_cc_plain');
      expect(counters(object).inits).toBeGreaterThanOrEqual(1n);
    } finally {
      link.close();
    }
    expect(connect('bpfkit_cc_plain')).toMatch(/^refused:/);
  });

  it('a link moves to another map of the same struct: new sockets run the new programs', () => {
    using first = open();
    using second = open();
    using link = attachStructOps(first.map('bpfkit_cc').fd, value(first, 'bpfkit_cc'));
    expect(connect('bpfkit_cc')).toBe('bpfkit_cc');
    const before = counters(first).inits as bigint;
    // Only from the map it holds: naming another as the expected one is refused.
    expect(() =>
      updateStructOps(link, second.map('bpfkit_cc').fd, value(second, 'bpfkit_cc'), second.map('bpfkit_cc').fd),
    ).toThrow(expect.objectContaining({ code: 'kernel' }));
    updateStructOps(link, second.map('bpfkit_cc').fd, value(second, 'bpfkit_cc'), first.map('bpfkit_cc').fd);
    expect(connect('bpfkit_cc')).toBe('bpfkit_cc');
    expect(counters(first).inits).toBe(before);
    expect(counters(second).inits).toBeGreaterThanOrEqual(1n);
  });

  it('a second algorithm of the same name is refused (EEXIST), leaving nothing open', () => {
    using first = open();
    using second = open();
    using _link = attachStructOps(first.map('bpfkit_cc').fd, value(first, 'bpfkit_cc'));
    const before = openFdCount();
    let error: unknown;
    try {
      attachStructOps(second.map('bpfkit_cc').fd, value(second, 'bpfkit_cc'));
    } catch (caught) {
      error = caught;
    }
    expect(LinkError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'kernel',
      context: { kind: 'struct_ops', target: 'bpfkit_cc', errno: 'EEXIST' },
    });
    expect((error as Error).message).toContain('create the struct_ops link');
    expect(openFdCount()).toBe(before);
  });

  it("attachAll registers every struct_ops map, as a skeleton's attach does, and the object's close unregisters them", () => {
    const object = open();
    try {
      const links = object.attachAll();
      // One struct_ops link (.struct_ops.link) and one registration by value (.struct_ops); no program is attached alone.
      expect(links.map((l) => [l.kind, l.fd >= 0])).toEqual([
        ['struct_ops', true],
        ['struct_ops', false],
      ]);
      expect(links[0]?.info().type).toBe(LINK_TYPE_STRUCT_OPS);
      expect(connect('bpfkit_cc')).toBe('bpfkit_cc');
      expect(connect('bpfkit_cc_plain')).toBe('bpfkit_cc_plain');
      expect(counters(object).inits).toBeGreaterThanOrEqual(2n);
    } finally {
      object.close();
    }
    expect(connect('bpfkit_cc')).toMatch(/^refused:/);
    expect(connect('bpfkit_cc_plain')).toMatch(/^refused:/);
  });

  it('attachAll closes what it registered when a struct_ops map is refused', () => {
    using first = open();
    using _taken = attachStructOps(first.map('bpfkit_cc_plain').fd, value(first, 'bpfkit_cc_plain'));
    using second = open();
    const before = openFdCount();
    expect(() => second.attachAll()).toThrow(
      expect.objectContaining({ code: 'kernel', context: expect.objectContaining({ target: 'bpfkit_cc_plain' }) }),
    );
    // The .struct_ops.link map registered first was unregistered again: its name is free.
    expect(openFdCount()).toBe(before);
    expect(connect('bpfkit_cc')).toMatch(/^refused:/);
    expect(connect('bpfkit_cc_plain')).toBe('bpfkit_cc_plain');
  });

  it('another map type is refused before any kernel write', () => {
    using object = open();
    expect(() => attachStructOps(object.map('.bss').fd, new Uint8Array(4))).toThrow(
      expect.objectContaining({ code: 'bad-target', problem: 'map type 2 is not BPF_MAP_TYPE_STRUCT_OPS (26)' }),
    );
  });
});
