import type { Btf } from '@bpfkit/btf';

/**
 * The kernel module a module BTF belongs to: the last part of the BTF's name, which is its
 * `/sys/kernel/btf` path (`/sys/kernel/btf/nf_tables` gives `nf_tables`).
 */
export function moduleName(btf: Btf): string {
  return btf.name?.split('/').pop() ?? '';
}
