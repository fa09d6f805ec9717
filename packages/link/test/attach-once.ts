// bpfkit side of the attach-attribute test (attach-attributes.test.ts), as
// programs/attach-libbpf.c is libbpf's: loads OBJECT, opens a marker path (so the trace
// shows where attaching starts), then attaches PROGRAM as its section says; with
// `multi SYMBOLS COOKIES` (comma-separated) as a kprobe.multi on those functions with those
// cookies; with `maxactive N FUNCTION` as a kretprobe on FUNCTION with maxactive N (which
// libbpf has no option for); with `cookie N` with cookie N; with `netkit IFINDEX` on that
// interface. A refused attach is expected on this kernel: it prints the error and exits 0.
import { closeSync, openSync } from 'node:fs';
import { BpfObject } from '@bpfkit/loader';
import { attachKprobe, attachKprobeMulti } from '../src/index.js';

const MARKER = '/bpfkit-attach-marker';
const [path, name, how, first, second] = process.argv.slice(2);
if (path === undefined || name === undefined) {
  throw new Error(
    'usage: attach-once.ts OBJECT PROGRAM [multi SYMBOLS COOKIES | maxactive N FUNCTION | cookie N | netkit IFINDEX]',
  );
}
using object = BpfObject.open(path);
object.load();
const program = object.program(name);
try {
  closeSync(openSync(MARKER, 'r'));
} catch {
  // Expected: the marker only has to show in the trace.
}
try {
  const link =
    how === 'multi'
      ? attachKprobeMulti(program.fd, {
          symbols: (first ?? '').split(','),
          cookies: (second ?? '').split(',').map((text) => BigInt(text)),
        })
      : how === 'maxactive'
        ? attachKprobe(program.fd, second ?? '', { retprobe: true, maxactive: Number(first) })
        : program.attach(
            how === 'cookie' ? { cookie: BigInt(first ?? '0') } : how === 'netkit' ? { interface: Number(first) } : {},
          );
  link.close();
  console.log('attach: ok');
} catch (error) {
  console.log(`attach: ${String(error)}`);
}
