import { type Btf, formatCDeclaration, sizeOf } from '@bpfkit/btf';
import { type Child, el } from './dom.js';

/** A link that opens type `id` in the detail panel. */
function typeLink(btf: Btf, id: number, open: (id: number) => void): Child {
  if (id === 0) return 'void';
  const t = btf.type(id);
  const link = el(
    'a',
    { href: '#', class: 'type-link', 'data-id': String(id) },
    `${t.kind} ${t.name || '(anon)'} #${id}`,
  );
  link.addEventListener('click', (event) => {
    event.preventDefault();
    open(id);
  });
  return link;
}

/** Rows of one type's parts: members with their C declarations and offsets, enumerators, parameters, variables. */
function parts(btf: Btf, id: number, open: (id: number) => void): HTMLElement | undefined {
  const t = btf.type(id);
  const rows = (header: readonly string[], body: readonly (readonly Child[])[]) =>
    el(
      'table',
      { id: 'type-parts' },
      el('thead', {}, el('tr', {}, ...header.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...body.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
    );
  switch (t.kind) {
    case 'struct':
    case 'union':
      return rows(
        ['member', 'declaration', 'offset', 'type'],
        t.members.map((m) => [
          m.name || '(anon)',
          el('code', {}, formatCDeclaration(btf, m.type, m.name)),
          m.bitfieldSize ? `bit ${m.bitOffset}, ${m.bitfieldSize} bits` : `${m.bitOffset / 8}`,
          typeLink(btf, m.type, open),
        ]),
      );
    case 'enum':
    case 'enum64':
      return rows(
        ['enumerator', 'value'],
        t.values.map((v) => [v.name, String(v.value)]),
      );
    case 'func_proto':
      return rows(
        ['parameter', 'type'],
        [
          ['(returns)', typeLink(btf, t.returnType, open)],
          ...t.params.map((p) => [p.name || '(anon)', typeLink(btf, p.type, open)]),
        ],
      );
    case 'datasec':
      return rows(
        ['variable', 'offset', 'size'],
        t.vars.map((v) => [typeLink(btf, v.type, open), v.offset, v.size]),
      );
    default:
      return undefined;
  }
}

/** The detail panel of one type: kind, name, size, what it refers to, and its parts, each a link further in. */
export function typeDetail(btf: Btf, id: number, open: (id: number) => void): HTMLElement {
  const t = btf.type(id);
  let size: string;
  try {
    size = `${sizeOf(btf, id)} bytes`;
  } catch {
    size = 'no size';
  }
  const target = 'type' in t && typeof t.type === 'number' ? t.type : undefined;
  return el(
    'section',
    { id: 'type-detail' },
    el('h3', {}, `${t.kind} ${t.name || '(anon)'}`),
    el('p', {}, `id ${id}, ${size}`),
    target === undefined ? undefined : el('p', {}, 'refers to ', typeLink(btf, target, open)),
    parts(btf, id, open),
  );
}
