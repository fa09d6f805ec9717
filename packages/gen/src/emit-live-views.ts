import { type BtfType, resolveType, sizeOf } from '@bpfkit/btf';
import { assignStatements, integerOf, type Position, positionText, readExpression } from './codec-expressions.js';
import { cDeclaration, type EmitContext, isCharType, memberName, propertyKey, quote } from './context.js';
import { declarationOf, MAX_TUPLE_LENGTH, typeExpression } from './type-expressions.js';

/** Where a live value sits: the section expression, the byte position, and the expression naming it in errors. */
export interface LivePlace {
  readonly section: string;
  readonly position: Position;
  readonly path: string;
}

/** The name errors give a member path `field` written through a view setter whose own name is in `field`. */
export function viewFieldName(field: string): string {
  if (field === '') return 'field';
  return `field + ${quote(field.startsWith('[') ? field : `.${field}`)}`;
}

/** True when generated statements name the `field` variable (in an error they may throw). */
const usesField = (statements: readonly string[]) => statements.some((line) => /\bfield\b/.test(line));

/** True when a value of type `id` is read in place as a live view: a struct, union or array other than a char array. */
export function readsInPlace(c: EmitContext, id: number): boolean {
  const t = resolveType(c.btf, id);
  return t.kind === 'struct' || t.kind === 'union' || (t.kind === 'array' && !isCharType(resolveType(c.btf, t.type)));
}

/**
 * The live-view classes of one skeleton, emitted on first use: one per struct or union a
 * global reaches by value, named after its declaration (`stats$View`) or, when anonymous,
 * after where it sits (`SkelBss$cfg`, `config$View$inner`). C names never hold a `$`.
 */
export class LiveViews {
  readonly #names = new Map<number, string>();
  readonly #classes: string[] = [];

  constructor(private readonly c: EmitContext) {}

  /** Every view class used so far, nested ones before those that hold them. */
  text(): string {
    return this.#classes.join('\n');
  }

  /** The TypeScript type of a value of type `id` read in place; `anonymous` names its view if it needs one and has no declaration. */
  type(id: number, anonymous: string): string {
    const t = resolveType(this.c.btf, id);
    if (t.kind === 'struct' || t.kind === 'union') return this.viewOf(t, anonymous);
    if (t.kind !== 'array' || isCharType(resolveType(this.c.btf, t.type))) return typeExpression(this.c, id);
    const { args, tuple } = this.arrayArguments(t, anonymous);
    return `rt.${tuple ? 'LiveTuple' : 'LiveArray'}<${args}>`;
  }

  /** The type arguments of a live array: element as read, element as written, whole value; and whether it is a tuple. */
  private arrayArguments(t: Extract<BtfType, { kind: 'array' }>, anonymous: string) {
    const element = this.type(t.type, anonymous);
    const plain = typeExpression(this.c, t.type);
    const tuple = t.length > 0 && t.length <= MAX_TUPLE_LENGTH;
    const args = !tuple && element === plain ? element : `${element}, ${plain}, ${typeExpression(this.c, t.id)}`;
    return { args, tuple };
  }

  /** An expression creating the live view of a struct, union or array of type `id` at `place`. */
  create(id: number, place: LivePlace, anonymous: string, indent: string): string {
    const c = this.c;
    const t = resolveType(c.btf, id);
    const at = positionText(place.position);
    if (t.kind === 'struct' || t.kind === 'union')
      return `new ${this.viewOf(t, anonymous)}(${place.section}, ${at}, ${place.path})`;
    if (t.kind !== 'array') throw new Error(`a ${t.kind} is not read in place`);
    const inner = `${indent}  `;
    const element = { section: 's', position: { base: 'at', offset: 0 }, path: 'path' };
    const live = readsInPlace(c, t.type);
    const reader = live
      ? `(s, at, path) => ${this.create(t.type, element, anonymous, inner)}`
      : `(s, at) => {\n${inner}  const v = s.$view;\n${inner}  return ${readExpression(c, t.type, element.position, `${inner}  `)};\n${inner}}`;
    const write = assignStatements(c, t.type, element.position, 'x', '', `${inner}  `, viewFieldName);
    const writer = [`(v, at, x, ${usesField(write) ? 'field' : '_field'}) => {`, ...write, `${inner}}`].join('\n');
    const { args, tuple } = this.arrayArguments(t, anonymous);
    const array = `new rt.LiveArray<${args}>(\n${inner}${place.section},\n${inner}${at},\n${inner}${t.length},\n${inner}${sizeOf(c.btf, t.type)},\n${inner}${place.path},\n${inner}${reader},\n${inner}${writer},${live ? `\n${inner}true,` : ''}\n${indent})`;
    return tuple ? `${array} as rt.LiveTuple<${args}>` : array;
  }

