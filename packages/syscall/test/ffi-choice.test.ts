import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
// A copy of the package's source where no node_modules is above it: no FFI package resolves.
const isolated = mkdtempSync(join(tmpdir(), 'bpfkit-no-ffi-'));
cpSync(fileURLToPath(new URL('../src', import.meta.url)), join(isolated, 'src'), { recursive: true });
writeFileSync(join(isolated, 'package.json'), '{ "type": "module" }');
afterAll(() => rmSync(isolated, { recursive: true, force: true }));

/** The error the isolated copy throws on its first kernel call with BPFKIT_FFI=`ffi`, as JSON. */
function firstCallError(ffi: string): Record<string, unknown> {
  const script = `
    const syscall = await import(${JSON.stringify(join(isolated, 'src/index.ts'))});
    try { syscall.getBackend(); console.log('{}'); }
    catch (e) { console.log(JSON.stringify({ ...e, name: e.name, message: e.message, is: syscall.BpfSyscallError.is(e) })); }`;
  const run = spawnSync('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BPFKIT_FFI: ffi },
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe('choosing the FFI with BPFKIT_FFI', () => {
  it('ffi-napi without its optional peer packages installed: a typed error naming the packages to install', () => {
    const error = firstCallError('ffi-napi');
    expect(error).toMatchObject({
      is: true,
      name: 'BpfSyscallError',
      command: 'load ffi-napi',
      errnoName: 'ENOENT',
      context: { object: '@2060.io/ffi-napi' },
    });
    expect(error.hint).toContain('npm install @2060.io/ffi-napi @2060.io/ref-napi');
    expect(error.hint).toContain('optional peer dependencies of @bpfkit/syscall');
  });

  it('an FFI bpfkit does not know: a typed error naming the choices', () => {
    const error = firstCallError('libffi');
    expect(error).toMatchObject({
      is: true,
      command: 'load FFI',
      errnoName: 'EINVAL',
      context: { field: 'BPFKIT_FFI', actual: "'libffi'" },
    });
    expect(error.hint).toContain("'koffi' (the default) or 'ffi-napi'");
  });
});

describe('BPFKIT_FFI set but empty', () => {
  it('means the default, koffi, as if unset', () => {
    const script = `
      const syscall = await import(${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))});
      console.log(syscall.getBackend().name);`;
    const run = spawnSync('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BPFKIT_FFI: '' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('koffi');
  });
});

describe('setBackend and getBackend', () => {
  it('setBackend takes a name or a backend object and returns the one it replaces', async () => {
    const { getBackend, setBackend } = await import('../src/index.js');
    const koffi = getBackend();
    const wrapped = { ...koffi, name: 'wrapped' };
    expect(setBackend(wrapped)).toBe(koffi);
    expect(getBackend()).toBe(wrapped);
    expect(setBackend('koffi')).toBe(wrapped);
    expect(getBackend().name).toBe('koffi');
    setBackend(koffi);
  });
});
