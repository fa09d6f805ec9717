import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { generateSkeleton } from '@bpfkit/gen';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../values.js';

/** Options of `bpfkit gen skeleton`. */
export interface GenSkeletonOptions {
  readonly output?: string;
  readonly embed?: boolean;
  readonly type?: readonly string[];
  readonly event?: readonly string[];
  readonly name?: string;
}

/** `MAP=TYPE` pairs as a record. */
function eventTypes(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const match = /^([^=]+)=(.+)$/.exec(pair);
      if (match === null) throw new UsageError(`--event takes MAP=TYPE (as events=event), not '${pair}'`);
      return [match[1] as string, match[2] as string];
    }),
  );
}

/**
 * The path the generated module opens the object by, relative to the module: from the
 * output file's directory, or absolute when the module goes to standard output.
 */
function objectPathFrom(object: string, output: string | undefined): string {
  if (output === undefined) return resolve(object);
  const path = relative(dirname(resolve(output)), resolve(object));
  return path.startsWith('.') ? path : `./${path}`;
}

/** `bpfkit gen skeleton OBJ [-o FILE] [--embed] [--type T]… [--event MAP=TYPE]… [--name N]`: a typed TypeScript skeleton. */
export function genSkeleton(path: string, options: GenSkeletonOptions): number {
  const text = generateSkeleton(new Uint8Array(readFileSync(path)), {
    object: basename(path),
    ...(options.embed ? { embed: true } : { objectPath: objectPathFrom(path, options.output) }),
    ...(options.type === undefined ? {} : { types: options.type }),
    ...(options.event === undefined ? {} : { events: eventTypes(options.event) }),
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  if (options.output === undefined) process.stdout.write(text);
  else writeFileSync(options.output, text);
  return ExitCode.OK;
}
