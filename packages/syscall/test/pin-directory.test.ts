import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateBpffs } from '../../loader/test/kernel.js';
import * as syscall from '../src/index.js';
import { BpfSyscallError, PinDirectory, pinAt } from '../src/index.js';
import { bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();
/** `nobody`: another user, who may create entries in a mode-1777 bpffs. */
const NOBODY = 65534;

/**
 * Reuses the map pinned as `shared_counts` in `pinRoot`, or creates and pins one, as a
 * loader's pin-by-name does; returns the map's id, or the error met.
 */
function loadPinned(pinRoot: string): { id: number } | { error: unknown } {
  let directory: PinDirectory | undefined;
  let map: syscall.Fd | undefined;
  try {
    directory = PinDirectory.open(pinRoot, 'pinned');
    map = directory.openPinned('shared_counts', 'shared_counts');
    if (map === undefined) {
      map = syscall.createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1, name: 'shared_counts' });
      directory.pin(map.fd, 'shared_counts');
    }
    return { id: syscall.mapInfo(map.fd).id };
  } catch (error) {
    return { error };
  } finally {
    map?.close();
    directory?.close();
  }
}

function pinnedMapId(path: string): number {
  const fd = syscall.getPinnedObject(path);
  try {
    return syscall.mapInfo(fd.fd).id;
  } finally {
    fd.close();
  }
}

