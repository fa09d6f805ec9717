import { BpfSyscallError, createLink, mapDelete, mapInfo, mapLayout, mapUpdate, updateLink } from '@bpfkit/syscall';
import { kernelStep, LinkError, type LinkErrorContext } from './errors.js';
import { Link } from './link.js';

/** `BPF_STRUCT_OPS`: the attach type of struct_ops links. */
const ATTACH_STRUCT_OPS = 44;
/** `BPF_MAP_TYPE_STRUCT_OPS`. */
const MAP_TYPE_STRUCT_OPS = 26;
/** `BPF_F_LINK`: a struct_ops map registered by a link, not by its update. */
const MAP_FLAG_LINK = 1 << 13;

/** The only key of a struct_ops map. */
const KEY_ZERO = new Uint8Array(4);

/** What {@link attachStructOps} needs of a struct_ops map, and names it by. */
function structOpsMap(mapFd: number, context: LinkErrorContext) {
  const info = kernelStep('read the struct_ops map', context, () => mapInfo(mapFd));
  if (info.type !== MAP_TYPE_STRUCT_OPS) {
    throw new LinkError('bad-target', `map type ${info.type} is not BPF_MAP_TYPE_STRUCT_OPS (26)`, context);
  }
  const named = { ...context, target: info.name === '' ? `map id ${info.id}` : info.name };
  return { linked: (info.flags & MAP_FLAG_LINK) !== 0, context: named, layout: mapLayout(mapFd) };
}

/**
 * Writes a struct_ops map's value at key 0. The kernel takes it once: a map made for links
 * answers EBUSY once a value is set (the one links then register), which is not a failure.
 */
function writeValue(mapFd: number, value: Uint8Array, map: ReturnType<typeof structOpsMap>): void {
  kernelStep('write the struct_ops value', map.context, () => {
    try {
      mapUpdate(mapFd, KEY_ZERO, value, map.layout);
    } catch (error) {
      if (!(map.linked && BpfSyscallError.is(error) && error.errnoName === 'EBUSY')) throw error;
    }
  });
}

/**
 * Registers the struct_ops map `mapFd` with the kernel (a `tcp_congestion_ops` becomes a
 * congestion control sockets can choose), as libbpf's `bpf_map__attach_struct_ops` does:
 * writes `value` (the kernel's `bpf_struct_ops_<name>` layout with program fds in its
 * function pointers, a loaded map's `structOpsValue`) at key 0, then, for a map created
 * with `BPF_F_LINK` (`.struct_ops.link`), makes a struct_ops link (BPF_LINK_CREATE with
 * `BPF_STRUCT_OPS` on the map fd); such a map takes its value once (later writes answer
 * EBUSY and the stored value stays), so it can be linked again after a close. Closing the link unregisters; a map without the flag is
 * registered by the write itself and unregistered by deleting key 0 on close (no link fd).
 * @throws {@link LinkError} `bad-target` for another map type, `kernel` when the kernel
 * refuses the value (EEXIST: a struct of that name is registered already) or the link.
 */
export function attachStructOps(mapFd: number, value: Uint8Array): Link {
  const kind = 'struct_ops';
  const map = structOpsMap(mapFd, { kind });
  const { context } = map;
  writeValue(mapFd, value, map);
  if (!map.linked) {
    return new Link(kind, undefined, [], () => {
      mapDelete(mapFd, KEY_ZERO, map.layout);
    });
  }
  const link = kernelStep('create the struct_ops link', context, () =>
    createLink({ programFd: mapFd, target: 0, attachType: ATTACH_STRUCT_OPS }, `struct_ops link ${context.target}`),
  );
  return new Link(kind, link, []);
}

/**
 * Moves a struct_ops link to another struct_ops map of the same kernel struct (libbpf's
 * `bpf_link__update_map`): writes `value` into `mapFd` (created with `BPF_F_LINK`), then
 * BPF_LINK_UPDATE swaps the registered struct for it in one step; only while the link still
 * holds `expectedMapFd`'s map, if given. Sockets that chose the old one keep it.
 * @throws {@link LinkError} `no-link` for a closed or fd-less link, `kernel` when refused
 * (EINVAL: another kernel struct or a map without `BPF_F_LINK`; EPERM: `expectedMapFd` is not the one held).
 */
export function updateStructOps(link: Link, mapFd: number, value: Uint8Array, expectedMapFd?: number): void {
  const map = structOpsMap(mapFd, { kind: 'struct_ops' });
  if (link.fd < 0) throw new LinkError('no-link', 'this struct_ops attachment has no open link fd', map.context);
  writeValue(mapFd, value, map);
  kernelStep('update the struct_ops link', map.context, () => updateLink(link.fd, mapFd, expectedMapFd));
}
