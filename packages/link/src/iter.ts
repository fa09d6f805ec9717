import { createLink, isLittleEndianHost, nativeBuffer } from '@bpfkit/syscall';
import { kernelStep } from './errors.js';
import { Link } from './link.js';

/** `BPF_TRACE_ITER`. */
const ATTACH_TRACE_ITER = 28;
/** `sizeof(union bpf_iter_link_info)`: map, cgroup and task parameters share it. */
const ITER_INFO_SIZE = 16;

/** `enum bpf_cgroup_iter_order`. */
export const CgroupIterOrder = {
  /** `BPF_CGROUP_ITER_SELF_ONLY`: the cgroup alone */
  SELF_ONLY: 1,
  /** `BPF_CGROUP_ITER_DESCENDANTS_PRE`: the cgroup and its descendants, parents first */
  DESCENDANTS_PRE: 2,
  /** `BPF_CGROUP_ITER_DESCENDANTS_POST`: the cgroup and its descendants, children first */
  DESCENDANTS_POST: 3,
  /** `BPF_CGROUP_ITER_ANCESTORS_UP`: the cgroup and its ancestors up to the root */
  ANCESTORS_UP: 4,
} as const;

/** What an iterator walks, for the iterators that take a parameter (`union bpf_iter_link_info`). */
export type IteratorParameter =
  /** `iter/bpf_map_elem`, `iter/bpf_sk_storage_map`: the map's elements. */
  | {
      /** The map's fd. */
      readonly map: number;
    }
  /** `iter/cgroup`: a cgroup fd and an order from {@link CgroupIterOrder}. */
  | {
      /** The cgroup's fd. */
      readonly cgroup: number;
      /** A {@link CgroupIterOrder} value. */
      readonly order: number;
    }
  /** `iter/task`, `iter/task_file`, `iter/task_vma`: one thread, one process (by pid or pidfd). */
  | {
      /** One thread's id. */
      readonly tid: number;
    }
  | {
      /** One process's id. */
      readonly pid: number;
    }
  | {
      /** One process, by a pidfd. */
      readonly pidFd: number;
    };

/** The `bpf_iter_link_info` bytes of `parameter`. */
function iterInfo(parameter: IteratorParameter): Uint8Array {
  const bytes = nativeBuffer(ITER_INFO_SIZE);
  const view = new DataView(bytes.buffer);
  const u32 = (offset: number, value: number) => view.setUint32(offset, value, isLittleEndianHost);
  if ('map' in parameter) u32(0, parameter.map);
  else if ('cgroup' in parameter) {
    u32(0, parameter.order);
    u32(4, parameter.cgroup);
  } else if ('tid' in parameter) u32(0, parameter.tid);
  else if ('pid' in parameter) u32(4, parameter.pid);
  else u32(8, parameter.pidFd);
  return bytes;
}

/**
 * Attaches an `iter/…` program (BPF_LINK_CREATE with `BPF_TRACE_ITER`), with the parameter
 * iterators over a map, a cgroup or a task take; `link.read()` then runs it.
 * @throws {@link LinkError} `kernel` when the kernel refuses the parameter.
 * @example
 * ```ts
 * import { attachIterator } from '@bpfkit/link';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('iter.bpf.o');
 * obj.load(); // SEC("iter/task")
 * using link = attachIterator(obj.program('dump_tasks').fd);
 * console.log(new TextDecoder().decode(link.read())); // what the program wrote with bpf_seq_printf
 * ```
 */
export function attachIterator(programFd: number, parameter?: IteratorParameter): Link {
  const fd = kernelStep('create the iterator link', { kind: 'iter' }, () =>
    createLink({
      programFd,
      target: 0,
      attachType: ATTACH_TRACE_ITER,
      ...(parameter === undefined ? {} : { iterInfo: iterInfo(parameter) }),
    }),
  );
  return new Link('iter', fd);
}
