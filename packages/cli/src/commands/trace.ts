import * as eventsLib from '@bpfkit/events';
import { BpfObject } from '@bpfkit/loader';
import { toJsonLine } from '../output.js';
import { attachAndSay, interruptSignal, untilAborted } from '../streaming.js';
import { UsageError } from '../values.js';

/**
 * `bpfkit trace [OBJ] [--instance NAME] [--json] [--count N]`: prints the lines of tracefs's
 * `trace_pipe` (what `bpf_printk` writes) as they come; with OBJ, loads it and attaches its
 * programs first, and closes them when stopped.
 */
export async function trace(
  path: string | undefined,
  options: { instance?: string; json?: boolean; count?: string },
): Promise<number> {
  const limit = options.count === undefined ? Number.POSITIVE_INFINITY : Number(options.count);
  if (!(limit > 0 && (Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY)))
    throw new UsageError(`--count takes a positive integer, got '${options.count}'`);
  using pipe = eventsLib.openTracePipe(options.instance === undefined ? {} : { instance: options.instance });
  using obj = path === undefined ? undefined : BpfObject.open(path);
  if (obj !== undefined) {
    obj.load();
    attachAndSay(obj);
  }
  process.stderr.write(`reading ${pipe.path} as lines come; Ctrl-C to stop\n`);
  using interrupt = interruptSignal();
  let printed = 0;
  await untilAborted(interrupt.signal, async () => {
    for await (const line of pipe.records({ signal: interrupt.signal })) {
      console.log(options.json ? toJsonLine(eventsLib.parseTraceLine(line) ?? { line }) : line);
      if (++printed >= limit) break;
    }
  });
  return 0;
}
