import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Figure, formatTable, formatTime, replaceTableSection, row } from '../../bench/table.js';

const lookup: Figure = {
  name: 'map lookup per call (koffi)',
  unit: 'ms',
  ours: 0.001_314,
  reference: 0.000_93,
  referenceName: 'C bpf_map_lookup_elem',
  target: 1.5,
};

describe('the benchmark table', () => {
  it('writes per-call times in µs with three significant digits, never "0.00 ms" or ns', () => {
    expect(row(lookup).slice(1, 3)).toEqual(['1.31 µs', '0.930 µs']);
    expect(formatTime(0.000_021_4)).toBe('0.0214 µs');
    expect(formatTime(0)).toBe('0 µs');
  });

  it('writes longer times in ms and s, and µs-unit figures the same way', () => {
    expect(formatTime(2.134)).toBe('2.13 ms');
    expect(formatTime(489.58)).toBe('490 ms');
    expect(formatTime(1890)).toBe('1.89 s');
    const read: Figure = { ...lookup, name: '.bss read', unit: 'µs', ours: 0.0214, reference: 5.69, target: 0.02 };
    expect(row(read)).toEqual(['.bss read', '0.0214 µs', '5.69 µs', 'C bpf_map_lookup_elem', '0.00', '≤ 0.02', 'yes']);
  });

  it('gives the ratio, the target and whether it is met, floors for rates', () => {
    expect(row(lookup).slice(4)).toEqual(['1.41', '≤ 1.5', 'yes']);
    const rate: Figure = { ...lookup, unit: 'M/s', ours: 10, reference: 20, target: 0.7, higherIsBetter: true };
    expect(row(rate).slice(1)).toEqual(['10.00 M/s', '20.00 M/s', 'C bpf_map_lookup_elem', '0.50', '≥ 0.7', 'no']);
  });

  it("--update-page replaces only docs/benchmark.md's table section, and refuses a page without one", () => {
    const page = readFileSync(new URL('../../docs/benchmark.md', import.meta.url), 'utf8');
    const updated = replaceTableSection(page, `Measured now.\n\n${formatTable([lookup])}`);
    expect(updated.slice(0, page.indexOf('<!-- bench:start -->'))).toBe(
      page.slice(0, page.indexOf('<!-- bench:start -->')),
    );
    expect(updated).toContain(
      '| map lookup per call (koffi) | 1.31 µs | 0.930 µs | C bpf_map_lookup_elem | 1.41 | ≤ 1.5 | yes |',
    );
    expect(updated).not.toContain('0.00 ms');
    expect(updated.trimEnd().endsWith('<!-- bench:end -->')).toBe(page.trimEnd().endsWith('<!-- bench:end -->'));
    expect(() => replaceTableSection('# no table', 'x')).toThrow(/bench:start/);
  });
});
