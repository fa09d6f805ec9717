import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readSdtNotes } from '@bpfkit/elf';
import { fixture } from '@bpfkit/fixtures';
import { BpfObject } from '@bpfkit/loader';
import { AttachType, BpfCommand } from '@bpfkit/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countedCommands } from '../../loader/test/counted-commands.js';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import {
  attachUsdt,
  binaryElf,
  encodeUsdtSpec,
  LinkError,
  openUsdtMaps,
  parseUsdtArgs,
  UsdtArgType,
} from '../src/index.js';
import {
  buildProbed,
  buildProbedHost,
  probedUnavailable,
  type RunningHost,
  runProbed,
  startProbedHost,
} from './binaries.js';

describe('USDT argument specs', () => {
  it('decode registers, sub-registers, constants and memory operands with their sizes and signs', () => {
    expect(parseUsdtArgs('-4@%edi 8@$-3 8@-8(%rbp) 2@(%rax) 1@%r9b', {}, 'x64')).toEqual([
      { type: UsdtArgType.REG, valueOffset: 0n, registerOffset: 112, signed: true, bitshift: 32 },
      { type: UsdtArgType.CONST, valueOffset: 2n ** 64n - 3n, registerOffset: 0, signed: false, bitshift: 0 },
      { type: UsdtArgType.REG_DEREF, valueOffset: 2n ** 64n - 8n, registerOffset: 32, signed: false, bitshift: 0 },
      { type: UsdtArgType.REG_DEREF, valueOffset: 0n, registerOffset: 80, signed: false, bitshift: 48 },
      { type: UsdtArgType.REG, valueOffset: 0n, registerOffset: 64, signed: false, bitshift: 56 },
    ]);
    expect(parseUsdtArgs(' 8@-0x10(%rsp)  -2@$0x20 ', {}, 'x64')).toEqual([
      { type: UsdtArgType.REG_DEREF, valueOffset: 2n ** 64n - 16n, registerOffset: 152, signed: false, bitshift: 0 },
      { type: UsdtArgType.CONST, valueOffset: 32n, registerOffset: 0, signed: true, bitshift: 48 },
    ]);
    expect(parseUsdtArgs('', {}, 'x64')).toEqual([]);
  });

  it('refuse what they cannot decode, saying which argument', () => {
    const code = (text: string, arch = 'x64') => {
      try {
        parseUsdtArgs(text, { kind: 'usdt' }, arch);
      } catch (error) {
        if (LinkError.is(error)) return `${error.code}: ${error.problem}`;
        throw error;
      }
      return 'accepted';
    };
    expect(code('3@%eax')).toBe("bad-target: USDT argument '3@%eax': not <size>@<location>");
    expect(code('4@%xyz')).toBe("bad-target: USDT argument '4@%xyz': unknown register %xyz");
    expect(code('8@8(%rax,%rbx,4)')).toMatch(/^not-supported: .*index-register/);
    expect(code('4@%eax', 'arm64')).toMatch(/^not-supported: USDT arguments on arm64/);
    expect(code(Array(13).fill('4@%eax').join(' '))).toMatch(/13 USDT arguments/);
  });

  it('encode struct __bpf_usdt_spec as usdt.bpf.h lays it out (208 bytes, cookie at 192, count at 200)', () => {
    const bytes = encodeUsdtSpec(parseUsdtArgs('-4@%edi -4@$42', {}, 'x64'), 7n, true);
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(208);
    expect([view.getUint32(8, true), view.getInt16(12, true), bytes[14], bytes[15]]).toEqual([1, 112, 1, 32]);
    expect([view.getBigUint64(16, true), view.getUint32(24, true)]).toEqual([42n, 0]);
    expect([view.getBigUint64(192, true), view.getInt16(200, true)]).toEqual([7n, 2]);
  });
});

const skip = bpfUnavailable() ?? probedUnavailable();

