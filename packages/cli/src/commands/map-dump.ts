import { existsSync, statfsSync, statSync } from 'node:fs';
import * as btfLib from '@bpfkit/btf';
import { BpfObject } from '@bpfkit/loader';
import * as syscall from '@bpfkit/syscall';
import * as uapi from '@bpfkit/uapi';
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

/** One decoder for keys or values. */
type Decode = (bytes: Uint8Array) => unknown;

/** Bytes without a BTF type: 1, 2, 4 or 8 of them as an unsigned integer (an index, an id, a counter), others as hex. */
function plainDecoder(littleEndian: boolean): Decode {
  return (bytes) => {
    if (![1, 2, 4, 8].includes(bytes.length)) return hexBytes(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length === 8) {
      const big = view.getBigUint64(0, littleEndian);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    return bytes.length === 4
      ? view.getUint32(0, littleEndian)
      : bytes.length === 2
        ? view.getUint16(0, littleEndian)
        : view.getUint8(0);
  };
}

/**
 * Decodes through BTF type `typeId` when there is one, else {@link plainDecoder}. A value
 * BTF cannot decode is shown as hex, and why is said once on standard error.
 */
function decoder(btf: btfLib.Btf | undefined, typeId: number, what: string): Decode {
  const plain = plainDecoder(syscall.isLittleEndianHost);
  if (btf === undefined || typeId === 0) return plain;
  let codec: btfLib.BtfCodec | undefined;
  try {
    codec = btfLib.btfCodec(btf, typeId, syscall.isLittleEndianHost);
  } catch (error) {
    warn(what, typeId, error);
    return hexBytes;
  }
  let warned = false;
  return (bytes) => {
    try {
      return codec.decode(bytes);
    } catch (error) {
      if (!warned) warn(what, typeId, error);
      warned = true;
      return hexBytes(bytes);
    }
  };
}

function warn(what: string, typeId: number, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(`warning: ${what} does not decode through BTF type [${typeId}] (${reason}); shown as hex\n`);
}

/** Map types whose slots hold program or map ids (an empty slot reads as ENOENT). */
const slotTypes: ReadonlySet<number> = new Set([
  uapi.MapType.PROG_ARRAY,
  uapi.MapType.ARRAY_OF_MAPS,
  uapi.MapType.HASH_OF_MAPS,
]);

/**
 * Every entry of the map behind `fd`, read key by key with buffers sized from the kernel's
 * layout of that map; a per-CPU value shows as one value per possible CPU, a program or map
 * slot as the id it holds (`null` when empty).
 */
function readRows(
  fd: number,
  name: string,
  btf: btfLib.Btf | undefined,
  keyTypeId: number,
  valueTypeId: number,
): Row[] {
  const layout = syscall.mapLayout(fd);
  const key = decoder(btf, keyTypeId, `map '${name}': a key`);
  const one = decoder(btf, valueTypeId, `map '${name}': a value`);
  const value: Decode = uapi.isPerCpuMapType(layout.type)
    ? (bytes) => syscall.splitPerCpu(layout, bytes).map(one)
    : one;
  const holdsIds = slotTypes.has(layout.type);
  const idField = layout.type === uapi.MapType.PROG_ARRAY ? 'progId' : 'mapId';
  const rows: Row[] = [];
  for (let k = syscall.mapNextKey(fd, undefined, layout); k !== undefined; k = syscall.mapNextKey(fd, k, layout)) {
    const bytes = syscall.mapLookup(fd, k, layout);
    if (holdsIds) rows.push({ key: key(k), value: bytes === undefined ? null : { [idField]: value(bytes) } });
    else if (bytes !== undefined) rows.push({ key: key(k), value: value(bytes) });
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
    rows = readRows(map.fd, map.name, map.btf, map.spec.btfKeyTypeId, map.spec.btfValueTypeId);
  } else {
    const fd = syscall.getPinnedObject(source);
    try {
      const info = syscall.mapInfo(fd.fd);
      rows = readRows(fd.fd, info.name, kernelMapBtf(info.btfId), info.btfKeyTypeId, info.btfValueTypeId);
    } finally {
      fd.close();
    }
  }
  if (options.json) console.log(toJson(rows));
  else
    for (const row of rows)
      console.log(`key: ${toJson(row.key)}  value: ${row.value === null ? '(empty)' : toJson(row.value)}`);
  return 0;
}
