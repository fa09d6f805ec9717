import { existsSync, statSync } from 'node:fs';
import { BpfObject, btf as btfLib, syscall } from '@bpfkit/loader';
import { hexBytes, toJson } from '../output.js';
import { UsageError } from '../values.js';

/** A map's BTF from the kernel (by its BTF id), for decoding a pinned map. */
function kernelMapBtf(btfId: number): btfLib.Btf | undefined {
  if (btfId === 0) return undefined;
  const fd = syscall.objectFdById('btf', btfId);
  if (fd === undefined) return undefined;
  try {
    return btfLib.parseBtf(syscall.btfData(fd.fd), { name: `btf id ${btfId}` });
  } finally {
    fd.close();
  }
}

/**
 * `bpfkit map dump OBJ|PINNED MAP`: entries decoded through BTF, like `bpftool map dump`. An
 * object is loaded first (so its maps show their initial contents); a pinned map is read as is.
 */
export function mapDump(source: string, mapName: string | undefined, options: { json?: boolean }): number {
  let rows: { key: unknown; value: unknown }[];
  if (existsSync(source) && statSync(source).isFile() && !source.startsWith('/sys/fs/bpf')) {
    if (mapName === undefined) throw new UsageError('map dump OBJ needs the name of a map');
    using obj = BpfObject.open(source);
    obj.load();
    const map = obj.map(mapName);
    rows = [...map.keys()].map((key) => {
      const value = map.lookup(key) as Uint8Array;
      return { key: hexBytes(key), value: typedOr(() => map.get(key), value) };
    });
  } else {
    const fd = syscall.getPinnedObject(source);
    try {
      const info = syscall.mapInfo(fd.fd);
      const btf = kernelMapBtf(info.btfId);
      const keyCodec =
        btf && info.btfKeyTypeId ? btfLib.btfCodec(btf, info.btfKeyTypeId, syscall.isLittleEndianHost) : undefined;
      const valueCodec =
        btf && info.btfValueTypeId ? btfLib.btfCodec(btf, info.btfValueTypeId, syscall.isLittleEndianHost) : undefined;
      rows = [];
      let key = syscall.mapNextKey(fd.fd, undefined, info.keySize);
      while (key !== undefined) {
        const value = syscall.mapLookup(fd.fd, key, info.valueSize);
        if (value !== undefined) {
          rows.push({
            key: keyCodec ? keyCodec.decode(key) : hexBytes(key),
            value: valueCodec ? valueCodec.decode(value) : hexBytes(value),
          });
        }
        key = syscall.mapNextKey(fd.fd, key, info.keySize);
      }
    } finally {
      fd.close();
    }
  }
  if (options.json) console.log(toJson(rows));
  else for (const row of rows) console.log(`key: ${toJson(row.key)}  value: ${toJson(row.value)}`);
  return 0;
}

function typedOr<T>(typed: () => unknown, fallback: T): unknown {
  try {
    return typed();
  } catch {
    return hexBytes(fallback as Uint8Array);
  }
}
