import { readFileSync } from 'node:fs';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  addressFileOffset,
  attachUprobe,
  attachUprobeMulti,
  binaryElf,
  functionFileOffset,
  LinkError,
  matchingFunctions,
  openProbedBinary,
  resolveBinaryPath,
  tracefsRoot,
} from '../src/index.js';
import { buildProbed, probedUnavailable, runProbed } from './binaries.js';

const skip = bpfUnavailable() ?? probedUnavailable();

describe.skipIf(skip !== undefined)('uprobes on a binary we build', () => {
  let obj: BpfObject;
  let built: ReturnType<typeof buildProbed>;
  let fdsBefore = 0;
  const hits = () => (obj.map('.bss').get(0) as { hits: bigint[] }).hits.map(Number);
  const reset = () => obj.map('.bss').set(0, { hits: Array(8).fill(0n) });

  beforeAll(() => {
    fdsBefore = openFdCount();
    built = buildProbed();
    obj = BpfObject.open(fixture('link_kinds').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    built.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it.each(['pie', 'noPie'] as const)(
    'count each call of a function by name (%s), per cookie, until closed',
    (which) => {
      reset();
      const path = built[which];
      const fd = obj.program('on_uprobe').fd;
      const entry = attachUprobe(fd, path, { function: 'bpfkit_target', cookie: 1n });
      const exit = attachUprobe(obj.program('on_uretprobe').fd, path, {
        function: 'bpfkit_target',
        retprobe: true,
        cookie: 2n,
      });
      runProbed(path, 5);
      expect(hits().slice(0, 3)).toEqual([0, 5, 5]);
      entry.close();
      exit.close();
      runProbed(path, 5);
      expect(hits().slice(0, 3)).toEqual([0, 5, 5]);
    },
  );

  it('resolve names to the file offsets the symbol table gives, weak symbols too', () => {
    const elf = binaryElf(built.noPie);
    const symbol = elf.symbols.find((s) => s.name === 'bpfkit_weak');
    if (symbol === undefined) throw new Error('no bpfkit_weak');
    // Non-PIE: addresses start at 0x400000, offsets do not.
    expect(symbol.value).toBeGreaterThan(0x400000);
    expect(functionFileOffset(built.noPie, 'bpfkit_weak', {})).toBe(symbol.value - 0x400000);
  });

  it('find shared libraries through the search path and filter by pid', async () => {
    reset();
    const { default: koffi } = await import('koffi');
    const getppid = koffi.load('libc.so.6').func('int getppid()');
    const fd = obj.program('on_uprobe').fd;
    expect(resolveBinaryPath('libc.so.6', {})).toMatch(/^\/.*\/libc\.so\.6$/);
    using mine = attachUprobe(fd, 'libc.so.6', { function: 'getppid', pid: process.pid, cookie: 3n });
    using others = attachUprobe(fd, 'libc.so.6', { function: 'getppid', pid: 1, cookie: 4n });
    for (let i = 0; i < 4; i++) getppid();
    expect(hits()[3]).toBe(4);
    expect(hits()[4]).toBe(0);
    expect([mine.kind, others.kind]).toEqual(['uprobe', 'uprobe']);
  });

  it('raise a USDT semaphore while attached (ref_ctr_offset)', () => {
    const probed = openProbedBinary(built.pie, {});
    const semaphore = probed.elf.symbols.find((s) => s.name === 'bpfkit_done_semaphore');
    if (semaphore === undefined) throw new Error('no semaphore');
    const refCtrOffset = addressFileOffset(probed, BigInt(semaphore.value), {});
    expect(runProbed(built.pie, 1)).toBe(0);
    {
      using _link = attachUprobe(obj.program('on_uprobe').fd, built.pie, { function: 'bpfkit_weak', refCtrOffset });
      expect(runProbed(built.pie, 1)).toBe(3);
    }
    expect(runProbed(built.pie, 1)).toBe(0);
  });

  it('fall back to tracefs uprobe_events, removing the probe on close', () => {
    reset();
    const events = () => readFileSync(`${tracefsRoot('test')}/uprobe_events`, 'utf8');
    const link = attachUprobe(obj.program('on_uprobe').fd, built.pie, {
      function: 'bpfkit_target',
      legacy: true,
      cookie: 5n,
    });
    expect(events()).toContain(`bpfkit_${process.pid}_`);
    runProbed(built.pie, 3);
    expect(hits()[5]).toBe(3);
    link.close();
    expect(events()).not.toContain(`bpfkit_${process.pid}_`);
  });

  it('one uprobe.multi link on every function a glob matches, a cookie each, returns too', () => {
    reset();
    const matched = matchingFunctions(built.noPie, 'bpfkit_*');
    expect(matched.map((f) => f.name).sort()).toEqual(['bpfkit_target', 'bpfkit_weak']);
    const cookies = matched.map((f) => (f.name === 'bpfkit_target' ? 1n : 2n));
    const fd = obj.program('on_uprobe_multi').fd;
    using entries = attachUprobeMulti(fd, built.noPie, { pattern: 'bpfkit_*', cookies });
    using returns = attachUprobeMulti(fd, built.noPie, {
      functions: ['bpfkit_target'],
      cookies: [3n],
      retprobe: true,
    });
    runProbed(built.noPie, 4);
    expect(hits().slice(0, 4)).toEqual([0, 4, 1, 4]);
    expect([entries.info().type, returns.kind]).toEqual([12 /* BPF_LINK_TYPE_UPROBE_MULTI */, 'uretprobe.multi']);
    expect(() => attachUprobeMulti(fd, built.noPie, { pattern: 'nothing_*' })).toThrow(/nothing to probe/);
    expect(() => attachUprobeMulti(fd, built.noPie, { pattern: 'bpfkit_*', cookies: [1n] })).toThrow(
      /1 cookies for 2 probes/,
    );
  });

  it('the loader attaches uprobe.multi/<path>:<glob> sections through the same link', () => {
    reset();
    using link = obj.program('on_uprobe_multi').attach({ target: `${built.pie}:bpfkit_t*` });
    runProbed(built.pie, 3);
    expect(hits()[0]).toBe(3);
    expect(link.kind).toBe('uprobe.multi');
  });

  it('a uprobe.multi link filtered by pid sees only that process', () => {
    reset();
    using _link = attachUprobeMulti(obj.program('on_uprobe_multi').fd, built.pie, {
      functions: ['bpfkit_target'],
      cookies: [7n],
      pid: process.pid,
    });
    runProbed(built.pie, 4);
    expect(hits()[7]).toBe(0);
  });

  it('say which binary or function is missing, and when a name is ambiguous', () => {
    const fd = obj.program('on_uprobe').fd;
    const failure = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        if (LinkError.is(error)) return { code: error.code, message: error.message };
        throw error;
      }
      throw new Error('did not fail');
    };
    expect(failure(() => attachUprobe(fd, '/nonexistent/bin'))).toEqual({
      code: 'not-found',
      message: "uprobe '/nonexistent/bin': no file '/nonexistent/bin'",
    });
    expect(failure(() => attachUprobe(fd, 'libbpfkit-none.so.1'))).toMatchObject({ code: 'not-found' });
    expect(failure(() => attachUprobe(fd, built.pie, { function: 'no_such_function' }))).toEqual({
      code: 'not-found',
      message: `uprobe '${built.pie}:no_such_function': no function 'no_such_function' in '${built.pie}'`,
    });
  });
});
