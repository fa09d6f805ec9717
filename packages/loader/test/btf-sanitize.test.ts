import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it, vi } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

// A kernel whose BTF loader knows no global functions (before 5.6), as the probes would find it.
vi.mock('@bpfkit/syscall', async (original) => {
  const real = await original<typeof import('@bpfkit/syscall')>();
  return { ...real, btfFeatures: () => ({ ...real.btfFeatures(), globalFunc: false }) };
});

describe.skipIf(bpfUnavailable() !== undefined)('BTF sanitised by the kernel feature probes', () => {
  it('rewrites what the probes say the kernel lacks and loads with the BTF', () => {
    const lines: string[] = [];
    using object = BpfObject.open(fixture('globals_subprogs').path, { logger: (line) => lines.push(line) });
    object.load();
    // The two programs and the global subprogram become static functions.
    expect(lines).toContain('BTF sanitised for this kernel: 3 types rewritten into kinds it knows');
    expect(lines.some((line) => line.startsWith('BTF loaded'))).toBe(true);
    expect(object.program('entry').info().btfId).toBeGreaterThan(0);
  });
});