describe.skipIf(unavailable !== undefined)('pins in a directory other users can write to', () => {
  let bpffs: ReturnType<typeof privateBpffs>;
  /** A map "the attacker" pinned elsewhere, which links planted in the pin root point to. */
  let attacker: ReturnType<typeof privateBpffs>;
  let attackerMap: syscall.Fd;
  let attackerPath = '';
  let fdsBefore = 0;
  beforeAll(() => {
    fdsBefore = openFdCount();
    bpffs = privateBpffs();
    attacker = privateBpffs();
    attackerMap = syscall.createMap({ type: 1, keySize: 4, valueSize: 8, maxEntries: 8, name: 'attacker' });
    attackerPath = join(attacker.dir, 'shared_counts');
    syscall.pinObject(attackerMap.fd, attackerPath);
  });
  afterAll(() => {
    attackerMap.close();
    attacker.unmount();
    bpffs.unmount();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('is a fresh bpffs: mode 1777, owned by root', () => {
    const mode = spawnSync('stat', ['-c', '%a %u', bpffs.dir], { encoding: 'utf8' }).stdout.trim();
    expect(mode).toBe('1777 0');
  });

  it("refuse another user's symbolic link at the pin path, naming the path", () => {
    const path = join(bpffs.dir, 'shared_counts');
    symlinkSync(attackerPath, path);
    lchownSync(path, NOBODY, NOBODY);
    try {
      const outcome = loadPinned(bpffs.dir);
      expect('error' in outcome && BpfSyscallError.is(outcome.error)).toBe(true);
      expect((outcome as { error: BpfSyscallError }).error).toMatchObject({
        code: 'invalid',
        command: 'BPF_OBJ_GET',
        errnoName: 'ELOOP',
        context: { map: 'shared_counts', path },
        message: expect.stringContaining('is a symbolic link'),
      });
    } finally {
      rmSync(path);
    }
  });

  it('refuse a map another user pinned at the pin path, naming the path and the owner', () => {
    const path = join(bpffs.dir, 'shared_counts');
    const planted = syscall.createMap({ type: 1, keySize: 4, valueSize: 8, maxEntries: 8 });
    syscall.pinObject(planted.fd, path);
    planted.close();
    chownSync(path, NOBODY, NOBODY);
    try {
      const outcome = loadPinned(bpffs.dir);
      expect((outcome as { error: BpfSyscallError }).error).toMatchObject({
        code: 'permission',
        command: 'BPF_OBJ_GET',
        context: { map: 'shared_counts', path },
        message: expect.stringContaining(`belongs to uid ${NOBODY}`),
      });
    } finally {
      rmSync(path);
    }
  });

  it('refuse pin roots others could swap pins in: writable and not sticky, owned by another user, a link', () => {
    const open = join(bpffs.dir, 'open');
    const theirs = join(bpffs.dir, 'theirs');
    const link = join(bpffs.dir, 'link');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(theirs);
    chownSync(theirs, NOBODY, NOBODY);
    symlinkSync(bpffs.dir, link);
    try {
      for (const [root, says, code] of [
        [open, 'writable by others and not sticky', 'permission'],
        [theirs, `belongs to uid ${NOBODY}`, 'permission'],
        [link, 'is a symbolic link', 'invalid'],
      ] as const) {
        const outcome = loadPinned(root);
        expect((outcome as { error: BpfSyscallError }).error).toMatchObject({
          code,
          command: 'open pin directory',
          context: { object: 'pinned', path: root },
          message: expect.stringContaining(says),
        });
      }
      chmodSync(open, 0o1777);
      expect(loadPinned(open)).toEqual({ id: expect.any(Number) });
      rmSync(join(open, 'shared_counts'));
    } finally {
      for (const path of [open, theirs, link]) rmSync(path, { recursive: true });
    }
  });

  it("never reuse a flipping attacker's map: a link planted and removed in a loop by another user", async () => {
    const path = join(bpffs.dir, 'shared_counts');
    // The attacker plants the link and removes it as fast as it can, for at most 60 s.
    const flipper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const end = Date.now() + 60000;
         process.stdout.write('ready\\n');
         for (let i = 0; i < 5e6 && Date.now() < end; i++) {
           try { fs.symlinkSync(${JSON.stringify(attackerPath)}, ${JSON.stringify(path)}); } catch {}
           try { fs.unlinkSync(${JSON.stringify(path)}); } catch {}
         }`,
      ],
      { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => flipper.stdout.once('data', resolve));
      const attackerId = syscall.mapInfo(attackerMap.fd).id;
      let ours = 0;
      let refused = 0;
      for (let i = 0; i < 500; i++) {
        const outcome = loadPinned(bpffs.dir);
        if ('id' in outcome) {
          expect(outcome.id).not.toBe(attackerId);
          ours++;
          rmSync(path); // ours: the attacker cannot remove it, so make room for the next round
        } else {
          // Refused opening the planted link, or pinning where it was planted meanwhile (EEXIST).
          expect(outcome.error).toMatchObject({ context: { path } });
          expect(['BPF_OBJ_GET', 'BPF_OBJ_PIN']).toContain((outcome.error as BpfSyscallError).command);
          refused++;
        }
      }
      // Both outcomes happened, so the loads really raced the attacker.
      expect(ours).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    } finally {
      flipper.kill();
      await new Promise((resolve) => flipper.once('exit', resolve));
      rmSync(path, { force: true });
    }
  }, 120_000);

  it('refuse a directory that is not a bpffs, saying how to mount one', () => {
    const plain = mkdtempSync(join(tmpdir(), 'bpfkit-not-bpffs-'));
    const map = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    try {
      expect(() => pinAt(map.fd, join(plain, 'm'))).toThrow(
        expect.objectContaining({
          code: 'invalid',
          context: expect.objectContaining({ path: plain }),
          message: expect.stringContaining(`mount -t bpf bpf ${plain}`),
        }),
      );
      expect(readdirSync(plain)).toEqual([]);
    } finally {
      map.close();
      rmSync(plain, { recursive: true });
    }
  });

  it('open a pin through the checks, or say nothing is pinned there', () => {
    const map = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    const path = join(bpffs.dir, 'checked');
    try {
      expect(() => syscall.openPinned(path)).toThrow(
        expect.objectContaining({ code: 'not-found', errnoName: 'ENOENT' }),
      );
      pinAt(map.fd, path);
      const opened = syscall.openPinned(path);
      expect(syscall.mapInfo(opened.fd).id).toBe(syscall.mapInfo(map.fd).id);
      opened.close();
    } finally {
      map.close();
      rmSync(path, { force: true });
    }
  });

  // bpfkit refuses ffi-napi in worker threads (terminating one would crash the process).
  it.skipIf(process.env.BPFKIT_FFI === 'ffi-napi')(
    'replace one pin from two threads at once without their temporary pins colliding',
    async () => {
      const path = join(bpffs.dir, 'contended');
      const barrier = new SharedArrayBuffer(4);
      const run = () =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(new URL('./replace-worker.mjs', import.meta.url), {
            workerData: { path, rounds: 1000, barrier, threads: 2 },
          });
          let errors: string[] = [];
          worker.once('message', (reply: string[]) => {
            errors = reply;
          });
          worker.once('error', reject);
          // Wait for the thread to end, so the descriptors of its own event loop are closed too.
          worker.once('exit', () => resolve(errors));
        });
      const errors = await Promise.all([run(), run()]);
      expect(errors).toEqual([[], []]);
      expect(readdirSync(bpffs.dir).filter((name) => name.startsWith('bpfkit-'))).toEqual([]);
      rmSync(path);
    },
    60_000,
  );

  it('name temporary replace pins per call and remove those dead processes left behind', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    const map = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    const leftover = (pid: number | string, suffix: string, options: { old?: boolean; owner?: number } = {}) => {
      const name = `bpfkit-replacing-${pid}-${suffix}`;
      syscall.pinObject(map.fd, join(bpffs.dir, name));
      if (options.owner !== undefined) chownSync(join(bpffs.dir, name), options.owner, options.owner);
      const minuteAgo = new Date(Date.now() - 120_000);
      if (options.old) utimesSync(join(bpffs.dir, name), minuteAgo, minuteAgo);
      return name;
    };
    try {
      const stale = leftover(dead, '0123456789abcdef', { old: true });
      const recent = leftover(dead, '1123456789abcdef');
      const live = leftover(1, '2123456789abcdef', { old: true });
      const others = leftover(dead, '3123456789abcdef', { old: true, owner: NOBODY });
      const target = join(bpffs.dir, 'replaced');
      using first = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      using second = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      pinAt(first.fd, target);
      pinAt(second.fd, target, { replace: true });
      expect(pinnedMapId(target)).toBe(syscall.mapInfo(second.fd).id);
      const left = readdirSync(bpffs.dir).filter((name) => name.startsWith('bpfkit-'));
      expect(left.sort()).toEqual([recent, live, others].sort());
      expect(left).not.toContain(stale);
      for (const name of [...left, 'replaced']) rmSync(join(bpffs.dir, name));
    } finally {
      map.close();
    }
  });
});
