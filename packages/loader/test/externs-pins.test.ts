import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fixture } from '@bpfkit/fixtures';
import { parseKernelConfig } from '@bpfkit/reloc';
import * as syscall from '@bpfkit/syscall';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, LoadError } from '../src/index.js';
import { bpfUnavailable, openFdCount, privateBpffs, u32 } from './kernel.js';

const unavailable = bpfUnavailable();

function runKconfig(options: { kconfig?: Record<string, string> } = {}) {
  using obj = BpfObject.open(fixture('kconfig').path, options);
  obj.load();
  obj.program('read_kconfig').testRun({ data: new Uint8Array(64) });
  const bss = new DataView((obj.map('.bss').lookup(u32(0)) as Uint8Array).buffer);
  return {
    version: Number(bss.getBigUint64(0, true)),
    syscall: Number(bss.getBigUint64(8, true)),
    lsm: Number(bss.getBigUint64(16, true)),
    hz: Number(bss.getBigUint64(24, true)),
    missing: Number(bss.getBigUint64(32, true)),
    local: String.fromCharCode(bss.getUint8(40)),
  };
}

describe.skipIf(unavailable !== undefined)('.kconfig externs', () => {
  it("read the running kernel's config, computed values and weak defaults", () => {
    const config = existsSync('/proc/config.gz')
      ? parseKernelConfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'))
      : new Map<string, string>();
    const [major, minor, patch] = (
      /^(\d+)\.(\d+)\.(\d+)/.exec(readFileSync('/proc/sys/kernel/osrelease', 'utf8')) ?? []
    )
      .slice(1)
      .map(Number);
    const seen = runKconfig();
    expect(seen.version).toBe(((major as number) << 16) + ((minor as number) << 8) + Math.min(patch as number, 255));
    expect(seen.syscall).toBe(config.get('CONFIG_BPF_SYSCALL') === 'y' ? 1 : 0);
    expect(seen.lsm).toBe({ y: 1, m: 2 }[config.get('CONFIG_BPF_LSM') as 'y' | 'm'] ?? 0);
    expect(seen.hz).toBe(Number(config.get('CONFIG_HZ')));
    expect(seen.missing).toBe(0);
  });

  it('take values from the kconfig option over the kernel', () => {
    const seen = runKconfig({ kconfig: { CONFIG_HZ: '1000', CONFIG_BPF_LSM: 'm', CONFIG_LOCALVERSION: '"-bpfkit"' } });
    expect(seen).toMatchObject({ hz: 1000, lsm: 2, local: 'b' });
  });

  it('refuse a value of the wrong kind, naming the extern', () => {
    expect(() => runKconfig({ kconfig: { CONFIG_HZ: 'y' } })).toThrow(
      expect.objectContaining({ step: 'resolve-externs', message: expect.stringContaining("extern 'CONFIG_HZ'") }),
    );
  });
});

