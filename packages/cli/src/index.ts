/**
 * The `bpfkit` command, also usable as a library: the program definition (for embedding or
 * testing), the object description behind `inspect` and `graph`, and the graph formats.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/cli
 */

export type { KernelFindings, KernelView, ObjectDescription, ObjectParts } from './describe-object.js';
export { describeObject } from './describe-object.js';
export { ExitCode } from './exit-codes.js';
export { toDot, toMermaid } from './graph-formats.js';
export { buildProgram } from './program.js';
