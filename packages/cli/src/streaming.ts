import type { BpfObject } from '@bpfkit/loader';

/**
 * An AbortSignal that aborts on Ctrl-C (SIGINT) or SIGTERM, for commands that stream until
 * stopped; dispose it to restore the default handling of both signals.
 */
export function interruptSignal(): { readonly signal: AbortSignal; [Symbol.dispose](): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Runs `read` until it ends or the signal aborts (which ends it quietly). */
export async function untilAborted(signal: AbortSignal, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/**
 * Attaches every program whose section says where (`obj.attachAll()`, as a skeleton's
 * attach does) so that a streaming command's events start to flow, and says on standard
 * error what it attached.
 */
export function attachAndSay(obj: BpfObject): void {
  for (const link of obj.attachAll()) process.stderr.write(`attached ${link.kind} link\n`);
}
