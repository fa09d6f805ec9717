import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { readKernelBtf } from '@bpfkit/btf/node';
import { describe, expect, it } from 'vitest';
import { bpfAttrSource } from '../attr-layout.js';
import { bpfEnumsSource } from '../uapi-enums.js';

const generated = new URL('../../packages/syscall/src/generated/attr.ts', import.meta.url);
const generatedEnums = new URL('../../packages/syscall/src/generated/enums.ts', import.meta.url);

/** The committed file without its first line, which names the kernel it was generated on. */
function layouts(source: string): string {
  return source.slice(source.indexOf('\n') + 1);
}

describe('the generated union bpf_attr layouts', () => {
  it("match the running kernel's BTF (run `npx tsx scripts/gen-attr.ts` when they drift)", () => {
    const fresh = bpfAttrSource(readKernelBtf(), release().split('-')[0] as string);
    expect(layouts(readFileSync(generated, 'utf8'))).toBe(layouts(fresh));
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
});

describe('the generated bpf enums', () => {
  it("match the running kernel's BTF (run `npx tsx scripts/gen-attr.ts` when they drift)", () => {
    const fresh = bpfEnumsSource(readKernelBtf(), release().split('-')[0] as string);
    expect(layouts(readFileSync(generatedEnums, 'utf8'))).toBe(layouts(fresh));
  });

  it("agree with the pure packages' own constants, name for name and value for value", async () => {
    const generatedValues = await import('../../packages/syscall/src/generated/enums.js');
    const { MapType } = await import('@bpfkit/maps');
    const { AttachType, ProgramType } = await import('@bpfkit/reloc');
    expect(generatedValues.MapType).toMatchObject(MapType);
    expect(generatedValues.ProgramType).toMatchObject(ProgramType);
    expect(generatedValues.AttachType).toMatchObject(AttachType);
    expect(generatedValues.MapType.HASH).toBe(1);
    expect(generatedValues.ProgramType.XDP).toBe(6);
  });
});