describe.skipIf(skip !== undefined)('USDT probes of a binary we build', () => {
  let obj: BpfObject;
  let built: ReturnType<typeof buildProbed>;
  let fdsBefore = 0;
  const state = () => obj.map('.bss').get(0) as Record<string, bigint>;
  const reset = () =>
    obj.map('.bss').set(0, { calls: 0n, first_sum: 0n, second_sum: 0n, last_cookie: 0n, arg_count: 0n });
  const maps = () => ({ specs: obj.map('__bpf_usdt_specs').fd, ipToSpec: obj.map('__bpf_usdt_ip_to_spec_id').fd });
  // As libbpf 1.5+ on a kernel with uprobe_multi links (6.18), the loader loads usdt programs
  // for those links, and such a program attaches through nothing else.
  const multi = true;

  beforeAll(() => {
    fdsBefore = openFdCount();
    built = buildProbed();
    obj = BpfObject.open(fixture('usdt_probe').path);
    obj.load();
  });
  afterAll(() => {
    obj.close();
    built.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('read the same probes from .note.stapsdt as readelf does', () => {
    const text = execFileSync('readelf', ['-n', built.pie], { encoding: 'utf8' });
    const fromReadelf = [
      ...text.matchAll(/Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: \S+, Semaphore: (0x[0-9a-f]+)/g),
    ].map(([, provider, name, location, semaphore]) => ({
      provider,
      name,
      address: BigInt(location as string),
      semaphore: BigInt(semaphore as string),
    }));
    const notes = readSdtNotes(binaryElf(built.pie));
    expect(notes.map(({ args: _, ...rest }) => rest)).toEqual(fromReadelf);
    expect(notes.map((n) => n.name)).toEqual(['tick', 'done']);
  });

  it.each(['pie', 'noPie'] as const)(
    'an unmodified usdt.bpf.h program reads the arguments and the cookie (%s)',
    (which) => {
      reset();
      {
        using link = attachUsdt(obj.program('on_tick').fd, built[which], 'bpfkit', 'tick', maps(), {
          cookie: 99n,
          multi,
        });
        expect(link.kind).toBe('usdt');
        runProbed(built[which], 5);
      }
      expect(state()).toEqual({ calls: 5n, first_sum: 10n, second_sum: 210n, last_cookie: 99n, arg_count: 2n });
      runProbed(built[which], 5);
      expect(state().calls).toBe(5n);
    },
  );

  it("raise the probe's semaphore while attached", () => {
    expect(runProbed(built.pie, 1)).toBe(0);
    {
      using _link = attachUsdt(obj.program('on_tick').fd, built.pie, 'bpfkit', 'done', maps(), { multi });
      expect(runProbed(built.pie, 1)).toBe(3);
    }
    expect(runProbed(built.pie, 1)).toBe(0);
  });

  it('load usdt programs for uprobe_multi links, which then attach only through one', () => {
    expect(obj.program('on_tick').expectedAttachType).toBe(AttachType.TRACE_UPROBE_MULTI);
    expect(() => attachUsdt(obj.program('on_tick').fd, built.pie, 'bpfkit', 'tick', maps())).toThrow(
      /attach through a perf link: EINVAL/,
    );
  });

  it('attach from the loader with a target of <path>:<provider>:<name>', () => {
    reset();
    const link = obj.program('on_tick').attach({ target: `${built.pie}:bpfkit:tick`, cookie: 5n });
    runProbed(built.pie, 2);
    link.close();
    expect(state()).toMatchObject({ calls: 2n, last_cookie: 5n });
  });

  it("attach from the loader through the object's USDT maps described once: later attaches read nothing back", () => {
    const target = `${built.pie}:bpfkit:tick`;
    obj.program('on_tick').attach({ target }).close();
    const sent = countedCommands(() => {
      obj.program('on_tick').attach({ target, cookie: 6n }).close();
    });
    expect(sent.get(BpfCommand.MAP_UPDATE_ELEM)).toBe(1); // the spec
    expect(sent.get(BpfCommand.LINK_CREATE)).toBe(1); // the uprobe_multi link
    expect(sent.get(BpfCommand.OBJ_GET_INFO_BY_FD)).toBeUndefined();
  });

  it('attach through maps described once, several links at a time, each with its own spec id', () => {
    reset();
    const described = openUsdtMaps(maps());
    {
      using _tick = attachUsdt(obj.program('on_tick').fd, built.noPie, 'bpfkit', 'tick', described, {
        cookie: 1n,
        multi,
      });
      using _again = attachUsdt(obj.program('on_tick').fd, built.pie, 'bpfkit', 'tick', described, {
        cookie: 2n,
        multi,
      });
      runProbed(built.noPie, 3);
      expect(state()).toMatchObject({ calls: 3n, last_cookie: 1n });
      runProbed(built.pie, 2);
      expect(state()).toMatchObject({ calls: 5n, last_cookie: 2n });
    }
    // Both links freed their spec ids: the spec map's capacity is taken again from id 0.
    expect(described.takeSpecIds(2, {})).toEqual([0, 1]);
    described.releaseSpecIds([0, 1]);
  });

  it('give each attach its own cookie when the same probe of one binary is attached again (the decoded spec is reused)', () => {
    const described = openUsdtMaps(maps());
    for (const cookie of [1n, 2n, 2n, undefined, 3n]) {
      reset();
      {
        using _link = attachUsdt(obj.program('on_tick').fd, built.pie, 'bpfkit', 'tick', described, {
          ...(cookie === undefined ? {} : { cookie }),
          multi,
        });
        runProbed(built.pie, 2);
      }
      expect(state(), `cookie ${cookie}`).toMatchObject({ calls: 2n, second_sum: 84n, last_cookie: cookie ?? 0n });
    }
  });

  it('refuse a spec map whose values are not struct __bpf_usdt_spec when described', () => {
    const refuse = () => openUsdtMaps({ specs: obj.map('.bss').fd });
    expect(refuse).toThrow(/the USDT spec map holds \d+-byte values, not the 208/);
  });

  it('say when the binary has no such probe', () => {
    expect(() => attachUsdt(obj.program('on_tick').fd, built.pie, 'bpfkit', 'nothing', maps())).toThrow(
      `usdt '${built.pie}:bpfkit:nothing': no USDT probe bpfkit:nothing in '${built.pie}'`,
    );
  });
});

describe.skipIf(skip !== undefined)('USDT without BPF cookies (spec ids by address, as before Linux 5.15)', () => {
  let obj: BpfObject;
  let built: ReturnType<typeof buildProbed>;
  let fdsBefore = 0;
  const state = () => obj.map('.bss').get(0) as Record<string, bigint>;
  const ipEntries = () => [...obj.map('__bpf_usdt_ip_to_spec_id').keys()].length;

  beforeAll(() => {
    fdsBefore = openFdCount();
    built = buildProbed();
    // LINUX_HAS_BPF_COOKIE is 0: usdt.bpf.h looks the spec id up by the probe's address.
    obj = BpfObject.open(fixture('usdt_probe').path, { bpfCookies: false });
    obj.load();
  });
  afterAll(() => {
    obj.close();
    built.remove();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('an unmodified usdt.bpf.h program still reads its arguments and cookie, through the ip-to-spec map', () => {
    expect(ipEntries()).toBe(0);
    {
      using _link = obj.program('on_tick').attach({ target: `${built.noPie}:bpfkit:tick`, cookie: 77n });
      // One entry per site of the probe, removed again on close.
      expect(ipEntries()).toBe(readSdtNotes(binaryElf(built.noPie)).filter((n) => n.name === 'tick').length);
      runProbed(built.noPie, 5);
    }
    expect(state()).toEqual({ calls: 5n, first_sum: 10n, second_sum: 210n, last_cookie: 77n, arg_count: 2n });
    expect(ipEntries()).toBe(0);
  });

  it('a PIE executable without a pid is refused (its probe addresses differ per process), leaving nothing behind', () => {
    const before = openFdCount();
    expect(() => obj.program('on_tick').attach({ target: `${built.pie}:bpfkit:tick` })).toThrow(
      expect.objectContaining({
        code: 'not-supported',
        context: expect.objectContaining({ program: 'on_tick' }),
        hint: expect.stringMatching(/pid/),
      }),
    );
    expect(ipEntries()).toBe(0);
    expect(openFdCount()).toBe(before);
  });

  describe('in one process: a PIE executable and a shared library, by the addresses the process mapped them at', () => {
    let programs: ReturnType<typeof buildProbedHost>;
    let host: RunningHost;
    const reset = () =>
      obj.map('.bss').set(0, { calls: 0n, first_sum: 0n, second_sum: 0n, last_cookie: 0n, arg_count: 0n });
    /** The addresses in the ip-to-spec map. */
    const ipKeys = () =>
      [...obj.map('__bpf_usdt_ip_to_spec_id').keys()].map((key) => new DataView(key.buffer).getBigUint64(0, true));
    /** Where the process mapped `path`'s executable part, from its own /proc/PID/maps. */
    const executableRange = (path: string) => {
      const line = readFileSync(`/proc/${host.pid}/maps`, 'utf8')
        .split('\n')
        .find((l) => l.endsWith(path) && / r-xp /.test(l));
      const [, start, end] = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line ?? '') ?? [];
      return { start: BigInt(`0x${start}`), end: BigInt(`0x${end}`) };
    };

    beforeAll(async () => {
      programs = buildProbedHost();
      host = await startProbedHost(programs.host);
    });
    afterAll(async () => {
      await host.stop();
      programs.remove();
    });

    it.each(['exec', 'library'] as const)(
      'the program reads its arguments and cookie at the sites of the %s, and only there',
      async (where) => {
        const path = where === 'exec' ? programs.host : programs.library;
        const other = where === 'exec' ? 'library' : 'exec';
        reset();
        {
          using _link = obj.program('on_tick').attach({ target: `${path}:bpfkit:tick`, pid: host.pid, cookie: 31n });
          // Each site's key is an address inside the process's executable mapping of the file.
          const range = executableRange(path);
          const keys = ipKeys();
          expect(keys.length).toBe(readSdtNotes(binaryElf(path)).filter((n) => n.name === 'tick').length);
          for (const key of keys) expect(key >= range.start && key < range.end).toBe(true);
          await host.fire(where, 5);
          await host.fire(other, 3);
        }
        // The spec was found by address: arguments and cookie read, the other file's probe not counted.
        expect(state()).toEqual({ calls: 5n, first_sum: 10n, second_sum: 210n, last_cookie: 31n, arg_count: 2n });
        expect(ipKeys()).toEqual([]);
      },
    );

    it('refuse a library the process has not loaded, leaving nothing behind', () => {
      const before = openFdCount();
      expect(() =>
        obj.program('on_tick').attach({ target: `${programs.library}:bpfkit:tick`, pid: process.pid }),
      ).toThrow(
        expect.objectContaining({
          code: 'not-found',
          message: expect.stringMatching(`process ${process.pid} does not map file offset 0x[0-9a-f]+ of`),
        }),
      );
      expect(ipKeys()).toEqual([]);
      expect(openFdCount()).toBe(before);
    });

    it('refuse a second link on the same sites, as libbpf does, and keep the first', async () => {
      reset();
      using _first = obj
        .program('on_tick')
        .attach({ target: `${programs.host}:bpfkit:tick`, pid: host.pid, cookie: 1n });
      const keys = ipKeys();
      expect(() =>
        obj.program('on_tick').attach({ target: `${programs.host}:bpfkit:tick`, pid: host.pid, cookie: 2n }),
      ).toThrow(
        expect.objectContaining({ code: 'bad-target', message: expect.stringMatching(/already maps the site/) }),
      );
      expect(ipKeys()).toEqual(keys);
      await host.fire('exec', 2);
      expect(state()).toMatchObject({ calls: 2n, last_cookie: 1n });
    });
  });
});
