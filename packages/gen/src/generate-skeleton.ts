import type { Btf } from '@bpfkit/btf';
import { emitDeclarations } from './emit-declarations.js';
import { emitSkeleton, type ObjectSource, skeletonNames } from './emit-skeleton.js';
import { GenError } from './errors.js';
import { emitContext, findNamedTypes, generatedHeader } from './generate-types.js';
import { readSkeletonModel } from './skeleton-model.js';

/** Options for {@link generateSkeleton}. */
export interface GenerateSkeletonOptions {
  /** The object's file name (`minimal.bpf.o`): the header, the object name and the default class name come from it. */
  readonly object: string;
  /** The class name; the object's name in PascalCase by default (`minimal.bpf.o` → `Minimal`). */
  readonly name?: string;
  /**
   * Put the object's bytes into the module (base64), so the tool ships as one file. Otherwise
   * the module opens the object at `objectPath`, relative to itself.
   */
  readonly embed?: boolean;
  /** Where the module finds the object at run time, relative to the module (`./minimal.bpf.o` by default). */
  readonly objectPath?: string;
  /** Struct, union, enum or typedef names to declare as well (`--type`). */
  readonly types?: readonly string[];
  /** Record types of event maps, by map name (`{ events: 'event' }`): their readers decode records as that type. */
  readonly events?: Readonly<Record<string, string>>;
  /** Module the generated code imports its helpers from (`@bpfkit/gen` by default). */
  readonly runtime?: string;
  /** Module the generated code imports the loader from (`@bpfkit/loader` by default). */
  readonly loader?: string;
  /** Module the generated code imports event readers from (`@bpfkit/events` by default). */
  readonly eventsModule?: string;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `minimal.bpf.o` → `Minimal`, `map-in-map.bpf.o` → `MapInMap`: the class name
 * {@link generateSkeleton} gives an object's skeleton unless told another.
 * @example
 * ```ts
 * import { skeletonClassName } from '@bpfkit/gen';
 *
 * skeletonClassName('map-in-map.bpf.o'); // MapInMap
 * ```
 */
export function skeletonClassName(object: string): string {
  const base = object.slice(object.lastIndexOf('/') + 1);
  const stem = base.slice(0, base.indexOf('.') < 0 ? undefined : base.indexOf('.'));
  const name = stem.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, ch: string) => ch.toUpperCase());
  return /^[0-9]/.test(name) || name === '' ? `Bpf${name}` : name;
}

/**
 * A TypeScript module for the BPF object `bytes`: the types its maps, globals, event
 * records and named types reach (as {@link generateTypes} writes them), and a skeleton class
 * with typed `open({ rodata })`, `load()`, `maps`, `programs`, `events`, `attach()`,
 * `close()`, and one accessor per `.bss`/`.data`/`.data.*` variable that reads and writes
 * kernel memory at the variable's fixed offset. Pure: no kernel, no file system.
 * @throws {@link GenError} `bad-object` (no BTF, a bad class name, an event type for a map
 * that has no records), `type-not-found`, `unsupported-type`; `ElfError`, `BtfError`,
 * `MapError`, `RelocError` for bad input.
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs';
 * import { generateSkeleton } from '@bpfkit/gen';
 *
 * // As `bpfkit gen skeleton tool.bpf.o -o tool.skel.ts --event events=event` does:
 * const bytes = new Uint8Array(readFileSync('tool.bpf.o'));
 * writeFileSync('tool.skel.ts', generateSkeleton(bytes, { object: 'tool.bpf.o', events: { events: 'event' } }));
 * // Then, in the tool: `using skel = Tool.open({ rodata: { parent: 1 } }).load();`
 * // `skel.attach(); skel.bss.counter; for await (const e of skel.events.events) console.log(e.comm);`
 * ```
 */
export function generateSkeleton(bytes: Uint8Array, options: GenerateSkeletonOptions): string {
  const name = options.name ?? skeletonClassName(options.object);
  if (!identifier.test(name))
    throw new GenError('bad-object', 'the skeleton class name is not a TypeScript identifier', {
      object: options.object,
      field: name,
    });
  const find = (btf: Btf, type: string) => findNamedTypes(btf, [type], options.object)[0] as number;
  const model = readSkeletonModel(
    bytes,
    options.object,
    {
      ...(options.events === undefined ? {} : { events: options.events }),
      ...(options.types === undefined ? {} : { types: options.types }),
    },
    find,
  );
  const roots = [
    ...model.maps.flatMap((m) =>
      m.form === 'typed'
        ? [...(m.key === 'u32' ? [] : [m.key]), m.value]
        : m.form === 'events' && m.eventType !== undefined
          ? [m.eventType]
          : [],
    ),
    ...model.sections.flatMap((s) => s.variables.map((v) => v.type)),
    ...model.namedTypes,
  ];
  const c = emitContext(model.btf, roots, {
    littleEndian: model.elf.littleEndian,
    object: options.object,
    reserved: skeletonNames(name, model),
  });
  const source: ObjectSource = options.embed
    ? { embed: bytes }
    : { path: options.objectPath ?? `./${options.object.slice(options.object.lastIndexOf('/') + 1)}` };
  const usesEvents = model.maps.some((m) => m.form === 'events');
  const body = [emitDeclarations(c), emitSkeleton(c, model, name, source)].join('\n');
  return [
    generatedHeader(options.object),
    ...('path' in source ? ["import { fileURLToPath } from 'node:url';"] : []),
    ...(usesEvents ? [`import * as events from '${options.eventsModule ?? '@bpfkit/events'}';`] : []),
    // An unused import would fail `noUnusedLocals` in the user's build.
    ...(/\brt\./.test(body) ? [`import * as rt from '${options.runtime ?? '@bpfkit/gen'}';`] : []),
    `import * as loader from '${options.loader ?? '@bpfkit/loader'}';`,
    '',
    body,
  ].join('\n');
}
