import { createLink, duplicateFd } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';
import { attachWithProgAttach } from './prog-attach.js';

/** The sockmap attach types (`BPF_SK_MSG_VERDICT`, `BPF_SK_SKB_*`), by what the program does. */
export const SockmapAttachType = {
  /** `BPF_SK_MSG_VERDICT`: an sk_msg program judging each message a socket sends. */
  msgVerdict: 7,
  /** `BPF_SK_SKB_STREAM_PARSER`: an sk_skb program saying how long each received message is. */
  streamParser: 4,
  /** `BPF_SK_SKB_STREAM_VERDICT`: an sk_skb program judging each parsed message received. */
  streamVerdict: 5,
  /** `BPF_SK_SKB_VERDICT`: an sk_skb program judging each received skb, without a parser. */
  skbVerdict: 38,
} as const;

/** Options for {@link attachSockmap}. */
export interface SockmapOptions {
  /** Attach with BPF_PROG_ATTACH instead of a link (kernels before 6.10, which have no sockmap links). */
  readonly legacy?: boolean;
}

const hint =
  'a map holds one program per attach type, and a stream verdict excludes an skb verdict (EBUSY); the map must be a SOCKMAP or SOCKHASH and the program of the attach type’s kind (sk_msg or sk_skb)';

/**
 * Attaches an `sk_msg` or `sk_skb` program to SOCKMAP or SOCKHASH `mapFd` for `attachType`
 * (one of {@link SockmapAttachType}): it then runs for the sockets in the map. Through a
 * sockmap link (Linux 6.10+) as `bpf_program__attach_sockmap` does, or with `legacy` through
 * BPF_PROG_ATTACH, detached on close by BPF_PROG_DETACH (the returned {@link Link} keeps
 * duplicates of the map and program fds for that, so either may be closed first).
 * @throws {@link LinkError} `kernel` when refused (EBUSY: the map has a program of this kind already).
 */
export function attachSockmap(
  programFd: number,
  mapFd: number,
  attachType: number,
  options: SockmapOptions = {},
): Link {
  const context = { kind: 'sockmap', target: `map fd ${mapFd}` };
  if (!options.legacy) {
    const fd = kernelStep(
      'create the sockmap link',
      context,
      () => createLink({ programFd, target: mapFd, attachType }, `sockmap map fd ${mapFd}`),
      hint,
    );
    return new Link('sockmap', fd);
  }
  const map = kernelStep('keep the map', context, () => duplicateFd(mapFd, 'sockmap with an attached program'));
  return attachWithProgAttach({
    programFd,
    target: map,
    attachType,
    kind: 'sockmap',
    context,
    targetName: 'the sockmap',
    hint,
  });
}
