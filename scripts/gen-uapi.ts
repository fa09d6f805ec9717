// `npx tsx scripts/gen-uapi.ts`: writes the kernel UAPI facts bpfkit uses, from the running
// kernel's BTF (/sys/kernel/btf/vmlinux) read with our btf package: the map, program and attach
// type enums, the bpf(2) commands and BPF_OBJ_NAME_LEN into packages/uapi/src/generated/, the
// byte offsets of union bpf_attr's fields into packages/syscall/src/generated/attr.ts and of the
// info, perf_event_attr and epoll_event structs into packages/syscall/src/generated/structs.ts. Run it on
// a newer kernel when scripts/test/uapi-drift.test.ts fails.
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { readKernelBtf } from '@bpfkit/btf/node';
import { bpfAttrSource } from './attr-layout.js';
import { structLayoutsSource } from './struct-layouts.js';
import { bpfEnumsSource } from './uapi-enums.js';
import { bpfLimitsSource } from './uapi-limits.js';

/** Where the generated `union bpf_attr` layouts live (only syscall writes bpf_attr). */
export const generatedAttrPath = new URL('../packages/syscall/src/generated/attr.ts', import.meta.url);
/** Where the generated struct layouts live (only syscall reads and writes them). */
export const generatedStructsPath = new URL('../packages/syscall/src/generated/structs.ts', import.meta.url);
/** Where the generated enums live. */
export const generatedEnumsPath = new URL('../packages/uapi/src/generated/enums.ts', import.meta.url);
/** Where the generated limits live. */
export const generatedLimitsPath = new URL('../packages/uapi/src/generated/limits.ts', import.meta.url);

const btf = readKernelBtf();
const kernel = release().split('-')[0] as string;
writeFileSync(generatedAttrPath, bpfAttrSource(btf, kernel));
writeFileSync(generatedStructsPath, structLayoutsSource(btf, kernel));
writeFileSync(generatedEnumsPath, bpfEnumsSource(btf, kernel));
writeFileSync(generatedLimitsPath, bpfLimitsSource(btf, kernel));
