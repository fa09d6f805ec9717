// `npx tsx scripts/gen-attr.ts`: writes packages/syscall/src/generated/attr.ts, the byte
// offsets of union bpf_attr's fields, and packages/syscall/src/generated/enums.ts, the map,
// program and attach type enums, from the running kernel's BTF (/sys/kernel/btf/vmlinux) read
// with our btf package. Run it on a newer kernel when scripts/test/attr-drift.test.ts fails.
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { readKernelBtf } from '@bpfkit/btf/node';
import { bpfAttrSource } from './attr-layout.js';
import { bpfEnumsSource } from './uapi-enums.js';

/** Where the generated layouts live. */
export const generatedAttrPath = new URL('../packages/syscall/src/generated/attr.ts', import.meta.url);
/** Where the generated enums live. */
export const generatedEnumsPath = new URL('../packages/syscall/src/generated/enums.ts', import.meta.url);

const kernel = release().split('-')[0] as string;
writeFileSync(generatedAttrPath, bpfAttrSource(readKernelBtf(), kernel));
writeFileSync(generatedEnumsPath, bpfEnumsSource(readKernelBtf(), kernel));
