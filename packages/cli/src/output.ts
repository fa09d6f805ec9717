import { styleText } from 'node:util';

/** FORCE_COLOR values that turn colour on, as Node reads them (`0`, `false` and anything else turn it off). */
const FORCE_COLOR_ON = new Set(['', '1', '2', '3', 'true']);

/**
 * Whether to colour output going to a stream: `FORCE_COLOR` decides when set (it wins over
 * `NO_COLOR`, as in Node), then a non-empty `NO_COLOR` or `TERM=dumb` turns colour off, and
 * otherwise only a terminal gets colour.
 */
export function colourEnabled(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.FORCE_COLOR !== undefined) return FORCE_COLOR_ON.has(env.FORCE_COLOR);
  if ((env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb') return false;
  return isTTY;
}

/** A styling function for `stream`: colour as {@link colourEnabled} decides from this process's environment. */
export function colours(stream: NodeJS.WriteStream): (style: Parameters<typeof styleText>[0], text: string) => string {
  const enabled = colourEnabled(stream.isTTY === true, process.env);
  // Node's own stream check is skipped: the decision above is the one that holds.
  return (style, text) => (enabled ? styleText(style, text, { validateStream: false }) : text);
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
