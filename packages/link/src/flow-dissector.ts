import type { Link } from './link.js';
import { createNetnsLink } from './netns-link.js';

/** `BPF_FLOW_DISSECTOR`. */
const ATTACH_FLOW_DISSECTOR = 17;

/**
 * Attaches a `flow_dissector` program to a network namespace, named by a namespace file
 * (`/proc/self/ns/net`, `/run/netns/<name>`), through a netns link, as
 * `bpf_program__attach_netns` does: it then dissects the packets of that namespace.
 * @throws {@link LinkError} `not-found` for a namespace file that cannot be opened; `kernel`
 * when refused (EEXIST: the namespace has a flow dissector attached without a link, or the
 * root namespace has one, which excludes all others).
 */
export function attachFlowDissector(programFd: number, netns: string): Link {
  return createNetnsLink(programFd, netns, ATTACH_FLOW_DISSECTOR, 'flow_dissector');
}
