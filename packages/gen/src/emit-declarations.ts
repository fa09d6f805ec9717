import { type BtfReference, resolveType, sizeOf } from '@bpfkit/btf';
import { fillStatements, readExpression } from './codec-expressions.js';
import { cDeclaration, type EmitContext, propertyKey } from './context.js';
import type { Declaration } from './declarations.js';
import { enumValues, literal, objectType } from './type-expressions.js';

/**
 * TypeScript for every declaration in `c`, in order: an interface and a codec (`rt.codec`)
 * per struct and union, a `const` object of values and a union type per enum, a type and a
 * value alias per typedef of them. Each carries a doc comment with its C type and size.
 */
export function emitDeclarations(c: EmitContext): string {
  return c.declarations.list.map((d) => emitDeclaration(c, d)).join('\n');
}

function emitDeclaration(c: EmitContext, d: Declaration): string {
  const target = resolveType(c.btf, d.target);
  const cName = d.cKind === 'typedef' ? d.cName : `${d.cKind} ${d.cName}`;
  switch (d.form) {
    case 'alias': {
      const of = cDeclaration(c, (c.btf.type(d.id) as BtfReference).type, '');
      const named = c.declarations.byId.get(d.target)?.name ?? 'never';
      return [
        `/** \`typedef ${of} ${d.cName}\` */`,
        `export type ${d.name} = ${named};`,
        `/** \`typedef ${of} ${d.cName}\` */`,
        `export const ${d.name} = ${named};`,
        '',
      ].join('\n');
    }
    case 'enum': {
      if (target.kind !== 'enum' && target.kind !== 'enum64') return '';
      const values = enumValues(target);
      const body = values.map((v) => `  ${propertyKey(v.name)}: ${literal(v.value, target.size)},`);
      const fallback = values.length === 0 ? (target.size > 4 ? 'bigint' : 'number') : undefined;
      return [
        `/** \`${cName}\`, ${target.size} bytes: its values by name */`,
        `export const ${d.name} = {${body.length === 0 ? '' : `\n${body.join('\n')}\n`}} as const;`,
        `/** A value of \`${cName}\` (the kernel may hold one it does not name) */`,
        `export type ${d.name} = ${fallback ?? `(typeof ${d.name})[keyof typeof ${d.name}]`};`,
        '',
      ].join('\n');
    }
    case 'interface': {
      if (target.kind !== 'struct' && target.kind !== 'union') return '';
      const size = sizeOf(c.btf, target.id);
      const read = readExpression(c, target.id, { base: 'at', offset: 0 }, '  ', true);
      const fill = fillStatements(c, target.id, { base: 'at', offset: 0 }, 'x', d.cName, '    ', 0, true);
      return [
        `/** \`${cName}\`, ${size} bytes */`,
        `export interface ${d.name} ${objectType(c, target, '')}`,
        `/** Reads and writes \`${cName}\` (${size} bytes, ${c.littleEndian ? 'little' : 'big'}-endian) */`,
        `export const ${d.name}: rt.GeneratedCodec<${d.name}> = rt.codec<${d.name}>(`,
        `  ${size},`,
        `  (v, at) => (${read}),`,
        `  (v, at, x) => {`,
        ...fill,
        '  },',
        ');',
        '',
      ].join('\n');
    }
  }
}
