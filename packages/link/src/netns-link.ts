import { createLink } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';

const { closeSync, openSync } = process.getBuiltinModule('node:fs');

/**
 * A netns link (BPF_LINK_CREATE on a namespace file's fd) of `kind` for `attachType`, the
 * file opened only for the call: `/proc/self/ns/net`, `/run/netns/<name>`, `/proc/<pid>/ns/net`.
 * @throws {@link LinkError} `not-found` for a namespace file that cannot be opened, `kernel` when refused.
 */
export function createNetnsLink(programFd: number, netns: string, attachType: number, kind: string): Link {
  const context = { kind, target: netns, path: netns };
  let ns: number;
  try {
    ns = openSync(netns, 'r');
  } catch (error) {
    throw netnsNotFound(error, context);
  }
  try {
    const fd = kernelStep(`create the ${kind} link`, context, () =>
      createLink({ programFd, target: ns, attachType }, `${kind} ${netns}`),
    );
    return new Link(kind, fd);
  } finally {
    closeSync(ns);
  }
}

/** The error for a namespace file that cannot be opened (`error`, from the file system). */
export function netnsNotFound(error: unknown, context: LinkErrorContext): LinkError {
  return new LinkError(
    'not-found',
    `cannot open the network namespace: ${(error as NodeJS.ErrnoException).code}`,
    context,
    'give a namespace file such as /proc/self/ns/net or /run/netns/<name>',
    { cause: error, causeInMessage: false },
  );
}
