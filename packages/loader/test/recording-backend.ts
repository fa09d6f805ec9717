import {
  BpfAttr,
  type BpfBackend,
  isLittleEndianHost,
  nativeBuffer,
  type ObjectKind,
  objectFdById,
} from '@bpfkit/syscall';
import { BpfCommand } from '@bpfkit/uapi';
import { settled } from './kernel.js';

/**
 * A backend that fails the `failAt`-th bpf(2) call with `errno`, counts every call, and
 * records the kernel id of every map, program and BTF object it sees created.
 */
export function recordingBackend(real: BpfBackend, failAt: number, errno: number) {
  const created: { kind: ObjectKind; id: number }[] = [];
  const recorder = {
    ...real,
    name: `recording(${real.name})`,
    real,
    calls: 0,
    created,
    bpf(command: number, attr: Uint8Array, size: number) {
      recorder.calls++;
      if (recorder.calls === failAt) return -errno;
      const result = real.bpf(command, attr, size);
      const kind = createdKind[command];
      if (kind !== undefined && result >= 0) created.push({ kind, id: objectId(real, result) });
      return result;
    },
    // A background call is a bpf(2) call too: failing it means the kernel refused it at once.
    bpfInBackground(command: number, attr: Uint8Array, size: number, done: (result: number) => void) {
      recorder.calls++;
      if (recorder.calls === failAt) return done(-errno);
      real.bpfInBackground(command, attr, size, (result) => {
        const kind = createdKind[command];
        if (kind !== undefined && result >= 0) created.push({ kind, id: objectId(real, result) });
        done(result);
      });
    },
  };
  return recorder;
}

const createdKind: Record<number, ObjectKind> = {
  [BpfCommand.MAP_CREATE]: 'map',
  [BpfCommand.PROG_LOAD]: 'program',
  [BpfCommand.BTF_LOAD]: 'btf',
};

/** The kernel id behind `fd`, read with the real backend (id is at byte 4 of every info struct). */
function objectId(real: BpfBackend, fd: number): number {
  const info = nativeBuffer(8);
  const attr = new BpfAttr(16).u32(0, fd).u32(4, 8).pointer(8, info);
  real.bpf(BpfCommand.OBJ_GET_INFO_BY_FD, attr.bytes, attr.size);
  return new DataView(info.buffer).getUint32(4, isLittleEndianHost);
}

/** Of these objects, the ones the kernel still has once pending frees (RCU) have run. */
export async function stillAlive(objects: readonly { kind: ObjectKind; id: number }[]): Promise<string[]> {
  return settled(() =>
    objects.flatMap(({ kind, id }) => {
      const fd = objectFdById(kind, id);
      if (fd === undefined) return [];
      fd.close();
      return [`${kind} ${id}`];
    }),
  );
}
