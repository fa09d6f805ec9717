import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeObject } from '../describe-object.js';
import { type GraphFormat, toDot, toMermaid } from '../graph-formats.js';

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
