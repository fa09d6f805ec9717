import { inspectObject, type Report } from './inspect.js';

const report = document.querySelector<HTMLDivElement>('#report') as HTMLDivElement;
const drop = document.querySelector<HTMLDivElement>('#drop') as HTMLDivElement;
const input = document.querySelector<HTMLInputElement>('#file') as HTMLInputElement;

function table(caption: string, id: string, header: string[], rows: (string | number)[][]): string {
  const escapeHtml = (v: string | number) =>
    String(v).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
  const head = header.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<h2>${caption}</h2><table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function render(r: Report): void {
  report.innerHTML = [
    `<h2 id="object">${r.name}</h2>`,
    table(
      'Programs',
      'programs',
      ['name', 'section', 'type', 'attach', 'insns'],
      r.programs.map((p) => [p.name, p.section, p.type, p.attach, p.insns]),
    ),
    table(
      'Maps',
      'maps',
      ['name', 'type', 'key', 'value', 'max'],
      r.maps.map((m) => [m.name, m.type, m.key, m.value, m.max]),
    ),
    table(
      'Slot links',
      'slots',
      ['outer', 'slot', 'target'],
      r.slots.map((s) => [s.outer, s.slot, s.target]),
    ),
    table(
      'BTF types',
      'types',
      ['id', 'kind', 'name'],
      r.types.map((t) => [t.id, t.kind, t.name]),
    ),
    r.problems.length === 0
      ? '<p id="problems">No problems found.</p>'
      : `<ul id="problems">${r.problems.map((p) => `<li class="problem">${p}</li>`).join('')}</ul>`,
  ].join('');
}

async function open(file: File): Promise<void> {
  try {
    render(inspectObject(new Uint8Array(await file.arrayBuffer()), file.name));
  } catch (error) {
    report.innerHTML = `<p class="problem" id="error">${(error as Error).message}</p>`;
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
