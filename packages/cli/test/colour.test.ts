import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { colourEnabled } from '../src/output.js';
import { bpfkitInProcess as bpfkit } from './in-process.js';

const example = join(fileURLToPath(new URL('../../..', import.meta.url)), 'examples/map-in-map.bpf.o');
const ESC = '\u001b[';

describe('colourEnabled', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe', false, {}, false],
    ['NO_COLOR on a terminal', true, { NO_COLOR: '1' }, false],
    ['an empty NO_COLOR (unset, as no-color.org says)', true, { NO_COLOR: '' }, true],
    ['TERM=dumb', true, { TERM: 'dumb' }, false],
    ['FORCE_COLOR=1 on a pipe', false, { FORCE_COLOR: '1' }, true],
    ['an empty FORCE_COLOR on a pipe', false, { FORCE_COLOR: '' }, true],
    ['FORCE_COLOR=3 over NO_COLOR', false, { FORCE_COLOR: '3', NO_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', true, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', true, { FORCE_COLOR: 'false' }, false],
  ])('%s', (_what, isTTY, env, expected) => {
    expect(colourEnabled(isTTY, env)).toBe(expected);
  });
});

describe('bpfkit inspect honours FORCE_COLOR and NO_COLOR', () => {
  const saved = { FORCE_COLOR: process.env.FORCE_COLOR, NO_COLOR: process.env.NO_COLOR, isTTY: process.stdout.isTTY };
  const setEnv = (name: 'FORCE_COLOR' | 'NO_COLOR', value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  afterEach(() => {
    setEnv('FORCE_COLOR', saved.FORCE_COLOR);
    setEnv('NO_COLOR', saved.NO_COLOR);
    process.stdout.isTTY = saved.isTTY;
  });

  it('colours a pipe with FORCE_COLOR=1', async () => {
    setEnv('NO_COLOR', undefined);
    setEnv('FORCE_COLOR', '1');
    process.stdout.isTTY = false;
    expect((await bpfkit('inspect', example)).output).toContain(`${ESC}1mmap-in-map.bpf.o`);
  });

  it('leaves a terminal plain with NO_COLOR=1', async () => {
    setEnv('FORCE_COLOR', undefined);
    setEnv('NO_COLOR', '1');
    process.stdout.isTTY = true;
    expect((await bpfkit('inspect', example)).output).not.toContain(ESC);
  });

  it('colours a terminal by default', async () => {
    setEnv('FORCE_COLOR', undefined);
    setEnv('NO_COLOR', undefined);
    process.stdout.isTTY = true;
    expect((await bpfkit('inspect', example)).output).toContain(ESC);
  });
});
