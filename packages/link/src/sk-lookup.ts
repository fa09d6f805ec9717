import type { Link } from './link.js';
import { createNetnsLink } from './netns-link.js';

/** `BPF_SK_LOOKUP`. */
const ATTACH_SK_LOOKUP = 36;

/**
 * Attaches an `sk_lookup` program to a network namespace, named by a namespace file
 * (`/proc/self/ns/net`, `/run/netns/<name>`, `/proc/<pid>/ns/net`): it then picks the
 * socket for every new connection and datagram arriving in that namespace.
 * @throws {@link LinkError} `not-found` for a namespace file that cannot be opened, `kernel` when refused.
 */
export function attachSkLookup(programFd: number, netns: string): Link {
  return createNetnsLink(programFd, netns, ATTACH_SK_LOOKUP, 'sk_lookup');
}
