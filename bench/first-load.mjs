// The bpfkit half of the cold-start row of `npm run bench`: a fresh process imports the built
// `@bpfkit/loader`, opens and loads one object, and prints how long that took from the import,
// as JSON (`{"ms": …}`), before closing it. Run as `node bench/first-load.mjs OBJECT PIN_ROOT`.
//
// It enables V8's on-disk compile cache first, as a program can on Node 22.1+
// (module.enableCompileCache): every process after the first then skips compiling bpfkit's
// modules. No directory is passed, so the cache is NODE_COMPILE_CACHE's when set, else Node's
// default (os.tmpdir()/node-compile-cache), as Node advises tools to leave it. Node 20 has no
// compile cache: there the call is skipped and every process compiles every module anew.
const [path, pinRoot] = process.argv.slice(2);
const started = performance.now();
process.getBuiltinModule('node:module').enableCompileCache?.();
const { BpfObject } = await import('@bpfkit/loader');
const object = BpfObject.open(path, { pinRoot });
object.load();
const ms = performance.now() - started;
object.close();
process.stdout.write(`${JSON.stringify({ ms })}\n`);
