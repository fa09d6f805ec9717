// Checks the built @bpfkit/syscall (ESM or CJS) creates, uses and closes a real map.
import assert from 'node:assert/strict';

export default function smoke(syscall) {
  const map = syscall.createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: 'smoke' });
  const key = new Uint8Array(4);
  syscall.mapUpdate(map.fd, key, Uint8Array.of(7, 0, 0, 0), syscall.mapLayout(map.fd));
  assert.deepEqual([...syscall.mapLookup(map.fd, key, syscall.mapLayout(map.fd))], [7, 0, 0, 0]);
  assert.equal(syscall.mapInfo(map.fd).name, 'smoke');
  map.close();
  assert.throws(
    () => syscall.createMap({ type: 9999, keySize: 4, valueSize: 4, maxEntries: 1 }),
    (e) => syscall.BpfSyscallError.is(e) && e.errnoName === 'EINVAL',
  );
}
