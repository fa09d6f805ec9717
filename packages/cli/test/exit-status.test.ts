import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture } from '@bpfkit/fixtures';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bpfUnavailable } from '../../syscall/test/kernel.js';
import { ExitCode } from '../src/exit-codes.js';
import { bpfkitInProcess as bpfkit } from './in-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const example = (name: string) => join(root, 'examples', name);

// A fault inside a package bpfkit calls: an error none of its packages throws on purpose.
const fault = vi.hoisted(() => ({ armed: false }));
vi.mock('@bpfkit/elf', async (original) => {
  const elf = await original<typeof import('@bpfkit/elf')>();
  return {
    ...elf,
    parseElf: (...args: Parameters<typeof elf.parseElf>) => {
      if (fault.armed) throw new TypeError("Cannot read properties of undefined (reading 'size')");
      return elf.parseElf(...args);
    },
  };
});

afterEach(() => {
  fault.armed = false;
});

describe('every documented exit status, from real commands', () => {
  it('0: the command did what it was asked', async () => {
    const { status, output } = await bpfkit('inspect', example('map-in-map.bpf.o'));
    expect(status).toBe(ExitCode.OK);
    expect(output).toContain('No problems found.');
  });

  it.skipIf(bpfUnavailable())(
    '1: the kernel refused (a verifier rejection), said on stderr and in --json',
    async () => {
      const { status, output, stderr } = await bpfkit('load', fixture('bad_verifier').path, '--json');
      expect(status).toBe(ExitCode.KERNEL);
      expect(stderr).toMatch(/^error: /);
      expect(JSON.parse(output).error).toMatchObject({ exitCode: ExitCode.KERNEL });
    },
  );

  it.each([
    ['a usage error', ['inspect']],
    ['an option value outside its choices', ['btf', 'dump', example('map-in-map.bpf.o'), '--format', 'yaml']],
    ['a file that is not an object', ['inspect', join(root, 'package.json')]],
    ['a missing file', ['inspect', join(root, 'no-such.o')]],
    ['a directory given as the object', ['load', root]],
    ['a directory given as the BTF file', ['btf', 'dump', root, '--format', 'c']],
    ['a definition the loader refuses', ['inspect', fixture('bad_slot_mismatch').path]],
    ['a program the object does not have', ['disasm', example('map-in-map.bpf.o'), 'no_such_program']],
    ['a constant that is not an integer (1.5)', ['load', fixture('globals_subprogs').path, '--const', 'threshold=1.5']],
    ['a constant that is not a number (abc)', ['load', fixture('globals_subprogs').path, '--const', 'threshold=abc']],
  ])('2: bad input: %s', async (_what, args) => {
    const { status } = await bpfkit(...args);
    expect(status).toBe(ExitCode.INPUT);
  });

  it('2: a directory or a missing path as a file argument is named, with what to give instead', async () => {
    const directory = await bpfkit('inspect', root);
    expect(directory.status).toBe(ExitCode.INPUT);
    expect(directory.stderr).toMatch(/argument 'object'\. it is a directory: give a file inside it/);
    const missing = await bpfkit('btf', 'dump', join(root, 'no-such.o'));
    expect(missing.status).toBe(ExitCode.INPUT);
    expect(missing.stderr).toMatch(/argument 'file'\. no such file: check the path/);
  });

  it('3: an untyped error inside bpfkit is a bug, printed with its stack (and as JSON with --json)', async () => {
    fault.armed = true;
    const { status, output, stderr } = await bpfkit('inspect', example('map-in-map.bpf.o'), '--json');
    expect(status).toBe(ExitCode.BUG);
    expect(stderr).toContain("internal error: Cannot read properties of undefined (reading 'size') (a bug in bpfkit");
    expect(stderr).toMatch(/\n\s+at /);
    expect(JSON.parse(output).error).toMatchObject({ exitCode: ExitCode.BUG });
  });
});
