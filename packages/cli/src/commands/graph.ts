import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeObject, type ObjectDescription } from '../describe-object.js';

const id = (kind: 'prog' | 'map', name: string) => `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
const quote = (text: string) => `"${text.replace(/"/g, '\\"')}"`;

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

/** The object as a Mermaid flowchart. */
export function toMermaid(d: ObjectDescription): string {
  const lines = ['flowchart LR'];
  for (const p of d.programs) lines.push(`  ${id('prog', p.name)}["${p.name}<br/>${p.type}"]`);
  for (const m of d.maps) lines.push(`  ${id('map', m.name)}(["${m.name}<br/>${m.type}"])`);
  for (const p of d.programs) for (const m of p.maps) lines.push(`  ${id('prog', p.name)} --> ${id('map', m)}`);
  for (const m of d.maps) {
    for (const slot of m.slots) {
      const [, index, kind, target] = /^\[(\d+)\] = (prog )?(.+)$/.exec(slot) ?? [];
      lines.push(`  ${id('map', m.name)} -. "slot [${index}]" .-> ${id(kind ? 'prog' : 'map', target ?? '')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The output formats of `graph`: SVG rendered in process, Graphviz source, a Mermaid flowchart. */
export const graphFormats = ['svg', 'dot', 'mermaid'] as const;

/** One of {@link graphFormats}. */
export type GraphFormat = (typeof graphFormats)[number];

/** `bpfkit graph OBJ [--format svg|dot|mermaid] [-o FILE]`: SVG is rendered in process (Graphviz in WebAssembly). */
export async function graph(path: string, options: { format?: GraphFormat; output?: string }): Promise<number> {
  const d = describeObject(new Uint8Array(readFileSync(path)), basename(path));
  const format = options.format ?? 'svg';
  let text: string;
  if (format === 'dot') text = toDot(d);
  else if (format === 'mermaid') text = toMermaid(d);
  else {
    const { instance } = await import('@viz-js/viz');
    text = (await instance()).renderString(toDot(d), { format: 'svg' });
  }
  if (options.output) writeFileSync(options.output, text);
  else process.stdout.write(text);
  return 0;
}
