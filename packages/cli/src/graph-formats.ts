import type { ObjectDescription } from './describe-object.js';

/** The output formats of `graph`: SVG rendered in process, Graphviz source, a Mermaid flowchart. */
export const graphFormats = ['svg', 'dot', 'mermaid'] as const;

/** One of {@link graphFormats}. */
export type GraphFormat = (typeof graphFormats)[number];

const id = (kind: 'prog' | 'map', name: string) => `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
/** A DOT string: names come from the ELF, so backslashes are escaped as well as quotes. */
const quote = (text: string) => `"${text.replace(/[\\"]/g, '\\$&')}"`;

/** The object as a Graphviz digraph: programs (boxes), maps (ellipses), references and slots. */
export function toDot(d: ObjectDescription): string {
  const lines = [`digraph ${quote(d.name)} {`, '  rankdir=LR;', '  node [fontname="Helvetica"];'];
  for (const p of d.programs)
    lines.push(
      `  ${id('prog', p.name)} [shape=box, style=filled, fillcolor="#dbeafe", label=${quote(`${p.name}\n${p.type}`)}];`,
    );
  for (const m of d.maps)
    lines.push(
      `  ${id('map', m.name)} [shape=ellipse, style=filled, fillcolor="#fef3c7", label=${quote(`${m.name}\n${m.type}`)}];`,
    );
  for (const p of d.programs) for (const m of p.maps) lines.push(`  ${id('prog', p.name)} -> ${id('map', m)};`);
  for (const m of d.maps) {
    for (const slot of m.slots) {
      const [, index, kind, target] = /^\[(\d+)\] = (prog )?(.+)$/.exec(slot) ?? [];
      lines.push(
        `  ${id('map', m.name)} -> ${id(kind ? 'prog' : 'map', target ?? '')} [style=dashed, label=${quote(`slot [${index}]`)}];`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Text inside a Mermaid `"…"` label: names come from the ELF, so quotes and markup are written as entity codes. */
const label = (text: string) =>
  text.replace(/[&"<>]/g, (c) => ({ '&': '#amp;', '"': '#quot;', '<': '#lt;', '>': '#gt;' })[c] ?? c);

/** The object as a Mermaid flowchart. */
export function toMermaid(d: ObjectDescription): string {
  const lines = ['flowchart LR'];
  for (const p of d.programs) lines.push(`  ${id('prog', p.name)}["${label(p.name)}<br/>${label(p.type)}"]`);
  for (const m of d.maps) lines.push(`  ${id('map', m.name)}(["${label(m.name)}<br/>${label(m.type)}"])`);
  for (const p of d.programs) for (const m of p.maps) lines.push(`  ${id('prog', p.name)} --> ${id('map', m)}`);
  for (const m of d.maps) {
    for (const slot of m.slots) {
      const [, index, kind, target] = /^\[(\d+)\] = (prog )?(.+)$/.exec(slot) ?? [];
      lines.push(`  ${id('map', m.name)} -. "slot [${index}]" .-> ${id(kind ? 'prog' : 'map', target ?? '')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
