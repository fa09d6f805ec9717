import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectsUnder } from '../corpus-objects.js';

describe('objectsUnder', () => {
  let dir: string;
  let elsewhere: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfkit-corpus-'));
    elsewhere = mkdtempSync(join(tmpdir(), 'bpfkit-corpus-elsewhere-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('finds objects in nested folders and through links to files, sorted', () => {
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'two.bpf.o'), '');
    writeFileSync(join(dir, 'one.bpf.o'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    writeFileSync(join(elsewhere, 'linked.bpf.o'), '');
    symlinkSync(join(elsewhere, 'linked.bpf.o'), join(dir, 'a.bpf.o'));
    expect(objectsUnder(dir)).toEqual([join(dir, 'a.bpf.o'), join(dir, 'b', 'two.bpf.o'), join(dir, 'one.bpf.o')]);
  });

  it('leaves out links that end nowhere or at a directory', () => {
    symlinkSync(join(elsewhere, 'gone.o'), join(dir, 'dangling.o'));
    mkdirSync(join(elsewhere, 'folder.o'));
    symlinkSync(join(elsewhere, 'folder.o'), join(dir, 'folder.o'));
    writeFileSync(join(dir, 'real.o'), '');
    expect(objectsUnder(dir)).toEqual([join(dir, 'real.o')]);
  });
});
