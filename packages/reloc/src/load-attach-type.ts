import { AttachType } from '@bpfkit/uapi';
import type { SectionKind } from './section-names.js';

/** What the kernel offers that changes a program's expected attach type at load. */
export interface LoadAttachFeatures {
  /** uprobe_multi links with process filtering (libbpf's FEAT_UPROBE_MULTI_LINK); asked only for usdt programs. */
  readonly uprobeMultiLink: () => boolean;
}

/**
 * The `expected_attach_type` a program of `kind` loads with, as libbpf chooses it: the
 * section's own, except that `usdt` programs load with `BPF_TRACE_UPROBE_MULTI` when the
 * kernel has uprobe_multi links, and then attach through one such link for all sites.
 */
export function loadAttachType(kind: SectionKind, features: LoadAttachFeatures): number | undefined {
  const usdt = kind.pattern === 'usdt+' || kind.pattern === 'usdt.s+';
  return usdt && features.uprobeMultiLink() ? AttachType.TRACE_UPROBE_MULTI : kind.expectedAttachType;
}
