import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ElfSymbol } from '@bpfkit/elf';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  attachUsdt,
  clearBinaryCache,
  functionFileOffset,
  globMatcher,
  matchingFunctions,
  openProbedBinary,
} from '../src/index.js';
import { probedUnavailable } from './binaries.js';

const source = new URL('./programs/sites.c', import.meta.url).pathname;

describe.skipIf(probedUnavailable() !== undefined)('a binary opened for probing', () => {
  let dir: string;
  let sites: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfkit-probed-'));
    sites = join(dir, 'sites');
    execFileSync('cc', ['-O1', '-o', sites, source]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is parsed once while the file stays the same, and again once it changes', () => {
    clearBinaryCache();
    const first = openProbedBinary(sites, {});
    expect(openProbedBinary(sites, {})).toBe(first);
    const copy = join(dir, 'copy');
    copyFileSync(sites, copy);
    const other = openProbedBinary(copy, {});
    expect(other).not.toBe(first);
    // Replacing the file (another inode, as a rebuild does) makes the next open parse it anew.
    rmSync(copy);
    execFileSync('cc', ['-O0', '-o', copy, source]);
    const rebuilt = openProbedBinary(copy, {});
    expect(rebuilt).not.toBe(other);
    expect(rebuilt.functionsNamed('bpfkit_entry')).toHaveLength(1);
  });

  it('finds functions by name through one map and lists a glob once per address, in address order', () => {
    const binary = openProbedBinary(sites, {});
    const [entry] = binary.functionsNamed('bpfkit_entry');
    const [alias] = binary.functionsNamed('bpfkit_alias');
    expect(entry?.offset).toBe(alias?.offset);
    expect(functionFileOffset(sites, 'bpfkit_alias', {})).toBe(entry?.offset);
    expect(binary.functionsNamed('no_such_function')).toEqual([]);
    // The alias and the function share an address: one probe there, named after the first symbol.
    const matched = matchingFunctions(sites, 'bpfkit_*');
    expect(matched).toHaveLength(1);
    expect(matched[0]?.offset).toBe(entry?.offset);
    const all = matchingFunctions(sites, '*');
    expect(all.map((f) => f.offset)).toEqual([...new Set(all.map((f) => f.offset))].sort((a, b) => a - b));
    expect(binary.functionsMatching('bpfkit_*')).toBe(binary.functionsMatching('bpfkit_*'));
  });

  it('matches globs as bytes in the string table to the offsets the symbol objects give, from the first table with matches', () => {
    const libc = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libc\.so\.6$/m)?.[0];
    for (const path of [sites, ...(libc === undefined ? [] : [libc])]) {
      clearBinaryCache();
      const binary = openProbedBinary(path, {});
      for (const pattern of ['bpfkit_*', 'mall*', '*alloc', 'str?py', '*', 'printf', 'bpfkit_entry', 'x@y*', '']) {
        const expected = binary.functionsMatching(pattern).map((fn) => fn.offset);
        // Each function symbol by the object reader, matched by the string glob.
        // Functions of .symtab, or of .dynsym when .symtab has none that match (libbpf's rule).
        const test = globMatcher(pattern);
        const matching = (table: readonly ElfSymbol[]) =>
          table
            .filter(
              (s) =>
                (s.type === 2 || s.type === 10) && s.sectionIndex !== 0 && s.sectionIndex < binary.elf.sections.length,
            )
            .filter((s) => test(s.name.split('@')[0] as string))
            .map((s) => binary.elf.fileOffsetOf(s));
        const fromSymtab = matching(binary.elf.symbols);
        const firstTable = fromSymtab.length > 0 ? fromSymtab : matching(binary.elf.dynamicSymbols);
        const byObjects = [...new Set(firstTable)].sort((a, b) => a - b);
        expect(binary.offsetsMatching(pattern), `${path} ${pattern}`).toEqual(byObjects);
        expect(expected).toEqual(byObjects);
      }
    }
    expect(openProbedBinary(sites, {}).offsetsMatching('bpfkit_*').length).toBeGreaterThan(0);
  });

  it('matches a glob on a binary not yet read whole (its symbol tables only) as on the whole file', () => {
    const libc = readFileSync('/proc/self/maps', 'utf8').match(/\S*\/libc\.so\.6$/m)?.[0];
    for (const path of [sites, ...(libc === undefined ? [] : [libc])]) {
      for (const pattern of ['bpfkit_*', 'mall*', '*alloc', 'str?py', '*']) {
        clearBinaryCache();
        const fds = openFdCount();
        const partial = openProbedBinary(path, {}).offsetsMatching(pattern);
        expect(openFdCount()).toBe(fds);
        clearBinaryCache();
        const binary = openProbedBinary(path, {});
        void binary.elf; // read whole first
        expect(partial, `${path} ${pattern}`).toEqual(binary.offsetsMatching(pattern));
      }
    }
  });

  it('refuses a file that is no ELF file with the ELF error, and one gone since its stat with not-found, leaving no fd', () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'not an ELF file, but long enough to be read as one: '.repeat(4));
    const fds = openFdCount();
    clearBinaryCache();
    const notElf = openProbedBinary(junk, {});
    expect(() => notElf.offsetsMatching('*')).toThrow(expect.objectContaining({ name: 'ElfError', code: 'bad-magic' }));
    expect(openFdCount()).toBe(fds);
    const gone = openProbedBinary(junk, {});
    rmSync(junk);
    expect(() => gone.offsetsMatching('x*')).toThrow(
      expect.objectContaining({
        name: 'LinkError',
        code: 'not-found',
        context: expect.objectContaining({ errno: 'ENOENT' }),
      }),
    );
    expect(openFdCount()).toBe(fds);
  });

  it('groups USDT sites by probe and turns their addresses into file offsets', () => {
    const binary = openProbedBinary(sites, {});
    const pair = binary.sdtProbes('bpfkit', 'pair');
    expect(pair.map((note) => note.args)).toEqual([
      expect.stringMatching(/@\$42$/),
      expect.stringMatching(/^-4@\$100 /),
    ]);
    expect(binary.sdtProbes('bpfkit', 'none')).toEqual([]);
    const text = binary.elf.sectionByName('.text');
    if (text === undefined) throw new Error('no .text');
    const site = pair[0]?.address as bigint;
    expect(binary.fileOffsetOfAddress(site)).toBe(Number(site - text.address) + text.offset);
    expect(binary.fileOffsetOfAddress(0n)).toBeUndefined();
  });

  it("reads a binary's USDT notes and loaded ranges without reading it whole, as from the whole file", () => {
    const probes = [
      ['bpfkit', 'pair'],
      ['bpfkit', 'none'],
    ] as const;
    clearBinaryCache();
    const fds = openFdCount();
    const partial = openProbedBinary(sites, {});
    const fromRegions = probes.map(([provider, name]) => partial.sdtProbes(provider, name));
    expect(openFdCount()).toBe(fds);
    const addresses = fromRegions.flat().map((note) => note.address);
    const offsets = addresses.map((address) => partial.fileOffsetOfAddress(address));
    clearBinaryCache();
    const whole = openProbedBinary(sites, {});
    void whole.elf; // read whole first
    expect(addresses).toHaveLength(2);
    expect(fromRegions).toEqual(probes.map(([provider, name]) => whole.sdtProbes(provider, name)));
    expect(offsets).toEqual(addresses.map((address) => whole.fileOffsetOfAddress(address)));
    expect(offsets.every((offset) => offset !== undefined)).toBe(true);
  });

  it("refuses USDT notes of a file gone since its stat with not-found naming the probe's context, leaving no fd", () => {
    const copy = join(dir, 'gone');
    copyFileSync(sites, copy);
    clearBinaryCache();
    const fds = openFdCount();
    const gone = openProbedBinary(copy, {});
    rmSync(copy);
    expect(() => gone.sdtProbes('bpfkit', 'tick', { kind: 'usdt', target: `${copy}:bpfkit:tick` })).toThrow(
      expect.objectContaining({
        name: 'LinkError',
        code: 'not-found',
        context: expect.objectContaining({ kind: 'usdt', path: copy, errno: 'ENOENT' }),
      }),
    );
    expect(openFdCount()).toBe(fds);
  });

  describe.skipIf(bpfUnavailable() !== undefined)('attached', () => {
    let obj: BpfObject;
    let fdsBefore = 0;
    const state = () => obj.map('.bss').get(0) as Record<string, bigint>;
    const maps = () => ({ specs: obj.map('__bpf_usdt_specs').fd, ipToSpec: obj.map('__bpf_usdt_ip_to_spec_id').fd });

    beforeAll(() => {
      fdsBefore = openFdCount();
      obj = BpfObject.open(fixture('usdt_probe').path);
      obj.load();
    });
    afterAll(() => {
      obj.close();
      expect(openFdCount()).toBe(fdsBefore);
    });

    it('a probe whose sites differ in argument specs reads each site through its own spec', () => {
      {
        using _link = attachUsdt(obj.program('on_tick').fd, sites, 'bpfkit', 'pair', maps(), { multi: true });
        execFileSync(sites, ['4']);
      }
      // Site one: (i, 42) for i = 0..3; site two: (100, 4).
      expect(state()).toMatchObject({ calls: 5n, first_sum: 0n + 1n + 2n + 3n + 100n, second_sum: 4n * 42n + 4n });
    });

    it('a refused attach gives its spec ids back and leaves no fd open', () => {
      const fds = openFdCount();
      const { maxEntries } = obj.map('__bpf_usdt_specs');
      // A map fd is no program: the kernel refuses the link after the specs were written.
      // Each refusal takes two spec ids; kept, they would run out before the loop ends.
      for (let i = 0; i < maxEntries; i++) {
        expect(() => attachUsdt(obj.map('.bss').fd, sites, 'bpfkit', 'pair', maps(), { multi: true })).toThrow(
          expect.objectContaining({ code: 'kernel' }),
        );
      }
      expect(openFdCount()).toBe(fds);
      obj.map('.bss').set(0, { calls: 0n, first_sum: 0n, second_sum: 0n, last_cookie: 0n, arg_count: 0n });
      {
        using _link = attachUsdt(obj.program('on_tick').fd, sites, 'bpfkit', 'pair', maps(), { multi: true });
        execFileSync(sites, ['1']);
      }
      expect(state()).toMatchObject({ calls: 2n, first_sum: 100n, second_sum: 42n + 1n });
    });
  });
});
