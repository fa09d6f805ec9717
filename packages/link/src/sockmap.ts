import { attachProgram, createLink, detachProgram, duplicateFd } from '@bpfkit/syscall';
import { kernelStep, LinkError } from './errors.js';
import { Link } from './link.js';

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
 * BPF_PROG_ATTACH, detached on close (the returned {@link Link} keeps a duplicate of the map fd for that).
 * @throws {@link LinkError} `kernel` when refused (EBUSY: the map has a program of this kind already).
 */
export function attachSockmap(
  programFd: number,
  mapFd: number,
  attachType: number,
  options: SockmapOptions = {},
): Link {
  const context = { kind: 'sockmap', target: `map fd ${mapFd}` };
  const step = <T>(what: string, run: () => T): T => {
    try {
      return kernelStep(what, context, run);
    } catch (error) {
      if (!LinkError.is(error) || error.code !== 'kernel') throw error;
      throw new LinkError(error.code, error.problem, error.context, hint, {
        cause: error.cause,
        causeInMessage: false,
      });
    }
  };
  if (!options.legacy) {
    const fd = step('create the sockmap link', () =>
      createLink({ programFd, target: mapFd, attachType }, `sockmap map fd ${mapFd}`),
    );
    return new Link('sockmap', fd);
  }
  const map = step('keep the map', () => duplicateFd(mapFd, 'sockmap with an attached program'));
  try {
    step('attach to the sockmap', () => attachProgram({ targetFd: map.fd, programFd, attachType }));
  } catch (error) {
    map.close();
    throw error;
  }
  return new Link('sockmap', undefined, [], () => {
    try {
      step('detach from the sockmap', () => detachProgram(map.fd, programFd, attachType));
    } catch (error) {
      // Detached already, or the program was replaced: nothing of ours is attached.
      if (!LinkError.is(error) || (error.context.errno !== 'ENOENT' && error.context.errno !== 'EBADF')) throw error;
    } finally {
      map.close();
    }
  });
}
