import { LinkError, type LinkErrorContext } from './errors.js';
import type { Link } from './link.js';
import { createNetnsLink, netnsNotFound } from './netns-link.js';
import { attachWithProgAttach } from './prog-attach.js';

const { statSync } = process.getBuiltinModule('node:fs');

/** `BPF_FLOW_DISSECTOR`. */
const ATTACH_FLOW_DISSECTOR = 17;

/** The network namespace file of the calling thread, the one BPF_PROG_ATTACH attaches to. */
const OWN_NETNS = '/proc/thread-self/ns/net';

/** Options for {@link attachFlowDissector}. */
export interface FlowDissectorOptions {
  /**
   * Attach with BPF_PROG_ATTACH instead of a netns link (kernels before 5.7, which have no
   * netns links). The kernel then attaches to the calling thread's network namespace, so
   * `netns` must be that one (the process runs in it: `ip netns exec`, `unshare --net`).
   */
  readonly legacy?: boolean;
}

/**
 * Attaches a `flow_dissector` program to a network namespace, named by a namespace file
 * (`/proc/self/ns/net`, `/run/netns/<name>`): it then dissects the packets of that
 * namespace. Through a netns link, as `bpf_program__attach_netns` does, or with `legacy`
 * through BPF_PROG_ATTACH (target fd 0: the caller's namespace), detached by
 * BPF_PROG_DETACH on close, from the same thread (the returned {@link Link} keeps a
 * duplicate of the program fd for that).
 * @throws {@link LinkError} `not-found` for a namespace file that cannot be opened;
 * `bad-target` when `legacy` is asked for another namespace than the caller's; `kernel`
 * when refused (EEXIST: the namespace has a flow dissector attached the other way, or the
 * root namespace has one, which excludes all others).
 */
export function attachFlowDissector(programFd: number, netns: string, options: FlowDissectorOptions = {}): Link {
  if (!options.legacy) return createNetnsLink(programFd, netns, ATTACH_FLOW_DISSECTOR, 'flow_dissector');
  const context = { kind: 'flow_dissector', target: netns, path: netns };
  if (!sameNamespace(netns, OWN_NETNS, context)) {
    throw new LinkError(
      'bad-target',
      'BPF_PROG_ATTACH attaches a flow dissector to the calling thread’s network namespace, not to this one',
      context,
      'run the attaching process in that namespace (ip netns exec, unshare --net), or attach through a netns link (no legacy)',
    );
  }
  return attachWithProgAttach({
    programFd,
    target: undefined,
    attachType: ATTACH_FLOW_DISSECTOR,
    kind: 'flow_dissector',
    context,
    targetName: 'the network namespace',
  });
}

/** Whether namespace files `a` and `b` name the same namespace (same device and inode). */
function sameNamespace(a: string, b: string, context: LinkErrorContext): boolean {
  const stat = (path: string) => {
    try {
      return statSync(path);
    } catch (error) {
      throw netnsNotFound(error, { ...context, path });
    }
  };
  const first = stat(a);
  const second = stat(b);
  return first.dev === second.dev && first.ino === second.ino;
}
