import { existsSync, statfsSync, statSync } from 'node:fs';
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

/** `statfs(2)` f_type of a bpf filesystem: files on one are pins, not objects. */
const BPF_FS_MAGIC = 0xcafe4a11;

/** One decoder for keys or values: through BTF when the map has a type for them, else hex. */
type Decode = (bytes: Uint8Array) => unknown;

function decoder(btf: btfLib.Btf | undefined, typeId: number): Decode {
  const codec = btf && typeId ? btfLib.btfCodec(btf, typeId, syscall.isLittleEndianHost) : undefined;
  if (codec === undefined) return hexBytes;
  return (bytes) => {
    try {
      return codec.decode(bytes);
    } catch {
      return hexBytes(bytes);
    }
  };
}

/**
 * Every entry of the map behind `fd`, read key by key with buffers sized from the kernel's
 * layout of that map; a per-CPU value shows as one value per possible CPU.
 */
function readRows(fd: number, btf: btfLib.Btf | undefined, keyTypeId: number, valueTypeId: number): Row[] {
  const layout = syscall.mapLayout(fd);
  const key = decoder(btf, keyTypeId);
  const one = decoder(btf, valueTypeId);
  const value: Decode = syscall.isPerCpuMapType(layout.type)
    ? (bytes) => syscall.splitPerCpu(layout, bytes).map(one)
    : one;
  const rows: Row[] = [];
  for (let k = syscall.mapNextKey(fd, undefined, layout); k !== undefined; k = syscall.mapNextKey(fd, k, layout)) {
    const bytes = syscall.mapLookup(fd, k, layout);
    if (bytes !== undefined) rows.push({ key: key(k), value: value(bytes) });
  }
  return rows;
}

interface Row {
  readonly key: unknown;
  readonly value: unknown;
}

/**
 * `bpfkit map dump OBJ|PINNED MAP`: entries decoded through BTF, like `bpftool map dump`
 * (per-CPU maps: a list of every possible CPU's value). An object is loaded first (so its
 * maps show their initial contents); a pinned map is read as is.
 */
export function mapDump(source: string, mapName: string | undefined, options: { json?: boolean }): number {
  let rows: Row[];
  if (existsSync(source) && statSync(source).isFile() && statfsSync(source).type !== BPF_FS_MAGIC) {
    if (mapName === undefined) throw new UsageError('map dump OBJ needs the name of a map');
    using obj = BpfObject.open(source);
    obj.load();
    const map = obj.map(mapName);
    rows = readRows(map.fd, map.btf, map.spec.btfKeyTypeId, map.spec.btfValueTypeId);
  } else {
    const fd = syscall.getPinnedObject(source);
    try {
      const info = syscall.mapInfo(fd.fd);
      rows = readRows(fd.fd, kernelMapBtf(info.btfId), info.btfKeyTypeId, info.btfValueTypeId);
    } finally {
      fd.close();
    }
  }
  if (options.json) console.log(toJson(rows));
  else for (const row of rows) console.log(`key: ${toJson(row.key)}  value: ${toJson(row.value)}`);
  return 0;
}
