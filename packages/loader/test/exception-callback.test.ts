import { fixture } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../src/index.js';
import { bpfUnavailable } from './kernel.js';

const unavailable = bpfUnavailable();

describe.skipIf(unavailable !== undefined)('exception callbacks', () => {
  it('the callback a decl tag names is appended, and returns the program’s result after a throw', () => {
    using object = BpfObject.open(fixture('exception_callback').path);
    const plan = object.programs.find((p) => p.name === 'throws');
    expect(plan?.subprograms.map((s) => s.name)).toEqual(['on_throw']);
    object.load();
    const program = object.program('throws');
    expect(program.testRun({ data: new Uint8Array(64) }).retval).toBe(1);
    // bpf_throw(7): the callback returns 7 + 100.
    expect(program.testRun({ data: new Uint8Array(128) }).retval).toBe(107);
  });
});
