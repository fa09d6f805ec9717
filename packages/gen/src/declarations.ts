import { type Btf, type BtfType, resolveType, skipQualifiers } from '@bpfkit/btf';

/** One named TypeScript declaration for a BTF type. */
export interface Declaration {
  /** How it is emitted: an interface and codec, an enum object and union type, or an alias of another declaration. */
  readonly form: 'interface' | 'enum' | 'alias';
  /** The BTF id that carries the C name (a typedef of an anonymous struct carries its struct's name). */
  readonly id: number;
  /** The struct, union or enum declared (for an alias: what it names). */
  readonly target: number;
  /** The C name. */
  readonly cName: string;
  /** The C namespace the name lives in. */
  readonly cKind: 'struct' | 'union' | 'enum' | 'typedef';
  /** The TypeScript name, unique in the module. */
  readonly name: string;
}

/** Every declaration a set of root types needs, in dependency order, and a name for every id that has one. */
export interface Declarations {
  /** In emission order: what a declaration refers to comes before it. */
  readonly list: readonly Declaration[];
  /** The declaration that names a BTF id (typedefs and struct ids both map to theirs). */
  readonly byId: ReadonlyMap<number, Declaration>;
}

/** Words TypeScript reserves, and global names a generated module must not shadow. */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'as implements interface let package private protected public static yield any bigint boolean constructor ' +
    'declare get infer is keyof module namespace never readonly require number object set string symbol type ' +
    'undefined unique unknown from global of await async satisfies accessor out ' +
    'Array ArrayBuffer BigInt Boolean DataView Date Error Function Map Math Number Object Partial Promise Readonly ' +
    'Record Set String Symbol Uint8Array globalThis'
  ).split(' '),
);

const isComposite = (t: BtfType) => t.kind === 'struct' || t.kind === 'union';
const isEnum = (t: BtfType) => t.kind === 'enum' || t.kind === 'enum64';
const kindRank: Record<Declaration['cKind'], number> = { struct: 0, union: 1, enum: 2, typedef: 3 };

/**
 * The named declarations reachable from `roots` (map keys and values, variables, types the
 * user names): named structs, unions and enums, and typedefs of them. Typedefs of numbers,
 * pointers and arrays are transparent (their C name stays in doc comments); pointers are
 * not followed (a pointer is a `bigint`). Names are the C names; a C name used by two
 * declarations (`struct x` and `union x`), or a reserved word, gets a suffix, decided by
 * kind, then name, then id, so the same BTF always gives the same names. `reserved` are
 * names the caller's own code uses. Names never hold a `$` (clang accepts it in C names), so
 * the skeleton's live-view classes (`stats$View`) cannot clash with them.
 */
export function collectDeclarations(
  btf: Btf,
  roots: readonly number[],
  reserved: readonly string[] = [],
): Declarations {
  type Draft = Omit<Declaration, 'name'>;
  const drafts: Draft[] = [];
  const draftById = new Map<number, Draft>();
  const visited = new Set<number>();

  const declare = (draft: Draft, ...ids: number[]) => {
    for (const id of ids) draftById.set(id, draft);
  };
  const visit = (id: number): void => {
    if (id === 0 || visited.has(id)) return;
    visited.add(id);
    const t = skipQualifiers(btf, id);
    if (t.id !== id) {
      visit(t.id);
      return;
    }
    switch (t.kind) {
      case 'typedef': {
        const target = resolveType(btf, t.id);
        if (!isComposite(target) && !isEnum(target)) {
          visit(t.type);
          return;
        }
        if (target.name === '' && !draftById.has(target.id)) {
          // typedef struct { … } name_t: the typedef names the struct itself.
          visited.add(target.id);
          visitMembers(target);
          const form = isEnum(target) ? 'enum' : 'interface';
          const draft: Draft = { form, id: t.id, target: target.id, cName: t.name, cKind: 'typedef' };
          declare(draft, t.id, target.id);
          drafts.push(draft);
          return;
        }
        visit(target.id);
        const named = draftById.get(target.id);
        if (named !== undefined && named.cName === t.name) {
          declare(named, t.id);
          return;
        }
        const draft: Draft = { form: 'alias', id: t.id, target: target.id, cName: t.name, cKind: 'typedef' };
        declare(draft, t.id);
        drafts.push(draft);
        return;
      }
      case 'struct':
      case 'union':
        visitMembers(t);
        if (t.name !== '') {
          const draft: Draft = { form: 'interface', id: t.id, target: t.id, cName: t.name, cKind: t.kind };
          declare(draft, t.id);
          drafts.push(draft);
        }
        return;
      case 'enum':
      case 'enum64':
        if (t.name !== '') {
          const draft: Draft = { form: 'enum', id: t.id, target: t.id, cName: t.name, cKind: 'enum' };
          declare(draft, t.id);
          drafts.push(draft);
        }
        return;
      case 'array':
      case 'var':
        visit(t.type);
        return;
      case 'datasec':
        for (const v of t.vars) visit(v.type);
        return;
      default:
        return;
    }
  };
  const visitMembers = (t: BtfType) => {
    if (t.kind === 'struct' || t.kind === 'union') for (const m of t.members) visit(m.type);
  };
  for (const root of roots) visit(root);

  const names = assignNames(drafts, reserved);
  const list = drafts.map((draft) => ({ ...draft, name: names.get(draft) as string }));
  const byDraft = new Map(drafts.map((draft, i) => [draft, list[i] as Declaration]));
  const byId = new Map([...draftById].map(([id, draft]) => [id, byDraft.get(draft) as Declaration]));
  return { list, byId };
}

/** Unique names: the C name when free, else `<name>_<kind>`, then a counter. */
function assignNames<T extends Omit<Declaration, 'name'>>(drafts: readonly T[], reserved: readonly string[]) {
  const used = new Set([...RESERVED, ...reserved]);
  const order = [...drafts].sort(
    (a, b) =>
      kindRank[a.cKind] - kindRank[b.cKind] || (a.cName < b.cName ? -1 : a.cName > b.cName ? 1 : 0) || a.id - b.id,
  );
  const names = new Map<T, string>();
  for (const draft of order) {
    const base = draft.cName.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');
    let name = base;
    if (used.has(name)) name = `${base}_${draft.cKind}`;
    for (let n = 2; used.has(name); n++) name = `${base}_${draft.cKind}${n}`;
    used.add(name);
    names.set(draft, name);
  }
  return names;
}
