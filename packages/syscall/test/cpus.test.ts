import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countCpuList, POSSIBLE_CPUS_PATH, possibleCpus } from '../src/index.js';

describe('countCpuList', () => {
  it.each([
    ['0', 1],
    ['0-1\n', 2],
    ['0-3,8,10-11', 7],
    ['0,2-5', 5],
  ])('counts %j as %i CPUs', (text, count) => {
    expect(countCpuList(text)).toBe(count);
  });

  it.each(['', 'x', '3-1', '0-', '0,,1', '-1'])('refuses %j', (text) => {
    expect(countCpuList(text)).toBeUndefined();
  });
});

describe('possibleCpus', () => {
  it("counts the kernel's possible set, at least one CPU", () => {
    const count = possibleCpus();
    expect(count).toBe(countCpuList(readFileSync(POSSIBLE_CPUS_PATH, 'utf8')));
    expect(count).toBeGreaterThanOrEqual(1);
  });
});
