// The bpfkit half of the cold-start row of `npm run bench`: a fresh process imports the built
// `@bpfkit/loader`, opens and loads one object, and prints how long that took from the import,
// as JSON (`{"ms": …}`), before closing it. Run as `node bench/first-load.mjs OBJECT PIN_ROOT`.
// Node 20 has no compile cache for ES modules (module.enableCompileCache is Node 22.1+), so
// the import compiles every package anew in each process.
const [path, pinRoot] = process.argv.slice(2);
const started = performance.now();
const { BpfObject } = await import('@bpfkit/loader');
const object = BpfObject.open(path, { pinRoot });
object.load();
const ms = performance.now() - started;
object.close();
process.stdout.write(`${JSON.stringify({ ms })}\n`);
