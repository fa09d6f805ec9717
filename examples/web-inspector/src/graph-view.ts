import type { ObjectDescription } from '../../../packages/cli/src/describe-object.js';
import { toDot } from '../../../packages/cli/src/graph-formats.js';
import { el } from './dom.js';

/** Graphviz lays out a few hundred nodes quickly; far more would hold the page for long. */
const MAX_GRAPH_NODES = 400;

/**
 * The graph `bpfkit graph` draws (programs, maps, slot links), laid out by Graphviz in
 * WebAssembly on demand. The SVG arrives as an element (Graphviz escapes every label), never as HTML.
 */
export function graphView(description: ObjectDescription): HTMLElement {
  const nodes = description.programs.length + description.maps.length;
  const target = el('div', { id: 'graph' });
  const button = el('button', { id: 'draw-graph', type: 'button' }, 'Draw the graph');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const { instance } = await import('@viz-js/viz');
    target.replaceChildren((await instance()).renderSVGElement(toDot(description)));
  });
  if (nodes > MAX_GRAPH_NODES) {
    button.disabled = true;
    target.append(`${nodes} programs and maps: too many to lay out here; \`bpfkit graph\` draws it.`);
  }
  return el('div', {}, el('h2', {}, 'Graph'), button, target);
}
