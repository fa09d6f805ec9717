import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject, maps as mapsLib } from '@bpfkit/loader';
import { colours, table, toJson } from '../output.js';
import { parseConstant } from '../values.js';

/** `bpfkit load OBJ [--pin DIR] [--const name=value]… [-v]`: loads, summarises, optionally pins everything. */
export function load(
  path: string,
  options: { pin?: string; const?: string[]; verbose?: boolean; json?: boolean },
): number {
  const c = colours(process.stdout);
  const constants = Object.fromEntries((options.const ?? []).map(parseConstant));
  const obj = BpfObject.open(path, {
    constants,
    ...(options.verbose ? { logger: (line: string) => console.log(c('dim', `  ${line}`)) } : {}),
    ...(options.pin ? { pinRoot: options.pin } : {}),
  });
  try {
    obj.load();
    const maps = obj.maps.map((spec) => {
      const map = obj.map(spec.name);
      return {
        name: map.name,
        type: mapsLib.mapTypeName(spec.type),
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
    if (options.pin) {
      mkdirSync(join(options.pin, 'progs'), { recursive: true });
      for (const p of programs) obj.program(p.name).pin(join(options.pin, 'progs', p.name));
    }
    if (options.json) {
      console.log(toJson({ object: obj.name, maps, programs }));
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
    if (options.pin)
      console.log(`\nPinned programs under ${join(options.pin, 'progs')}; maps pinned by name under ${options.pin}.`);
    return 0;
  } finally {
    obj.close();
  }
}
