// Generated-code rows of `npm run bench`: reading a u64 global in `.bss` through a generated
// skeleton (a load from mapped kernel memory) beside the loader's map lookup (a system call),
// and a generated decoder of a 64-byte event struct beside the BTF codec, on the same bytes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { btfCodec } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { generateSkeleton } from '@bpfkit/gen';
import type { BpfObject } from '@bpfkit/loader';
import type { Figure } from './table.js';

/** Median ns per call of `run`, over `batches` batches of `calls` calls each. */
function nsPerCall(batches: number, calls: number, run: () => unknown): number {
  const times: number[] = [];
  let sink: unknown;
  for (let batch = -2; batch < batches; batch++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) sink = run();
    if (batch >= 0) times.push(((performance.now() - started) * 1e6) / calls);
  }
  if (sink === undefined) throw new Error('bench: nothing was read');
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

interface Codec {
  readonly size: number;
  decode(bytes: Uint8Array): unknown;
}
interface SkeletonModule {
  Skeleton: { open(): { load(): Skeleton } };
  exec_event: Codec;
}
interface Skeleton {
  readonly object: BpfObject;
  readonly bss: { counter: bigint };
  close(): void;
}

/** The generated skeleton of the `skeleton` fixture, written where it resolves `@bpfkit/*` as the bench does. */
async function importSkeleton(): Promise<SkeletonModule> {
  const path = fixture('skeleton').path;
  const text = generateSkeleton(new Uint8Array(readFileSync(path)), {
    object: 'skeleton.el.o',
    objectPath: path,
    types: ['exec_event'],
  });
  const dir = new URL('../.bench/gen/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('skeleton.ts', dir);
  writeFileSync(file, text);
  return (await import(file.href)) as SkeletonModule;
}

/** Rows for the `.bss` counter read (target ≥ 50× faster) and the 64-byte decode (target ≥ 5× faster). */
export async function genFigures(quick: boolean): Promise<Figure[]> {
  const module = await importSkeleton();
  const batches = quick ? 5 : 21;
  const skel = module.Skeleton.open().load();
  try {
    skel.bss.counter = 12345n;
    const bss = skel.object.map('.bss');
    const key = new Uint8Array(4);
    const live = nsPerCall(batches, 200_000, () => skel.bss.counter);
    const lookup = nsPerCall(batches, quick ? 5_000 : 20_000, () => bss.lookup(key));
    const raw = skel.object.btf;
    const id = raw?.byName('exec_event', 'struct')?.id;
    if (raw === undefined || id === undefined) throw new Error('bench: the skeleton fixture lacks struct exec_event');
    const reference = btfCodec(raw, id);
    const bytes = new Uint8Array(reference.size).map((_, i) => (i * 37 + 11) & 0x7f);
    const generated = nsPerCall(batches, 100_000, () => module.exec_event.decode(bytes));
    const codec = nsPerCall(batches, 20_000, () => reference.decode(bytes));
    return [
      {
        name: "skeleton: read a u64 in .bss (mapped) vs obj.map('.bss').lookup()",
        unit: 'µs',
        ours: live / 1000,
        reference: lookup / 1000,
        referenceName: "bpfkit obj.map('.bss').lookup()",
        target: 1 / 50,
      },
      {
        name: `skeleton: decode a ${reference.size}-byte event, generated vs BTF codec`,
        unit: 'µs',
        ours: generated / 1000,
        reference: codec / 1000,
        referenceName: 'bpfkit btfCodec().decode',
        target: 1 / 5,
      },
    ];
  } finally {
    skel.close();
  }
}
