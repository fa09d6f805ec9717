import { styleText } from 'node:util';

/** Colour only when writing to a terminal (and NO_COLOR is unset). */
export function colours(stream: NodeJS.WriteStream): (style: Parameters<typeof styleText>[0], text: string) => string {
  const enabled = stream.isTTY === true && process.env.NO_COLOR === undefined;
  return (style, text) => (enabled ? styleText(style, text) : text);
}

/** A left-aligned text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Bytes as space-separated hex pairs. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hexBytes(v) : v),
    2,
  );
}
