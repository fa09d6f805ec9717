import { BtfBuilder, parseBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { readFixture } from '@bpfkit/fixtures';
import { type MapSpec, resolveMaps } from '@bpfkit/maps';
import { describe, expect, it } from 'vitest';
import {
  fillKconfig,
  hasSyscallWrapper,
  kernelVersionCode,
  linuxVersionCode,
  mapReferencesOf,
  parseKernelConfig,
  planPrograms,
  RelocError,
  syscallWrapperSymbol,
} from '../src/index.js';

const elf = parseElf(readFixture('kconfig'), { name: 'kconfig.el.o' });
const btf = readObjectBtf(elf)?.btf;
if (btf === undefined) throw new Error('no BTF');
const kconfigMap = () => resolveMaps(elf, btf).find((m) => m.source === 'kconfig') as MapSpec;

describe('kernel config', () => {
  it('parses set and unset options', () => {
    const config = parseKernelConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="text"\nCONFIG_D=0x10\nnoise\n');
    expect([...config]).toEqual([
      ['CONFIG_A', 'y'],
      ['CONFIG_B', 'n'],
      ['CONFIG_C', '"text"'],
      ['CONFIG_D', '0x10'],
    ]);
  });

  it.each([
    ['6.18.44-fc-v669', (6 << 16) + (18 << 8) + 44],
    ['5.15.300', (5 << 16) + (15 << 8) + 255],
    ['6.1', (6 << 16) + (1 << 8)],
  ])('KERNEL_VERSION of %s', (release, code) => {
    expect(kernelVersionCode(release)).toBe(code);
  });
});

describe('.kconfig externs', () => {
  it('are laid out as libbpf lays them out', () => {
    expect(kconfigMap().externs.map((e) => [e.name, e.offset, e.size, e.weak])).toEqual([
      ['CONFIG_BPFKIT_NOT_A_REAL_OPTION', 0, 4, true],
      ['CONFIG_BPF_LSM', 4, 4, true],
      ['CONFIG_HZ', 8, 4, false],
      ['LINUX_KERNEL_VERSION', 12, 4, false],
      ['CONFIG_BPF_SYSCALL', 16, 1, false],
      ['CONFIG_LOCALVERSION', 17, 16, true],
    ]);
    expect(kconfigMap()).toMatchObject({ name: 'kconfig.kconfig', valueSize: 33, flags: 0x480, freeze: true });
  });

  it('are referenced from programs as values of the .kconfig map', () => {
    const maps = resolveMaps(elf, btf);
    const [plan] = planPrograms(elf, maps);
    // One reference per extern, at the extern's offset (an index into an array goes in the load's own offset).
    const offsets = mapReferencesOf(plan?.instructions ?? [])
      .filter((r) => r.map === 'kconfig.kconfig')
      .map((r) => r.offset);
    expect(offsets?.sort((a, b) => a - b)).toEqual([0, 4, 8, 12, 16, 17]);
  });

  it('take config values by their C type', () => {
    const map = kconfigMap();
    const config = new Map([
      ['CONFIG_BPF_SYSCALL', 'y'],
      ['CONFIG_BPF_LSM', 'm'],
      ['CONFIG_HZ', '300'],
      ['CONFIG_LOCALVERSION', '"-abc"'],
    ]);
    fillKconfig(map, btf, { release: '6.2.3', config }, true);
    const view = new DataView((map.initialData as Uint8Array).buffer);
    expect(view.getUint32(0, true)).toBe(0);
    expect(view.getUint32(4, true)).toBe(2);
    expect(view.getUint32(8, true)).toBe(300);
    expect(view.getUint32(12, true)).toBe((6 << 16) + (2 << 8) + 3);
    expect(view.getUint8(16)).toBe(1);
    expect(new TextDecoder().decode((map.initialData as Uint8Array).subarray(17, 21))).toBe('-abc');
  });

  it('refuse a missing strong extern and wrong kinds of value', () => {
    const missing = () =>
      fillKconfig(kconfigMap(), btf, { release: '6.2.3', config: new Map([['CONFIG_BPF_SYSCALL', 'y']]) }, true);
    expect(missing).toThrow(RelocError);
    expect(missing).toThrow(/extern 'CONFIG_HZ': \(strong\) not found/);
    const boolAsM = () =>
      fillKconfig(
        kconfigMap(),
        btf,
        {
          release: '6.2.3',
          config: new Map([
            ['CONFIG_BPF_SYSCALL', 'm'],
            ['CONFIG_HZ', '1'],
          ]),
        },
        true,
      );
    expect(boolAsM).toThrow(/value 'm' needs enum libbpf_tristate/);
  });

  // CONFIG_HZ is an int: 4 signed bytes.
  const hz = (value: string) => {
    const map = kconfigMap();
    const config = new Map([
      ['CONFIG_BPF_SYSCALL', 'y'],
      ['CONFIG_HZ', value],
    ]);
    fillKconfig(map, btf, { release: '6.2.3', config }, true);
    return new DataView((map.initialData as Uint8Array).buffer).getInt32(8, true);
  };

  it('read numbers as libbpf does: decimal, hex, octal, signed', () => {
    expect([hz('250'), hz('0x7fffffff'), hz('010'), hz('0'), hz('-1'), hz('-0x80000000'), hz('+5')]).toEqual([
      250, 0x7fffffff, 8, 0, -1, -0x80000000, 5,
    ]);
  });

  it('refuse a number the extern cannot hold instead of truncating it, as libbpf does', () => {
    expect(() => hz('0x80000000')).toThrow(/value '0x80000000' is out of range of a 4-byte signed integer/);
    expect(() => hz('-0x80000001')).toThrow(/out of range/);
    expect(() => hz('4294967296')).toThrow(/out of range/);
    expect(() => hz('18446744073709551616')).toThrow(/value '18446744073709551616' is not a number/);
    expect(() => hz('12abc')).toThrow(/is not a number/);
    expect(() => hz('08')).toThrow(/is not a number/);
  });
});

describe('computed LINUX_ externs', () => {
  const elf = parseElf(readFixture('linux_externs'), { name: 'linux_externs.el.o' });
  const own = readObjectBtf(elf)?.btf;
  if (own === undefined) throw new Error('no BTF');
  const map = () => resolveMaps(elf, own).find((m) => m.source === 'kconfig') as MapSpec;
  const values = (spec: MapSpec) => {
    const offset = (name: string) => spec.externs.find((e) => e.name === name)?.offset ?? -1;
    const data = spec.initialData as Uint8Array;
    const view = new DataView(data.buffer, data.byteOffset);
    return {
      cookie: data[offset('LINUX_HAS_BPF_COOKIE')],
      wrapper: data[offset('LINUX_HAS_SYSCALL_WRAPPER')],
      version: view.getUint32(offset('LINUX_KERNEL_VERSION'), true),
    };
  };

  it('take the probed answers into bools, and the version code into an int', () => {
    for (const answer of [true, false]) {
      const spec = map();
      fillKconfig(
        spec,
        own,
        {
          release: '6.18.0',
          config: new Map(),
          versionCode: 0x61244,
          bpfCookie: () => answer,
          syscallWrapper: () => !answer,
        },
        true,
      );
      expect(values(spec)).toEqual({ cookie: Number(answer), wrapper: Number(!answer), version: 0x61244 });
    }
  });

  it('are never read from the config, and an unknown weak one stays 0', () => {
    const spec = map();
    const config = new Map([
      ['LINUX_HAS_BPF_COOKIE', 'y'],
      ['LINUX_BPFKIT_NOT_COMPUTED', '5'],
    ]);
    fillKconfig(spec, own, { release: '6.18.0', config, bpfCookie: () => false }, true);
    expect(values(spec).cookie).toBe(0);
    const unknown = spec.externs.find((e) => e.name === 'LINUX_BPFKIT_NOT_COMPUTED')?.offset as number;
    expect((spec.initialData as Uint8Array)[unknown]).toBe(0);
  });
});

describe('LINUX_VERSION_CODE as libbpf computes it', () => {
  it.each([
    [{ release: '6.18.44-fc-v669' }, (6 << 16) + (18 << 8) + 44],
    [{ release: '4.19.0-22-amd64', version: '#1 SMP Debian 4.19.260-1 (2022-09-29)' }, (4 << 16) + (19 << 8) + 255],
    [
      { release: '5.15.0-91-generic', ubuntuSignature: 'Ubuntu 5.15.0-91.101-generic 5.15.131\n' },
      (5 << 16) + (15 << 8) + 131,
    ],
    [{ release: '6.1' }, 0],
  ])('%o', (uts, code) => {
    expect(linuxVersionCode(uts)).toBe(code);
  });
});

describe('syscall wrappers', () => {
  const kernelWith = (name: string) => {
    const b = new BtfBuilder();
    const proto = b.add({ kind: 'func_proto', name: '', returnType: 0, params: [] });
    b.add({ kind: 'func', name, type: proto, linkage: 0 });
    return parseBtf(b.encode());
  };
  const noSymbols = () => undefined;

  it('exist when the wrapper of bpf(2) for the architecture is in the kernel BTF or its symbols', () => {
    expect(syscallWrapperSymbol('x64')).toBe('__x64_sys_bpf');
    expect(syscallWrapperSymbol('ppc64')).toBe('__powerpc_sys_bpf');
    expect(hasSyscallWrapper('x64', kernelWith('__x64_sys_bpf'), noSymbols, true)).toBe(true);
    expect(hasSyscallWrapper('arm64', kernelWith('__x64_sys_bpf'), noSymbols, true)).toBe(false);
    const arm64 = (n: string) => (n === '__arm64_sys_bpf' ? 1n : undefined);
    expect(hasSyscallWrapper('arm64', kernelWith('__sys_bpf'), arm64, true)).toBe(true);
    expect(hasSyscallWrapper('loong64', kernelWith('__loong64_sys_bpf'), () => 1n, true)).toBe(false);
  });

  it('read as absent where the kernel cannot make kprobes, as libbpf answers (it probes with a kprobe)', () => {
    expect(hasSyscallWrapper('x64', kernelWith('__x64_sys_bpf'), () => 1n, false)).toBe(false);
  });
});
