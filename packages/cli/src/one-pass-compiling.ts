import { setFlagsFromString } from 'node:v8';

/**
 * Has V8 optimize each hot function with less compiling, for a command that makes one pass
 * over a large input and exits (`btf dump` of vmlinux): only the smallest callees are inlined
 * and loops are not peeled.
 *
 * Such a run spends more CPU compiling than running optimized code: dumping vmlinux as C,
 * V8's background threads spent about 400 ms in TurboFan (mostly on copies of small callees
 * inlined into each caller) beside about 450 ms on the main thread, and on a 2-core machine
 * they share the main thread's cores. Inlining nothing halved the compiles and cut the wall
 * time by about a fifth, but left a call in optimized code for every accessor (a kind, a
 * record word, a byte written). Inlining only callees of at most 27 bytes of bytecode (V8's
 * own bound for a small function, `--max-inlined-bytecode-size-small`) keeps those calls out
 * at little compile cost, and a loop not peeled is compiled once, not twice. Counted over the
 * whole process with callgrind (`node --single-threaded`, compiles on the main thread): 2,232
 * million instructions with no inlining, 2,150 with small inlining, 2,093 with loops also left
 * unpeeled (issue #21). The flags only change how later code is optimized, not what it does;
 * the process ends with the command.
 */
export function compileForOnePass(): void {
  setFlagsFromString('--max-inlined-bytecode-size=27');
  setFlagsFromString('--no-turbo-loop-peeling');
}
