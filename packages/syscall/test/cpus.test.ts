import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countCpuList,
  ONLINE_CPUS_PATH,
  onlineCpus,
  POSSIBLE_CPUS_PATH,
  parseCpuList,
  possibleCpus,
} from '../src/index.js';

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

  it('lists the CPUs of a list in order, and refuses a range beyond any kernel', () => {
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('0-4294967295')).toBeUndefined();
  });
});

describe('onlineCpus', () => {
  it("lists the kernel's online set, a subset of the possible one", () => {
    const online = onlineCpus();
    expect(online).toEqual(parseCpuList(readFileSync(ONLINE_CPUS_PATH, 'utf8')));
    expect(online.length).toBeGreaterThanOrEqual(1);
    expect(online.every((cpu) => cpu < possibleCpus())).toBe(true);
  });
});

describe('possibleCpus', () => {
  it("counts the kernel's possible set, at least one CPU", () => {
    const count = possibleCpus();
    expect(count).toBe(countCpuList(readFileSync(POSSIBLE_CPUS_PATH, 'utf8')));
    expect(count).toBeGreaterThanOrEqual(1);
  });
});
