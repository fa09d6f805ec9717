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

/** A local type CO-RE looks for in the targets, by its name and kind. */
export interface LocalRoot {
  /** The local type's name (a `___flavor` suffix is ignored). */
  readonly name: string;
  /** The local type's kind. */
  readonly kind: BtfKindName;
}

/** The kinds a local type of `kind` may relocate to: its own (ENUM and ENUM64 count as one). */
const targetKinds = (kind: BtfKindName): readonly BtfKindName[] =>
  kind === 'enum' || kind === 'enum64' ? ['enum', 'enum64'] : [kind];

/**
 * Target types a local type may relocate to: same essential name, same kind (ENUM and
 * ENUM64 count as one). The kernel's BTF first; only when it has none, every module's own
 * types. Lookups go through each BTF's name lookups, whose results are kept per BTF object
 * and shared by every object relocated against it.
 */
export function findCandidates(targets: CoreTargets, localName: string, localKind: BtfKindName): Candidate[] {
  return findCandidatesOfEach(targets, [{ name: localName, kind: localKind }])[0] as Candidate[];
}

/**
 * {@link findCandidates} of each of `locals`, looked up together: each BTF is asked once
 * per kind for all the names (`Btf.idsByEssentialNames`), so a first load walks vmlinux's
 * records once for an object's root types. Modules are asked, as one, for the types the
 * kernel has no candidate for.
 */
export function findCandidatesOfEach(targets: CoreTargets, locals: readonly LocalRoot[]): Candidate[][] {
  const found = idsInEach(targets.kernel, locals, 0);
  const missing = locals.flatMap((_, i) => ((found[i] as Candidate[]).length === 0 ? [i] : []));
  if (missing.length === 0 || targets.modules === undefined) return found;
  const wanted = missing.map((i) => locals[i] as LocalRoot);
  const inModules = targets.modules().map((module) => idsInEach(module, wanted, module.firstId));
  missing.forEach((i, j) => {
    found[i] = inModules.flatMap((inModule) => inModule[j] as Candidate[]);
  });
  return found;
}

/** Candidates in `btf` (ids from `fromId`) of each of `locals`, one lookup per kind asked for. */
function idsInEach(btf: Btf, locals: readonly LocalRoot[], fromId: number): Candidate[][] {
  const ids = locals.map((): number[] => []);
  // Asked by kind, a lookup reads only the records (or the name index) of that kind.
  const byKind = new Map<BtfKindName, number[]>();
  locals.forEach((local, i) => {
    for (const target of targetKinds(local.kind)) {
      const asking = byKind.get(target);
      if (asking === undefined) byKind.set(target, [i]);
      else asking.push(i);
    }
  });
  for (const [kind, asking] of byKind) {
    const answers = btf.idsByEssentialNames(
      asking.map((i) => (locals[i] as LocalRoot).name),
      kind,
    );
    asking.forEach((i, j) => {
      (ids[i] as number[]).push(...(answers[j] as number[]));
    });
  }
  return locals.map((local, i) => {
    const own = ids[i] as number[];
    if (targetKinds(local.kind).length > 1) own.sort((a, b) => a - b);
    return own.filter((id) => id >= fromId).map((id) => ({ btf, id }));
  });
}
