import type { ProgramListing } from '../../../packages/cli/src/program-listing.js';
import { el } from './dom.js';

/** One program's disassembly as `bpfkit disasm` prints it: labels, source lines, instructions with their maps. */
export function listingView(listing: ProgramListing): HTMLElement {
  const lines = listing.lines.map((line) => {
    if (line.kind === 'function') return el('div', { class: 'label' }, `${line.name}:`);
    if (line.kind === 'source') return el('div', { class: 'source' }, `; ${line.text} @ ${line.file}:${line.line}`);
    const map = line.map;
    return el(
      'div',
      { class: 'insn' },
      `${String(line.index).padStart(6)}: ${line.text}`,
      map === undefined
        ? undefined
        : el('span', { class: 'map' }, `  ; map '${map.name}'${map.offset === undefined ? '' : ` + ${map.offset}`}`),
    );
  });
  return el(
    'section',
    { id: 'disasm' },
    el('h3', {}, `${listing.name} (section ${listing.section})`),
    el('pre', {}, el('div', { class: 'label' }, `${listing.name}:`), ...lines),
  );
}
