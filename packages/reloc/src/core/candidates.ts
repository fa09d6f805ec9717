import type { Btf, BtfKindName } from '@bpfkit/btf';

/** Where CO-RE looks for target types. */
export interface CoreTargets {
  /** The kernel's own BTF (vmlinux), searched first. */
  readonly kernel: Btf;
  /**
   * Module BTFs (split on `kernel`), asked for and searched only when the kernel has no
   * candidate for a type, as libbpf does; each module's own types are searched.
   */
  readonly modules?: () => readonly Btf[];
}

/** A target type a local type may relocate to, and the BTF it lives in. */
export interface Candidate {
  /** The BTF the candidate type lives in (vmlinux or a module's). */
  readonly btf: Btf;
  /** The candidate's type id in that BTF. */
  readonly id: number;
}

/** The kinds a local type of `kind` may relocate to: its own (ENUM and ENUM64 count as one). */
const targetKinds = (kind: BtfKindName): readonly BtfKindName[] =>
  kind === 'enum' || kind === 'enum64' ? ['enum', 'enum64'] : [kind];

/**
 * Target types a local type may relocate to: same essential name, same kind (ENUM and
 * ENUM64 count as one). The kernel's BTF first; only when it has none, every module's own
 * types. Lookups go through each BTF's name index, built once per BTF object and shared
 * by every object relocated against it.
 */
export function findCandidates(targets: CoreTargets, localName: string, localKind: BtfKindName): Candidate[] {
  const inKernel = idsIn(targets.kernel, localName, localKind, 0);
  if (inKernel.length > 0 || targets.modules === undefined) return inKernel;
  return targets.modules().flatMap((module) => idsIn(module, localName, localKind, module.firstId));
}

function idsIn(btf: Btf, name: string, kind: BtfKindName, fromId: number): Candidate[] {
  // Asked by kind, a lookup reads only the name index that holds that kind.
  const kinds = targetKinds(kind);
  const ids = kinds.flatMap((target) => btf.idsByEssentialName(name, target));
  if (kinds.length > 1) ids.sort((a, b) => a - b);
  return ids.filter((id) => id >= fromId).map((id) => ({ btf, id }));
}
