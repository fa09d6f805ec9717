import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { btfCodec } from '@bpfkit/btf';
import { fixture } from '@bpfkit/fixtures';
import { generateSkeleton } from '@bpfkit/gen';
import type { BpfObject } from '@bpfkit/loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { args } from '../../events/test/kernel.js';
import { bpfUnavailable, openFdCount } from '../../loader/test/kernel.js';
import { GeneratedModules } from './write-module.js';

const unavailable = bpfUnavailable();

/** `BPF_F_TEST_RUN_ON_CPU`: run the program on the CPU named in the test-run attr. */
const TEST_RUN_ON_CPU = 1;

/** The parts of the `events` fixture's generated skeleton the test uses. */
interface EventsSkeleton {
  load(): EventsSkeleton;
  close(): void;
  readonly object: BpfObject;
  readonly events: {
    readonly samples: AsyncIterable<{ cpu: number; data: unknown }> & { readonly cpus: readonly number[] };
    readonly events: AsyncIterable<Uint8Array>;
  };
}

describe.skipIf(unavailable !== undefined)("a generated skeleton's typed perf event reader on the kernel", () => {
  const modules = new GeneratedModules();
  const object = fixture('events').path;
  let Events: { open(): EventsSkeleton };

  beforeAll(async () => {
    const text = generateSkeleton(new Uint8Array(readFileSync(object)), {
      object: 'events.el.o',
      objectPath: relative(modules.dir, object),
      events: { samples: 'event' },
    });
    expect(text).toContain('readonly samples: events.PerfBuffer<event>;');
    expect(text).toContain('readonly events: events.RingBuffer<Uint8Array>;'); // no --event for it: bytes
    Events = (await modules.import('events.ts', text)).Events as typeof Events;
  }, 120_000); // importing transforms the generated module and the loader: slow on a busy machine
  afterAll(() => modules.remove());

  it('decodes each sample as the --event type, with the CPU it came from, and closes the reader with the skeleton', async () => {
    const fds = openFdCount();
    const skel = Events.open().load();
    try {
      const samples = skel.events.samples;
      const cpu = samples.cpus[samples.cpus.length - 1] as number;
      // One 32-byte sample: u32 sequence number 7, u32 CPU, then byte i is i.
      const program = skel.object.program('sample');
      expect(program.testRun({ ctx: args(1, 32, 7), cpu, flags: TEST_RUN_ON_CPU }).retval).toBe(1);
      const written = new Uint8Array(32).map((_, i) => i);
      new DataView(written.buffer).setUint32(0, 7, true);
      new DataView(written.buffer).setUint32(4, cpu, true);
      const btf = skel.object.btf;
      const id = btf?.byName('event', 'struct')?.id;
      if (btf === undefined || id === undefined) throw new Error('the events fixture lacks struct event');
      for await (const sample of samples) {
        expect(sample.cpu).toBe(cpu);
        expect(sample.data).toEqual(btfCodec(btf, id).decode(written));
        expect(sample.data).toMatchObject({ seq: 7, size: cpu });
        break;
      }
    } finally {
      skel.close();
    }
    expect(openFdCount()).toBe(fds);
  });
});
