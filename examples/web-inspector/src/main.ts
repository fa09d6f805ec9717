import { el, table } from './dom.js';
import { graphView } from './graph-view.js';
import { inspectObject, type Report } from './inspect.js';
import { listingView } from './listing.js';
import { typeDetail } from './type-detail.js';
import { typeList } from './type-list.js';

const report = document.querySelector<HTMLDivElement>('#report') as HTMLDivElement;
const drop = document.querySelector<HTMLDivElement>('#drop') as HTMLDivElement;
const input = document.querySelector<HTMLInputElement>('#file') as HTMLInputElement;

/** A button-like link that runs `action`. */
function action(text: string, attributes: Record<string, string>, run: () => void): HTMLAnchorElement {
  const link = el('a', { href: '#', ...attributes }, text);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    run();
  });
  return link;
}

function render(r: Report): void {
  const d = r.description;
  const disasm = el('div', { id: 'disasm-panel' });
  const detail = el('div', { id: 'detail-panel' });
  const openType = (id: number) => {
    if (r.btf !== undefined) detail.replaceChildren(typeDetail(r.btf, id, openType));
  };
  const openProgram = (name: string) => {
    const listing = r.listing(name);
    disasm.replaceChildren(
      listing === undefined
        ? el('p', { id: 'disasm' }, 'No disassembly: the maps do not resolve.')
        : listingView(listing),
    );
  };
  report.replaceChildren(
    el('h2', { id: 'object' }, d.name),
    // What would fail comes first.
    d.problems.length === 0
      ? el('p', { id: 'problems' }, 'No problems found.')
      : el(
          'section',
          {},
          el('h2', { class: 'problem' }, 'Would fail to load'),
          el('ul', { id: 'problems' }, ...d.problems.map((p) => el('li', { class: 'problem' }, p))),
        ),
    ...table(
      'Programs',
      'programs',
      ['name', 'section', 'type', 'attach', 'insns'],
      d.programs.map((p) => [
        action(p.name, { class: 'program-link' }, () => openProgram(p.name)),
        p.section,
        p.type,
        p.attachType,
        p.instructions,
      ]),
    ),
    disasm,
    ...table(
      'Maps',
      'maps',
      ['name', 'type', 'key', 'value', 'max'],
      d.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]),
    ),
    ...table(
      'Slot links',
      'slots',
      ['outer', 'slot'],
      d.maps.flatMap((m) => m.slots.map((s) => [m.name, s])),
    ),
    el('h2', {}, 'BTF types'),
    el('div', { class: 'split' }, typeList(r.types, openType), detail),
    graphView(d),
  );
}

async function open(file: File): Promise<void> {
  try {
    render(inspectObject(new Uint8Array(await file.arrayBuffer()), file.name));
  } catch (error) {
    report.replaceChildren(el('p', { class: 'problem', id: 'error' }, (error as Error).message));
  }
}

input.addEventListener('change', () => {
  const file = input.files?.[0];
  if (file) void open(file);
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) void open(file);
});
