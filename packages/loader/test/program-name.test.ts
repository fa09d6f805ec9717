import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

describe.skipIf(bpfUnavailable() !== undefined)('program names in the kernel', () => {
  it('are the entry names cut to 15 bytes, as libbpf sends them, and the object still finds each by its full name', () => {
    using object = BpfObject.open(fixture('perf_sampling').path);
    object.load();
    expect(object.program('read_other_counter').info().name).toBe('read_other_coun');
    expect(object.program('count_samples').info().name).toBe('count_samples');
  });
});
