import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A map as libbpf's debug log describes it while opening and loading an object. */
export interface LibbpfMap {
  name: string;
  type?: number;
  keyTypeId?: number;
  keySize?: number;
  valueTypeId?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  inner: boolean;
  created: boolean;
}

/** What libbpf (through `bpftool -d prog loadall`) did with an object's maps. */
export interface LibbpfMaps {
  /** Maps in the order libbpf parsed them (inner definitions as `outer.inner`). */
  readonly maps: LibbpfMap[];
  /** `outer slot [i] -> target` lines, in relocation order. */
  readonly slots: { map: string; slot: number; target: string; kind: 'map' | 'prog' }[];
  /** Maps in the order libbpf created them. */
  readonly created: string[];
}

/**
 * Loads `objectPath` with bpftool (libbpf 1.1) into a private bpffs mounted in a temporary
 * folder, parses libbpf's debug log, and unmounts again. Needs root and bpf(2).
 */
export function loadWithLibbpf(objectPath: string): LibbpfMaps {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-libbpf-'));
  execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
  let log: string;
  try {
    const run = spawnSync('bpftool', ['-d', 'prog', 'loadall', objectPath, join(dir, 'progs')], { encoding: 'utf8' });
    log = `${run.stdout}${run.stderr}`;
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  return parseLibbpfLog(log);
}

/** Parses libbpf's debug lines about map definitions, slots and creation. */
export function parseLibbpfLog(log: string): LibbpfMaps {
  const maps: LibbpfMap[] = [];
  const slots: LibbpfMaps['slots'] = [];
  const created: string[] = [];
  const byName = (name: string) => {
    let map = maps.find((m) => m.name === name);
    if (map === undefined) {
      map = { name, inner: name.endsWith('.inner'), created: false };
      maps.push(map);
    }
    return map;
  };
  const rules: [RegExp, (m: string[]) => void][] = [
    [/^libbpf: map '([^']+)': at sec_idx/, ([, name]) => byName(name as string)],
    [/^libbpf: map '([^']+)': found type = (\d+)\./, ([, name, v]) => (byName(name as string).type = Number(v))],
    [
      /^libbpf: map '([^']+)': found key \[(\d+)\], sz = (\d+)\./,
      ([, name, id, size]) => Object.assign(byName(name as string), { keyTypeId: Number(id), keySize: Number(size) }),
    ],
    [
      /^libbpf: map '([^']+)': found value \[(\d+)\], sz = (\d+)\./,
      ([, name, id, size]) =>
        Object.assign(byName(name as string), { valueTypeId: Number(id), valueSize: Number(size) }),
    ],
    [/^libbpf: map '([^']+)': found key_size = (\d+)\./, ([, name, v]) => (byName(name as string).keySize = Number(v))],
    [
      /^libbpf: map '([^']+)': found value_size = (\d+)\./,
      ([, name, v]) => (byName(name as string).valueSize = Number(v)),
    ],
    [
      /^libbpf: map '([^']+)': found max_entries = (\d+)\./,
      ([, name, v]) => (byName(name as string).maxEntries = Number(v)),
    ],
    [
      /^libbpf: map '([^']+)': found map_flags = (0x[0-9a-f]+|\d+)\./,
      ([, name, v]) => (byName(name as string).flags = Number(v)),
    ],
    [
      /^libbpf: map '([^']+)' \(global data\): at sec_idx \d+, offset \d+, flags ([0-9a-f]+)\./,
      ([, name, flags]) => (byName(name as string).flags = Number.parseInt(flags as string, 16)),
    ],
    [
      /^libbpf: \.maps relo #\d+: map '([^']+)' slot \[(\d+)\] points to (map|prog) '([^']+)'/,
      ([, map, slot, kind, target]) =>
        slots.push({ map: map as string, slot: Number(slot), target: target as string, kind: kind as 'map' | 'prog' }),
    ],
    [
      /^libbpf: map '([^']+)': created successfully/,
      ([, name]) => {
        byName(name as string).created = true;
        created.push(name as string);
      },
    ],
  ];
  for (const line of log.split('\n')) {
    for (const [pattern, apply] of rules) {
      const match = pattern.exec(line);
      if (match !== null) {
        apply(match);
        break;
      }
    }
  }
  return { maps, slots, created };
}
