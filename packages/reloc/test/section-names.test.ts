import { describe, expect, it } from 'vitest';
import { classifySection, knownSectionPatterns } from '../src/section-names.js';

/** Names a pattern accepts: `x+` takes x and x/target, `x/` takes x/anything, others only themselves. */
function namesOf(pattern: string): string[] {
  if (pattern.endsWith('+')) return [pattern.slice(0, -1), `${pattern.slice(0, -1)}/target`];
  if (pattern.endsWith('/')) return [`${pattern}target`];
  return [pattern];
}

describe('classifySection', () => {
  it('gives every name of a pattern that pattern, or one listed before it (the first match wins, as libbpf)', () => {
    knownSectionPatterns.forEach((pattern, index) => {
      for (const name of namesOf(pattern)) {
        for (const section of [name, `?${name}`]) {
          const kind = classifySection(section);
          expect(kind, section).toBeDefined();
          expect(knownSectionPatterns.indexOf(kind?.pattern as string), section).toBeLessThanOrEqual(index);
          expect(kind?.autoload, section).toBe(!section.startsWith('?'));
        }
      }
    });
  });

  it('reads the target after the pattern', () => {
    expect(classifySection('kprobe/do_sys_open')).toMatchObject({ pattern: 'kprobe+', target: 'do_sys_open' });
    expect(classifySection('tp/syscalls/sys_enter_openat')).toMatchObject({ target: 'syscalls/sys_enter_openat' });
    expect(classifySection('?xdp')).toMatchObject({ pattern: 'xdp', autoload: false, target: '' });
  });

  it('knows no convention for other names', () => {
    for (const name of ['', '?', 'kprobex', 'Kprobe/f', '.text', 'license', '/kprobe'])
      expect(classifySection(name)).toBeUndefined();
  });
});
