// The benchmark table: one row per figure, ours beside the reference, their ratio and the
// issue's target, as `npm run bench` prints it and writes it into docs/benchmark.md.

/** One row of the table: ours, the reference, and the target ratio from the issues. */
export interface Figure {
  readonly name: string;
  readonly unit: 'ms' | 'µs' | 'MB' | 'x file' | 'x' | 'M/s';
  readonly ours: number;
  readonly reference: number | undefined;
  readonly referenceName: string;
  /** The largest acceptable ours / reference ratio (the smallest, when {@link higherIsBetter}). */
  readonly target: number | undefined;
  /** For rates (records per second): the target is a floor, as the issue states it (≥ 0.7). */
  readonly higherIsBetter?: boolean;
}

/** The table's columns. */
export const tableHeader = ['figure', 'bpfkit', 'reference', 'reference is', 'ratio', 'target', 'meets'];

/** One Markdown table line. */
export function tableLine(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * A time in milliseconds, written in seconds from 1 s, milliseconds from 1 ms, and in
 * microseconds below (per-call figures: "1.31 µs", "0.0214 µs", never "0.00 ms" or ns),
 * with three significant digits.
 */
export function formatTime(ms: number): string {
  if (ms === 0) return '0 µs';
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  return `${(ms * 1000).toPrecision(3)} µs`;
}

/** A figure's value in its unit (times through {@link formatTime}), or `-` when there is none. */
function formatValue(value: number | undefined, unit: Figure['unit']): string {
  if (value === undefined) return '-';
  if (unit === 'ms') return formatTime(value);
  if (unit === 'µs') return formatTime(value / 1000);
  return `${value.toFixed(2)} ${unit}`;
}

/** A figure's cells, in {@link tableHeader}'s order. */
export function row(f: Figure): string[] {
  const ratio = f.reference === undefined ? f.ours : f.ours / f.reference;
  const floor = f.higherIsBetter === true;
  const met = f.target === undefined ? undefined : floor ? ratio >= f.target : ratio <= f.target;
  const meets = met === undefined ? '' : met ? 'yes' : 'no';
  const target = `${floor ? '≥' : '≤'} ${f.target ?? '-'}`;
  return [
    f.name,
    formatValue(f.ours, f.unit),
    formatValue(f.reference, f.unit),
    f.referenceName,
    ratio.toFixed(2),
    target,
    meets,
  ];
}

/** The whole table, header first. */
export function formatTable(figures: readonly Figure[]): string {
  return [tableHeader, tableHeader.map(() => '---'), ...figures.map(row)].map(tableLine).join('\n');
}

/** Replaces what lies between the page's `bench:start` and `bench:end` markers with `section`. */
export function replaceTableSection(page: string, section: string): string {
  const markers = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/;
  if (!markers.test(page))
    throw new Error('docs/benchmark.md has no <!-- bench:start --> … <!-- bench:end --> section');
  return page.replace(markers, () => `<!-- bench:start -->\n${section}\n<!-- bench:end -->`);
}
