import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelSymbols, ProcessSymbols } from '../src/index.js';
import { probedUnavailable } from './binaries.js';

describe('kernel symbols from kallsyms text', () => {
  const text = [
    'ffffffff81000000 T _stext',
    'ffffffff81000100 t helper',
    'ffffffffc0002000 t mod_func\t[bpfkit_mod]',
    'ffffffffc0001000 T mod_first\t[bpfkit_mod]',
    '0000000000000000 A fixed_percpu_data',
    'not a symbol line',
  ].join('\n');
  const symbols = KernelSymbols.parse(text);

  it('find the symbol an address falls in, with the offset, sorting by address once', () => {
    expect(symbols.size).toBe(4);
    expect(symbols.lookup(0xffffffff81000000n)).toEqual({ name: '_stext', offset: 0 });
    expect(symbols.lookup(0xffffffff810000ffn)).toEqual({ name: '_stext', offset: 0xff });
    expect(symbols.lookup(0xffffffff81000104n)).toEqual({ name: 'helper', offset: 4 });
    expect(symbols.lookup(0xffffffff80ffffffn)).toBeUndefined();
  });

  it('name the module of a module symbol', () => {
    expect(symbols.lookup(0xffffffffc0001010n)).toEqual({ name: 'mod_first', offset: 0x10, module: 'bpfkit_mod' });
    expect(symbols.lookup(0xffffffffc0002000n)).toEqual({ name: 'mod_func', offset: 0, module: 'bpfkit_mod' });
    expect(symbols.address('mod_func', 'bpfkit_mod')).toBe(0xffffffffc0002000n);
  });
});

describe.skipIf(process.getuid?.() !== 0)('kernel symbols of the running kernel', () => {
  it('resolve the address /proc/kallsyms gives a function back to that function', () => {
    const symbols = KernelSymbols.read();
    const line = readFileSync('/proc/kallsyms', 'utf8')
      .split('\n')
      .find((l) => / [Tt] __x64_sys_getpid$/.test(l));
    expect(line).toBeDefined();
    const [hex] = (line as string).split(' ');
    const address = BigInt(`0x${hex}`);
    expect(symbols.address('__x64_sys_getpid')).toBe(address);
    // Aliases share the address (__do_sys_getpid, __ia32_sys_getpid): any of them names it.
    const aliases = readFileSync('/proc/kallsyms', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${hex} `))
      .map((l) => l.split(' ')[2]);
    expect(aliases).toContain(symbols.lookup(address)?.name);
    expect(symbols.lookup(address + 3n)).toMatchObject({ name: symbols.lookup(address)?.name, offset: 3 });
  });

  it('say when kallsyms cannot be read', () => {
    expect(() => KernelSymbols.read('/proc/bpfkit-no-such-file')).toThrow(
      expect.objectContaining({ code: 'not-found', context: { kind: 'kallsyms', path: '/proc/bpfkit-no-such-file' } }),
    );
  });
});

const skip = probedUnavailable();

describe.skipIf(skip !== undefined)('user symbols of a running process', () => {
  let dir: string;
  const running: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfkit-symbols-'));
    const source = new URL('./programs/symbolized.c', import.meta.url).pathname;
    execFileSync('cc', ['-O1', '-fPIE', '-pie', '-o', join(dir, 'pie'), source]);
    execFileSync('cc', ['-O1', '-fno-pie', '-no-pie', '-o', join(dir, 'nopie'), source]);
  });
  afterAll(() => {
    for (const child of running) child.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a built program; resolves with its pid and the two addresses it printed. */
  async function start(which: string): Promise<{ pid: number; own: bigint; getpid: bigint }> {
    const child = spawn(join(dir, which), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    running.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout?.once('data', (data: Buffer) => resolve(data.toString()));
      child.once('error', reject);
    });
    const [own, getpid] = line.trim().split(' ');
    return { pid: child.pid as number, own: BigInt(own as string), getpid: BigInt(getpid as string) };
  }

  it.each(['pie', 'nopie'])('resolve its own function and a libc one (%s)', async (which) => {
    const { pid, own, getpid } = await start(which);
    const symbols = ProcessSymbols.read(pid);
    expect(symbols.lookup(own)).toEqual({ name: 'bpfkit_symbolized', offset: 0, module: join(dir, which) });
    expect(symbols.lookup(own + 2n)).toMatchObject({ name: 'bpfkit_symbolized', offset: 2 });
    const libc = symbols.lookup(getpid);
    expect(libc?.name).toMatch(/getpid$/);
    expect(libc).toMatchObject({ offset: 0, module: expect.stringMatching(/libc\.so/) });
    // Outside every executable mapping: no name.
    expect(symbols.lookup(8n)).toBeUndefined();
  });

  it('say when the process does not exist', () => {
    expect(() => ProcessSymbols.read(2 ** 22 + 1)).toThrow(
      expect.objectContaining({ code: 'not-found', context: expect.objectContaining({ kind: 'symbols' }) }),
    );
  });
});