describe.skipIf(unavailable !== undefined)('__ksym externs', () => {
  it('call kfuncs, read kernel addresses, and read missing weak symbols as 0', () => {
    const lines: string[] = [];
    using obj = BpfObject.open(fixture('ksyms').path, { logger: (l) => lines.push(l) });
    obj.load();
    expect(obj.program('use_ksyms').testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    const stext = /^([0-9a-f]+) \S+ _stext$/m.exec(readFileSync('/proc/kallsyms', 'utf8'))?.[1];
    const bss = obj.map('.bss').lookup(u32(0)) as Uint8Array;
    expect(new DataView(bss.buffer, bss.byteOffset).getBigUint64(0, true)).toBe(BigInt(`0x${stext}`));
    // Both were 1 in the object: the weak externs the kernel lacks read as 0.
    expect([...(obj.map('.data').lookup(u32(0)) as Uint8Array)]).toEqual(new Array(16).fill(0));
    expect(lines).toContain("prog 'use_ksyms': ksym 'bpfkit_missing_symbol' → missing 0");
    expect(lines.some((l) => l.startsWith('BTF loaded'))).toBe(true);
  });
});

describe.skipIf(unavailable !== undefined)('__ksym kfuncs with a ___flavor suffix', () => {
  it('name the kfunc without the suffix, when their prototype is compatible with the kernel’s', () => {
    const lines: string[] = [];
    using obj = BpfObject.open(fixture('ksym_flavors').path, { logger: (l) => lines.push(l) });
    obj.load();
    expect(obj.program('flavors').testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    const bss = obj.map('.bss').lookup(u32(0)) as Uint8Array;
    const view = new DataView(bss.buffer, bss.byteOffset);
    // found_mine, then found_other.
    expect([view.getBigUint64(0, true), view.getBigUint64(8, true)]).toEqual([1n, 0n]);
    expect(lines.some((l) => /ksym 'bpf_rcu_read_lock___mine' → kfunc \d+/.test(l))).toBe(true);
    expect(lines).toContain("prog 'flavors': ksym 'bpf_rcu_read_lock___other' → missing 0");
  });
});

describe.skipIf(unavailable !== undefined)('maps pinned by name', () => {
  let bpffs: ReturnType<typeof privateBpffs>;
  let fdsBefore = 0;
  beforeAll(() => {
    bpffs = privateBpffs();
    fdsBefore = openFdCount();
  });
  afterAll(() => {
    bpffs.unmount();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('are pinned by the first load and reused, contents and all, by the next', () => {
    const lines: string[] = [];
    const first = BpfObject.open(fixture('pinned').path, { pinRoot: bpffs.dir, logger: (l) => lines.push(l) });
    first.load();
    first.program('count').testRun({ data: new Uint8Array(64) });
    const id = first.map('shared_counts').info().id;
    first.close();
    expect(existsSync(join(bpffs.dir, 'shared_counts'))).toBe(true);
    expect(lines).toContain(`map 'shared_counts': pinned at '${join(bpffs.dir, 'shared_counts')}'`);

    using second = BpfObject.open(fixture('pinned').path, { pinRoot: bpffs.dir, logger: (l) => lines.push(l) });
    second.load();
    expect(second.map('shared_counts').info().id).toBe(id);
    second.program('count').testRun({ data: new Uint8Array(64) });
    expect(new DataView((second.map('shared_counts').lookup(u32(1)) as Uint8Array).buffer).getBigUint64(0, true)).toBe(
      2n,
    );
    expect(
      lines.some((l) =>
        l.startsWith(`map 'shared_counts': reused pinned map at '${join(bpffs.dir, 'shared_counts')}'`),
      ),
    ).toBe(true);
  });

  it('are not reused when the definition differs, naming every difference', () => {
    const obj = BpfObject.open(fixture('pinned').path, { pinRoot: bpffs.dir });
    const spec = obj.maps.find((m) => m.name === 'shared_counts');
    if (spec) {
      spec.maxEntries = 16;
      spec.valueSize = 4;
    }
    try {
      obj.load();
      expect.unreachable();
    } catch (error) {
      expect(LoadError.is(error)).toBe(true);
      expect((error as LoadError).step).toBe('pin');
      expect((error as LoadError).message).toContain('value_size 8 (ours 4), max_entries 8 (ours 16)');
    }
    expect(existsSync(join(bpffs.dir, 'shared_counts'))).toBe(true);
  });

  it('never replace an existing pin unless asked, and then atomically', () => {
    using first = BpfObject.open(fixture('globals_subprogs').path);
    using second = BpfObject.open(fixture('globals_subprogs').path);
    first.load();
    second.load();
    const path = join(bpffs.dir, 'globals_data');
    const pinnedId = () => {
      const fd = syscall.getPinnedObject(path);
      try {
        return syscall.mapInfo(fd.fd).id;
      } finally {
        fd.close();
      }
    };
    first.map('.data').pin(path);
    expect(() => second.map('.data').pin(path)).toThrow(expect.objectContaining({ errnoName: 'EEXIST' }));
    expect(pinnedId()).toBe(first.map('.data').info().id);
    second.map('.data').pin(path, { replace: true });
    expect(pinnedId()).toBe(second.map('.data').info().id);
    expect(readdirSync(bpffs.dir).filter((name) => name.includes('bpfkit-'))).toEqual([]);
    rmSync(path);
  });

  it('need a pin root on a bpf filesystem, and say how to mount one', () => {
    const plain = mkdtempSync(join(tmpdir(), 'bpfkit-not-bpffs-'));
    try {
      const obj = BpfObject.open(fixture('pinned').path, { pinRoot: plain });
      expect(() => obj.load()).toThrow(
        expect.objectContaining({
          step: 'pin',
          context: expect.objectContaining({ path: plain }),
          message: expect.stringContaining(`mount -t bpf bpf ${plain}`),
        }),
      );
      expect(readdirSync(plain)).toEqual([]);
      obj.close();
    } finally {
      rmSync(plain, { recursive: true });
    }
  });

  it('are never reached through a symbolic link planted in the pin root', () => {
    expect(existsSync(join(bpffs.dir, 'shared_counts'))).toBe(true);
    const other = privateBpffs();
    const root = join(other.dir, 'root');
    try {
      mkdirSync(root);
      symlinkSync(join(bpffs.dir, 'shared_counts'), join(root, 'shared_counts'));
      const obj = BpfObject.open(fixture('pinned').path, { pinRoot: root });
      expect(() => obj.load()).toThrow(
        expect.objectContaining({
          step: 'pin',
          context: expect.objectContaining({ map: 'shared_counts', path: join(root, 'shared_counts') }),
          message: expect.stringContaining('is a symbolic link'),
        }),
      );
      obj.close();
      expect(lstatSync(join(root, 'shared_counts')).isSymbolicLink()).toBe(true);
    } finally {
      other.unmount();
    }
  });
});
