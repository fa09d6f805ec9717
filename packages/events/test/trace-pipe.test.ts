import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '@bpfkit/fixtures';
import { tracefsRoot } from '@bpfkit/link';
import { BpfObject } from '@bpfkit/loader';
import { describe, expect, it } from 'vitest';
import { openTracePipe, parseTraceLine, sharedWaiter } from '../src/index.js';
import { args, bpfUnavailable, openFdCount } from './kernel.js';

const unavailable = bpfUnavailable();

/** A private tracing instance with bpf_printk's event on, so other readers of the top-level pipe take nothing of ours. */
function printkInstance(): { name: string; [Symbol.dispose](): void } {
  const tracefs = tracefsRoot('the trace_pipe test');
  const name = `bpfkit-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  const dir = join(tracefs, 'instances', name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'events/bpf_trace/bpf_trace_printk/enable'), '1');
  return { name, [Symbol.dispose]: () => rmdirSync(dir) };
}

describe('parseTraceLine', () => {
  it('splits a bpf_printk line into task, pid, cpu, time and message', () => {
    expect(
      parseTraceLine('     node-worker-1234    [001] ...21  5321.123456: bpf_trace_printk: bpfkit says 7: ok'),
    ).toEqual({
      task: 'node-worker',
      pid: 1234,
      cpu: 1,
      timestamp: 5321.123456,
      event: 'bpf_trace_printk',
      message: 'bpfkit says 7: ok',
    });
    expect(parseTraceLine('CPU:1 [LOST 3 EVENTS]')).toBeUndefined();
  });
});

describe.skipIf(unavailable !== undefined)('trace_pipe reader', () => {
  it('yields the bpf_printk lines a program writes, woken by the kernel, and closes on abort', async () => {
    const fdsBefore = openFdCount();
    using obj = BpfObject.open(fixture('trace_printk').path);
    obj.load();
    {
      using instance = printkInstance();
      using pipe = openTracePipe({ instance: instance.name });
      const say = obj.program('say');
      const lines: string[] = [];
      const reading = (async () => {
        for await (const line of pipe) {
          lines.push(line);
          if (lines.length === 3) break;
        }
      })();
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        say.testRun({ ctx: args(41 + i) });
      }
      await reading;
      expect(lines.map((line) => parseTraceLine(line)?.message)).toEqual([
        'bpfkit says 41',
        'bpfkit says 42',
        'bpfkit says 43',
      ]);
      expect(parseTraceLine(lines[0] as string)?.pid).toBe(process.pid);
      const controller = new AbortController();
      const waiting = pipe.readable({ signal: controller.signal });
      controller.abort(new Error('enough'));
      await expect(waiting).rejects.toThrow('enough');
      pipe.close();
      await sharedWaiter().idle();
    }
    obj.close();
    expect(openFdCount()).toBe(fdsBefore);
  });

  it('refuses an instance that does not exist, naming the file', () => {
    expect(() => openTracePipe({ instance: 'bpfkit-no-such-instance' })).toThrow(
      /open .*instances\/bpfkit-no-such-instance\/trace_pipe: ENOENT/,
    );
  });
});
