import type { Btf, BtfKindName } from '@bpfkit/btf';

const sameKind = (a: BtfKindName, b: BtfKindName) =>
  a === b || ((a === 'enum' || a === 'enum64') && (b === 'enum' || b === 'enum64'));

/**
 * Target types a local type may relocate to: same essential name, same kind (ENUM and
 * ENUM64 count as one). The base BTF is searched before a split (module) BTF's own types.
 * The lookup goes through the target's name index, built once per BTF object and shared by
 * every object relocated against it.
 */
export function findCandidates(target: Btf, localName: string, localKind: BtfKindName): number[] {
  return target.idsByEssentialName(localName).filter((id) => sameKind(target.kindOf(id), localKind));
}