  private viewOf(t: Extract<BtfType, { kind: 'struct' | 'union' }>, anonymous: string): string {
    const known = this.#names.get(t.id);
    if (known !== undefined) return known;
    const declared = declarationOf(this.c, t.id);
    const name = declared === undefined ? anonymous : `${declared.name}$View`;
    this.#names.set(t.id, name);
    this.#classes.push(this.emitView(t, name));
    return name;
  }

  private emitView(t: Extract<BtfType, { kind: 'struct' | 'union' }>, name: string): string {
    const c = this.c;
    const le = String(c.littleEndian);
    const plain = (indent: string) => typeExpression(c, t.id, indent);
    const declared = declarationOf(c, t.id);
    const cName =
      declared?.cKind === 'typedef' ? declared.cName : t.name === '' ? `anonymous ${t.kind}` : `${t.kind} ${t.name}`;
    const fields: string[] = [];
    const accessors = t.members.flatMap((m, i) => {
      const key = memberName(m, i);
      const property = propertyKey(key);
      const where =
        m.bitfieldSize > 0 ? `bits ${m.bitOffset}..${m.bitOffset + m.bitfieldSize - 1}` : `offset ${m.bitOffset / 8}`;
      const doc = `  /** \`${cDeclaration(c, m.type, m.name)}${m.bitfieldSize > 0 ? `: ${m.bitfieldSize}` : ''}\`, ${where} */`;
      const writable = (statements: string[]) => [
        ...(usesField(statements)
          ? [`    const field = this.$field(${quote(key)});`, '    const v = this.$section.$writable(field);']
          : [`    const v = this.$section.$writable(this.$field(${quote(key)}));`]),
        '    const at = this.$at;',
        ...statements,
      ];
      if (m.bitfieldSize > 0) {
        const signed = integerOf(resolveType(c.btf, m.type))?.signed ?? false;
        const bits = `rt.readBits(this.$section.$view, this.$at, ${m.bitOffset}, ${m.bitfieldSize}, ${le}, ${signed})`;
        const type = m.bitfieldSize > 32 ? 'bigint' : 'number';
        return [
          doc,
          `  get ${property}(): ${type} {`,
          `    return ${m.bitfieldSize > 32 ? bits : `Number(${bits})`};`,
          '  }',
          `  set ${property}(x: ${type}) {`,
          ...writable([
            `    rt.writeBits(v, at, ${m.bitOffset}, ${m.bitfieldSize}, ${le}, rt.bitsValue(x, ${m.bitfieldSize}, ${signed}, field));`,
          ]),
          '  }',
        ];
      }
      const position = { base: 'at', offset: m.bitOffset / 8 };
      const setter = [
        `  set ${property}(x: ${typeExpression(c, m.type, '  ')}) {`,
        ...writable(assignStatements(c, m.type, position, 'x', '', '    ', viewFieldName)),
        '  }',
      ];
      if (readsInPlace(c, m.type)) {
        const anonymous = `${name}$${key.replace(/[^A-Za-z0-9_]/g, '_')}`;
        const type = this.type(m.type, anonymous);
        const place = {
          section: 'this.$section',
          position: { base: 'this.$at', offset: m.bitOffset / 8 },
          path: `this.$field(${quote(key)})`,
        };
        fields.push(`  #m${i}: ${type} | undefined;`);
        return [
          doc,
          `  get ${property}(): ${type} {`,
          `    return (this.#m${i} ??= ${this.create(m.type, place, anonymous, '    ')});`,
          '  }',
          ...setter,
        ];
      }
      return [
        doc,
        `  get ${property}(): ${typeExpression(c, m.type, '  ')} {`,
        '    const v = this.$section.$view;',
        '    const at = this.$at;',
        `    return ${readExpression(c, m.type, position, '    ')};`,
        '  }',
        ...setter,
      ];
    });
    return [
      `/** \`${cName}\` (${sizeOf(c.btf, t.id)} bytes) in a global-data section: each member read and written in place */`,
      `export class ${name} extends rt.LiveView<${plain('')}> {`,
      ...fields,
      ...accessors,
      `  $value(): ${plain('  ')} {`,
      '    const v = this.$section.$view;',
      '    const at = this.$at;',
      `    return ${readExpression(c, t.id, { base: 'at', offset: 0 }, '    ')};`,
      '  }',
      '}',
      '',
    ].join('\n');
  }
}
