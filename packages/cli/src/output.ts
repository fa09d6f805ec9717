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

/**
 * JSON, indented by two spaces, with bigints as plain integers (JSON's numbers have no size
 * limit; `JSON.parse` rounds past 2^53, a parser with big-number support reads them exactly)
 * and byte arrays as hex strings. With `null` for the indent, all on one line.
 */
export function toJson(value: unknown, indent: string | null = ''): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(hexBytes(value));
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return toJson((value as { toJSON: () => unknown }).toJSON(), indent);
  }
  const inner = indent === null ? null : `${indent}  `;
  const [open, separator, close] = inner === null ? ['', ',', ''] : ['\n', ',\n', `\n${indent}`];
  const lead = inner ?? '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${open}${value.map((v) => lead + toJson(v, inner)).join(separator)}${close}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (entries.length === 0) return '{}';
  const colon = inner === null ? ':' : ': ';
  return `{${open}${entries.map(([k, v]) => `${lead}${JSON.stringify(k)}${colon}${toJson(v, inner)}`).join(separator)}${close}}`;
}

/** {@link toJson} on one line, for streams of records (one JSON document per line). */
export function toJsonLine(value: unknown): string {
  return toJson(value, null);
}
