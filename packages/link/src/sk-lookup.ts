import { closeSync, openSync } from 'node:fs';
import { createLink } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { Link } from './link.js';

/** `BPF_SK_LOOKUP`. */
const ATTACH_SK_LOOKUP = 36;

/**
 * Attaches an `sk_lookup` program to a network namespace, named by a namespace file
 * (`/proc/self/ns/net`, `/run/netns/<name>`, `/proc/<pid>/ns/net`): it then picks the
 * socket for every new connection and datagram arriving in that namespace.
 * @throws {@link LinkError} `not-found` for a namespace file that cannot be opened, `kernel` when refused.
 */
export function attachSkLookup(programFd: number, netns: string): Link {
  const context = { kind: 'sk_lookup', target: netns, path: netns };
  let ns: number;
  try {
    ns = openSync(netns, 'r');
  } catch (error) {
    throw new LinkError(
      'not-found',
      `cannot open the network namespace: ${(error as NodeJS.ErrnoException).code}`,
      context,
      undefined,
      { cause: error, causeInMessage: false },
    );
  }
  try {
    const fd = kernelStep('create the sk_lookup link', context, () =>
      createLink({ programFd, target: ns, attachType: ATTACH_SK_LOOKUP }, `sk_lookup ${netns}`),
    );
    return new Link('sk_lookup', fd);
  } finally {
    closeSync(ns);
  }
}
