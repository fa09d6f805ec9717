import type { BtfType } from '@bpfkit/btf';
import { el } from './dom.js';

/** Height of one row of the list, in pixels (fixed, so the visible rows follow from the scroll offset). */
const ROW_HEIGHT = 22;
/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const OVERSCAN = 10;

/**
 * A virtualised list of types: however many there are (vmlinux has over 100,000), only the
 * rows in view exist in the document, redrawn on scroll. A filter box narrows it by name.
 */
export function typeList(types: readonly BtfType[], open: (id: number) => void): HTMLElement {
  const filter = el('input', { id: 'type-filter', type: 'search', placeholder: 'filter by name' });
  const count = el('span', { id: 'type-count' });
  const spacer = el('div', { class: 'spacer' });
  const viewport = el('div', { id: 'types', class: 'viewport' }, spacer);
  let shown: readonly BtfType[] = types;

  const draw = () => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(
      shown.length,
      Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN,
    );
    const rows = shown.slice(first, last).map((t, i) => {
      const row = el(
        'button',
        { class: 'type-row', 'data-id': String(t.id), type: 'button' },
        el('span', { class: 'id' }, t.id),
        el('span', { class: 'kind' }, t.kind),
        el('span', {}, t.name),
      );
      row.style.top = `${(first + i) * ROW_HEIGHT}px`;
      row.addEventListener('click', () => open(t.id));
      return row;
    });
    spacer.replaceChildren(...rows);
  };
  const refilter = () => {
    const needle = filter.value.toLowerCase();
    shown = needle === '' ? types : types.filter((t) => t.name.toLowerCase().includes(needle));
    spacer.style.height = `${shown.length * ROW_HEIGHT}px`;
    count.textContent = `${shown.length} of ${types.length}`;
    viewport.scrollTop = 0;
    draw();
  };
  let pending = false;
  viewport.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  });
  filter.addEventListener('input', refilter);
  // Drawn once the viewport is in the document and has a height.
  requestAnimationFrame(refilter);
  refilter();
  return el('div', {}, el('div', { class: 'toolbar' }, filter, ' ', count), viewport);
}
