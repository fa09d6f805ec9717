/** A child of {@link el}: text (always inserted as a text node, never parsed as HTML), an element, or nothing. */
export type Child = string | number | Node | undefined | null | false;

/**
 * Creates an element with attributes and children. Text from the object (names, messages)
 * goes in as text nodes, so markup inside it stays text: nothing here assigns HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** A captioned table; a cell is text or an element (a link that drills in). */
export function table(caption: string, id: string, header: readonly string[], rows: readonly (readonly Child[])[]) {
  return [
    el('h2', {}, caption),
    el(
      'table',
      { id },
      el('thead', {}, el('tr', {}, ...header.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows.map((row) => el('tr', {}, ...row.map((cell) => el('td', {}, cell))))),
    ),
  ];
}
