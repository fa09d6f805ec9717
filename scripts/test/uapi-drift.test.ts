import { readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { readKernelBtf } from '@bpfkit/btf/node';
import { describe, expect, it } from 'vitest';
import { bpfAttrSource } from '../attr-layout.js';
import { structLayoutsSource } from '../struct-layouts.js';
import { bpfEnumsSource } from '../uapi-enums.js';
import { bpfLimitsSource } from '../uapi-limits.js';

const packages = new URL('../../packages/', import.meta.url);
const kernel = release().split('-')[0] as string;

/** The committed file without its first line, which names the kernel it was generated on. */
function committed(path: string): string {
  const source = readFileSync(new URL(path, packages), 'utf8');
  return source.slice(source.indexOf('\n') + 1);
}

/** A fresh source without its first line. */
function fresh(source: string): string {
  return source.slice(source.indexOf('\n') + 1);
}

describe('the generated UAPI files', () => {
  it("match the running kernel's BTF (run `npx tsx scripts/gen-uapi.ts` when they drift)", () => {
    const btf = readKernelBtf();
    expect(committed('syscall/src/generated/attr.ts')).toBe(fresh(bpfAttrSource(btf, kernel)));
    expect(committed('syscall/src/generated/structs.ts')).toBe(fresh(structLayoutsSource(btf, kernel)));
    expect(committed('uapi/src/generated/enums.ts')).toBe(fresh(bpfEnumsSource(btf, kernel)));
    expect(committed('uapi/src/generated/limits.ts')).toBe(fresh(bpfLimitsSource(btf, kernel)));
  });

  it('place the fields syscall writes where the UAPI puts them', async () => {
    const { attrSizes, mapCreateAttr, mapElemAttr, progLoadAttr } = await import(
      '../../packages/syscall/src/generated/attr.js'
    );
    expect(mapCreateAttr.map_name).toBe(28);
    expect(mapCreateAttr.map_extra).toBe(64);
    expect(mapElemAttr.flags).toBe(24);
    expect(progLoadAttr.fd_array).toBe(120);
    expect(attrSizes.union).toBeGreaterThanOrEqual(attrSizes.progLoad);
  });

  it('place the info, perf_event_attr and epoll_event fields syscall reads and writes where the UAPI puts them', async () => {
    const { BTF_NAME_LEN, epollEvent, mapInfo, perfEventAttr, perfEventAttrBits, progInfo, structSizes } = await import(
      '../../packages/syscall/src/generated/structs.js'
    );
    // A BTF object's name is a module's name at most: MODULE_NAME_LEN, 64 - sizeof(unsigned long).
    expect(BTF_NAME_LEN).toBe(56);
    expect([progInfo.name, progInfo.verified_insns, progInfo.run_cnt]).toEqual([64, 216, 200]);
    expect([mapInfo.name, mapInfo.map_extra]).toEqual([24, 80]);
    expect([perfEventAttr.config1, perfEventAttr.wakeup_watermark]).toEqual([56, 48]);
    expect([perfEventAttrBits.disabled, perfEventAttrBits.freq, perfEventAttrBits.watermark]).toEqual([320, 330, 334]);
    expect([epollEvent.data, structSizes.epollEvent]).toEqual([4, 12]);
  });

  it('hold the values the UAPI headers define', async () => {
    const { BPF_OBJ_NAME_LEN, BpfCommand, MapFlag, MapType, ProgramType } = await import('@bpfkit/uapi');
    expect(MapType.HASH).toBe(1);
    expect([MapFlag.NO_PREALLOC, MapFlag.RDONLY_PROG, MapFlag.MMAPABLE, MapFlag.INNER_MAP]).toEqual([
      1, 0x80, 0x400, 0x1000,
    ]);
    expect(ProgramType.XDP).toBe(6);
    expect(BpfCommand.PROG_LOAD).toBe(5);
    expect(BPF_OBJ_NAME_LEN).toBe(16);
  });
});

describe('the kernel enums', () => {
  it('are defined once, in @bpfkit/uapi: no other package writes a table of them', () => {
    const tables = /export const (MapType|ProgramType|AttachType|BpfCommand|MapFlag) =|BPF_OBJ_NAME_LEN = \d/;
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && tables.test(readFileSync(path, 'utf8'))) found.push(path);
      }
    };
    for (const name of readdirSync(packages)) {
      if (name !== 'uapi') walk(join(packages.pathname, name, 'src'));
    }
    expect(found).toEqual([]);
  });
});
