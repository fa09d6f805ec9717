import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as elfLib from '@bpfkit/elf';
import { colours } from '../output.js';
import { programListings } from '../program-listing.js';
import { UsageError } from '../values.js';

/** `bpfkit disasm OBJ [PROG]`: each program as it will load (subprograms appended), with source lines. */
export function disasm(path: string, program: string | undefined): number {
  const c = colours(process.stdout);
  const file = elfLib.parseElf(new Uint8Array(readFileSync(path)), { name: basename(path) });
  const listings = programListings(file, program);
  if (listings.length === 0) throw new UsageError(`no program named '${program}'`);
  for (const listing of listings) {
    console.log(c('bold', `${listing.name}:`) + c('dim', ` (section ${listing.section})`));
    for (const line of listing.lines) {
      if (line.kind === 'function') console.log(c('bold', `${line.name}:`));
      else if (line.kind === 'source')
        console.log(c('green', `; ${line.text}`) + c('dim', ` @ ${line.file}:${line.line}`));
      else {
        const map = line.map;
        const note =
          map === undefined
            ? ''
            : c('cyan', `  ; map '${map.name}'${map.offset === undefined ? '' : ` + ${map.offset}`}`);
        console.log(`${String(line.index).padStart(6)}: ${line.text}${note}`);
      }
    }
    console.log();
  }
  return 0;
}
