import { createLink, type Fd, linkCreateAttr } from '@bpfkit/syscall';
import { resolveBinaryPath } from './binary-path.js';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { cString } from './kprobe.js';
import { Link } from './link.js';
import { U64Scratch } from './u64-scratch.js';
import { functionOffsetIn, openProbedBinary } from './user-symbols.js';

/** `BPF_TRACE_UPROBE_MULTI`. */
const ATTACH_UPROBE_MULTI = 48;
/** `BPF_F_UPROBE_MULTI_RETURN`. */
const F_RETURN = 1;

/** Options for {@link attachUprobeMulti}: where to probe (one of `pattern`, `functions`, `offsets`) and how. */
export interface UprobeMultiOptions {
  /** A glob over the binary's function names (`bpfkit_*`). */
  readonly pattern?: string;
  /** Function names, each resolved as {@link attachUprobe} does. */
  readonly functions?: readonly string[];
  /** File offsets. */
  readonly offsets?: readonly number[];
  /** One cookie per probe, in the order of `functions` or `offsets` (or of the matches, by offset). */
  readonly cookies?: readonly bigint[];
  /** One USDT semaphore offset per probe (0 for none). */
  readonly refCtrOffsets?: readonly number[];
  /** Probe returns (`uretprobe.multi`). */
  readonly retprobe?: boolean;
  /** Only this process (-1 or absent: every process). */
  readonly pid?: number;
}

/** The three arrays a uprobe_multi link takes, each in its own reused buffer. */
const scratch = { offsets: new U64Scratch(), refCtrOffsets: new U64Scratch(), cookies: new U64Scratch() };

/** The path of the last link made, as a native C string: USDT makes a link per probe of one binary. */
let lastPath: { readonly path: string; readonly bytes: Uint8Array } | undefined;

/** `path` as a native C string, encoded again only when it differs from the last one (the kernel copies it). */
function pathBytes(path: string): Uint8Array {
  if (lastPath?.path !== path) lastPath = { path, bytes: cString(path) };
  return lastPath.bytes;
}

/**
 * Attaches a `uprobe.multi` program to many places of one binary through a single link
 * (BPF_LINK_CREATE with `BPF_TRACE_UPROBE_MULTI`, Linux 6.6+): the functions matching a
 * glob, named functions, or file offsets, each with its own cookie.
 * @throws {@link LinkError} `not-found` when nothing matches, `bad-target` when cookies or
 * semaphores do not pair up with the probes, `kernel` when refused.
 */
export function attachUprobeMulti(programFd: number, binary: string, options: UprobeMultiOptions): Link {
  const retprobe = options.retprobe ?? false;
  const kind = retprobe ? 'uretprobe.multi' : 'uprobe.multi';
  const what = options.pattern ?? options.functions?.join(',') ?? `${options.offsets?.length ?? 0} offsets`;
  const context = { kind, target: `${binary}:${what}` };
  let path: string;
  let offsets: readonly number[];
  if (options.pattern === undefined && options.functions === undefined) {
    path = resolveBinaryPath(binary, context); // offsets need no parsing
    offsets = options.offsets ?? [];
  } else {
    const probed = openProbedBinary(binary, context);
    path = probed.path;
    offsets =
      options.pattern !== undefined
        ? probed.offsetsMatching(options.pattern)
        : (options.functions ?? []).map((name) => functionOffsetIn(probed, name, context));
  }
  if (offsets.length === 0) throw new LinkError('not-found', `nothing to probe in '${path}'`, { ...context, path });
  for (const [field, list] of [
    ['cookies', options.cookies],
    ['refCtrOffsets', options.refCtrOffsets],
  ] as const) {
    if (list !== undefined && list.length !== offsets.length) {
      throw new LinkError('bad-target', `${list.length} ${field} for ${offsets.length} probes`, context);
    }
  }
  const linkOptions = { cookies: options.cookies, refCtrOffsets: options.refCtrOffsets, retprobe, pid: options.pid };
  return new Link(kind, createUprobeMultiLink(programFd, path, offsets, linkOptions, { ...context, path }));
}

/**
 * @internal What {@link createUprobeMultiLink} takes beside the path and offsets, each field
 * given (undefined where absent), so callers build it as one plain object.
 */
export interface UprobeMultiLinkOptions {
  /** One cookie per probe (numbers below 2^53 need no BigInt: USDT's spec ids). */
  readonly cookies: readonly (number | bigint)[] | undefined;
  /** One USDT semaphore offset per probe. */
  readonly refCtrOffsets: readonly number[] | undefined;
  /** Probe returns. */
  readonly retprobe: boolean;
  /** Only this process (-1, 0 or undefined: every process). */
  readonly pid: number | undefined;
}

/**
 * The BPF_LINK_CREATE of {@link attachUprobeMulti} for a resolved path and its file offsets
 * (cookies and semaphore offsets already checked to pair up with them): the link's fd, which
 * the caller wraps in the {@link Link} of its kind.
 * @internal shared with USDT, which has the path and offsets at hand
 */
export function createUprobeMultiLink(
  programFd: number,
  path: string,
  offsets: readonly number[],
  options: UprobeMultiLinkOptions,
  context: LinkErrorContext,
): Fd {
  const { cookies, refCtrOffsets, retprobe, pid } = options;
  const kind = retprobe ? 'uretprobe.multi' : 'uprobe.multi';
  return kernelStep('create the uprobe_multi link', context, () =>
    createLink(
      {
        programFd,
        target: 0,
        attachType: ATTACH_UPROBE_MULTI,
        fill: (attr) => {
          attr
            .pointer(linkCreateAttr.uprobe_multi.path, pathBytes(path))
            .pointer(linkCreateAttr.uprobe_multi.offsets, scratch.offsets.fill(offsets))
            .pointer(
              linkCreateAttr.uprobe_multi.ref_ctr_offsets,
              refCtrOffsets === undefined ? undefined : scratch.refCtrOffsets.fill(refCtrOffsets),
            )
            .pointer(
              linkCreateAttr.uprobe_multi.cookies,
              cookies === undefined ? undefined : scratch.cookies.fill(cookies),
            )
            .u32(linkCreateAttr.uprobe_multi.cnt, offsets.length)
            .u32(linkCreateAttr.uprobe_multi.flags, retprobe ? F_RETURN : 0)
            .u32(linkCreateAttr.uprobe_multi.pid, pid !== undefined && pid > 0 ? pid : 0);
        },
      },
      `${kind} ${path}`,
    ),
  );
}
