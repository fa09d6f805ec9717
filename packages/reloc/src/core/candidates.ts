import { type Btf, type BtfKindName, essentialName } from '@bpfkit/btf';

const indexes = new WeakMap<Btf, Map<string, number[]>>();

/**
 * The essential-name index of a target BTF (vmlinux, a module), built once per BTF object
 * and shared by every object relocated against it.
 */
function essentialIndex(btf: Btf): Map<string, number[]> {
  let index = indexes.get(btf);
  if (index === undefined) {
    index = new Map();
    for (let id = btf.firstId; id < btf.typeCount; id++) {
      const name = btf.nameOf(id);
      if (name === '') continue;
      const key = essentialName(name);
      const ids = index.get(key);
      if (ids === undefined) index.set(key, [id]);
      else ids.push(id);
    }
    indexes.set(btf, index);
  }
  return index;
}

const sameKind = (a: BtfKindName, b: BtfKindName) =>
  a === b || ((a === 'enum' || a === 'enum64') && (b === 'enum' || b === 'enum64'));

/**
 * Target types a local type may relocate to: same essential name, same kind (ENUM and
 * ENUM64 count as one). The base BTF is searched before a split (module) BTF's own types.
 */
export function findCandidates(target: Btf, localName: string, localKind: BtfKindName): number[] {
  const key = essentialName(localName);
  const ids = [
    ...(target.base === undefined ? [] : (essentialIndex(target.base).get(key) ?? [])),
    ...(essentialIndex(target).get(key) ?? []),
  ];
  return ids.filter((id) => sameKind(target.kindOf(id), localKind));
}
