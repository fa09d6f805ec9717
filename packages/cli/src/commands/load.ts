import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject, type BpfObject as Loaded } from '@bpfkit/loader';
import * as uapi from '@bpfkit/uapi';
import { colours, table, toJson } from '../output.js';
import { parseConstant, UsageError } from '../values.js';

/** libbpf's `pinning = LIBBPF_PIN_BY_NAME`: the loader pins such a map under the pin root itself. */
const PIN_BY_NAME = 1;

/**
 * Pins every loaded program under `dir/progs` and, with `maps`, every map not pinned by name
 * under `dir` (dots become `_`). All or nothing: on a failure the pins made and the directories created are
 * removed before the error goes on. Returns what was pinned.
 */
function pinObject(obj: Loaded, dir: string, programs: readonly string[], maps: boolean): string[] {
  const pinned: string[] = [];
  const created: string[] = [];
  const makeDir = (path: string) => {
    const first = mkdirSync(path, { recursive: true });
    if (first !== undefined) created.push(first);
  };
  try {
    makeDir(join(dir, 'progs'));
    for (const name of programs) {
      const path = join(dir, 'progs', name);
      obj.program(name).pin(path);
      pinned.push(path);
    }
    if (maps) {
      for (const spec of obj.maps.filter((m) => m.pinning !== PIN_BY_NAME)) {
        // bpffs refuses names with a dot: `.data` maps pin as `obj_data`, as libbpf pins them.
        const path = join(dir, spec.name.replaceAll('.', '_'));
        obj.map(spec.name).pin(path);
        pinned.push(path);
      }
    }
    return pinned;
  } catch (error) {
    for (const path of pinned.reverse()) rmSync(path, { force: true });
    // Created outermost first: remove the innermost (progs) before its parents.
    for (const path of [join(dir, 'progs'), ...created.reverse()]) {
      try {
        rmdirSync(path);
      } catch {
        // not ours or not empty: leave it
      }
    }
    throw error;
  }
}

/** `bpfkit load OBJ [--pin DIR [--pin-maps]] [--const name=value]… [-v]`: loads, summarises, optionally pins. */
export function load(
  path: string,
  options: { pin?: string; pinMaps?: boolean; const?: string[]; verbose?: boolean; json?: boolean },
): number {
  if (options.pinMaps && !options.pin) throw new UsageError('--pin-maps needs --pin <dir>');
  const c = colours(process.stdout);
  const constants = Object.fromEntries((options.const ?? []).map(parseConstant));
  // The step log is diagnostics, as libbpf's: on standard error, so `--json` output stays one document.
  const log = colours(process.stderr);
  const obj = BpfObject.open(path, {
    constants,
    ...(options.verbose ? { logger: (line: string) => process.stderr.write(`${log('dim', `  ${line}`)}\n`) } : {}),
    ...(options.pin ? { pinRoot: options.pin } : {}),
  });
  try {
    obj.load();
    const maps = obj.maps.map((spec) => {
      const map = obj.map(spec.name);
      return {
        name: map.name,
        type: uapi.mapTypeName(spec.type),
        id: map.info().id,
        keySize: map.keySize,
        valueSize: map.valueSize,
        maxEntries: map.maxEntries,
      };
    });
    const programs = obj.programs
      .filter((p) => p.autoload)
      .map((plan) => {
        const program = obj.program(plan.name);
        const info = program.info();
        return {
          name: plan.name,
          section: plan.section,
          id: info.id,
          tag: info.tag,
          instructions: plan.instructions.length,
        };
      });
    const pinned = options.pin
      ? pinObject(
          obj,
          options.pin,
          programs.map((p) => p.name),
          options.pinMaps === true,
        )
      : [];
    if (options.json) {
      console.log(toJson({ object: obj.name, maps, programs, ...(options.pin ? { pinned } : {}) }));
      return 0;
    }
    console.log(c('bold', `Loaded ${obj.name}`));
    console.log(
      table(
        ['map', 'id', 'type', 'key', 'value', 'max'],
        maps.map((m) => [m.name, m.id, m.type, m.keySize, m.valueSize, m.maxEntries]),
      ),
    );
    console.log();
    console.log(
      table(
        ['program', 'id', 'section', 'insns', 'tag'],
        programs.map((p) => [p.name, p.id, p.section, p.instructions, p.tag]),
      ),
    );
    if (options.pin) {
      const maps = options.pinMaps ? 'every map' : 'maps pinned by name (--pin-maps pins every map)';
      console.log(`\nPinned programs under ${join(options.pin, 'progs')}; ${maps} under ${options.pin}.`);
    }
    return 0;
  } finally {
    obj.close();
  }
}
