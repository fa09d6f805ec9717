import { sizeOf } from '@bpfkit/btf';
import { mapTypeName } from '@bpfkit/uapi';
import { assignStatements, codecName, fillStatements, readExpression } from './codec-expressions.js';
import { cDeclaration, type EmitContext, propertyAccess, propertyKey, quote } from './context.js';
import { LiveViews, readsInPlace } from './emit-live-views.js';
import { encodeBase64 } from './runtime/base64.js';
import type { SkeletonMap, SkeletonModel, SkeletonSection, SkeletonVariable } from './skeleton-model.js';
import { typeExpression } from './type-expressions.js';

/** Where the generated module gets the object's bytes. */
export type ObjectSource = { readonly embed: Uint8Array } | { readonly path: string };

const pascal = (text: string) =>
  text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, ch: string) => ch.toUpperCase());

/** The class of section `s` in a skeleton called `name`: `Minimal` and `.data.custom` → `MinimalDataCustom`. */
export function sectionClassName(name: string, s: SkeletonSection): string {
  return `${name}${pascal(s.property)}`;
}

/** The names a skeleton called `name` declares, which generated types must not take. */
export function skeletonNames(name: string, model: SkeletonModel): string[] {
  return [
    name,
    `${name}OpenOptions`,
    `${name}Maps`,
    `${name}Programs`,
    `${name}Events`,
    ...model.sections.flatMap((s) => [
      sectionClassName(name, s),
      `${sectionClassName(name, s)}Values`,
      `fill${sectionClassName(name, s)}`,
    ]),
    'loader',
    'events',
    'fileURLToPath',
    'EMBEDDED_OBJECT',
  ];
}

function variableDoc(c: EmitContext, s: SkeletonSection, variable: SkeletonVariable, indent: string): string {
  const live = readsInPlace(c, variable.type) ? ' (members and elements read and written in place)' : '';
  return `${indent}/** \`${cDeclaration(c, variable.type, variable.name)}\` in \`${s.section}\`, offset ${variable.offset}${live} */`;
}

/** A live-section class: an accessor per variable at its fixed offset, a live view for struct, union and array variables. */
function emitSectionClass(c: EmitContext, views: LiveViews, name: string, s: SkeletonSection): string {
  const className = sectionClassName(name, s);
  const fields: string[] = [];
  const accessors = s.variables.flatMap((variable, i) => {
    const type = typeExpression(c, variable.type, '  ');
    const key = propertyKey(variable.name);
    const position = { base: '0', offset: variable.offset };
    const setter = [
      `  set ${key}(x: ${type}) {`,
      `    const v = this.$writable(${quote(variable.name)});`,
      ...assignStatements(c, variable.type, position, 'x', variable.name, '    '),
      '  }',
    ];
    if (readsInPlace(c, variable.type)) {
      const anonymous = `${className}$${variable.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      const live = views.type(variable.type, anonymous);
      const place = { section: 'this', position, path: quote(variable.name) };
      fields.push(`  #v${i}: ${live} | undefined;`);
      return [
        variableDoc(c, s, variable, '  '),
        `  get ${key}(): ${live} {`,
        `    return (this.#v${i} ??= ${views.create(variable.type, place, anonymous, '    ')});`,
        '  }',
        ...setter,
      ];
    }
    return [
      variableDoc(c, s, variable, '  '),
      `  get ${key}(): ${type} {`,
      '    const v = this.$view;',
      `    return ${readExpression(c, variable.type, position, '    ')};`,
      '  }',
      ...setter,
    ];
  });
  const lines = [
    `/** \`${s.section}\` of ${c.object ?? 'the object'}: initial values before load; after load, ${s.readOnly ? 'read from a copy (the map is frozen)' : 'reads and writes go straight to kernel memory, no system call'} */`,
    `export class ${className} extends rt.LiveSection {`,
    ...fields,
    ...accessors,
  ];
  lines.push('}', '');
  if (s.readOnly) {
    lines.push(
      `/** Values of \`${s.section}\` for \`open()\`: each one given replaces the object's initial value */`,
      `export interface ${className}Values {`,
      ...s.variables.flatMap((variable) => [
        variableDoc(c, s, variable, '  '),
        `  ${propertyKey(variable.name)}: ${typeExpression(c, variable.type, '  ')};`,
      ]),
      '}',
      '',
      `function fill${className}(section: ${className}, x: Partial<${className}Values>): void {`,
      ...s.variables.map((variable) => {
        const given = propertyAccess('x', variable.name);
        return `  if (${given} !== undefined) ${propertyAccess('section', variable.name)} = ${given};`;
      }),
      '}',
      '',
    );
  }
  return lines.join('\n');
}

/** A codec expression for a map key or value: the declaration's codec, or one generated in place. */
function codecExpression(c: EmitContext, id: number | 'u32'): string {
  if (id === 'u32')
    return `rt.codec<number>(4, (v, at) => v.getUint32(at, ${c.littleEndian}), (v, at, x) => v.setUint32(at, rt.int(x, 32, false, 'key'), ${c.littleEndian}))`;
  const named = codecName(c, id);
  if (named !== undefined) return named;
  const type = typeExpression(c, id, '  ');
  const read = readExpression(c, id, { base: 'at', offset: 0 }, '  ');
  const fill = fillStatements(c, id, { base: 'at', offset: 0 }, 'x', 'value', '    ');
  return `rt.codec<${type}>(${sizeOf(c.btf, id)}, (v, at) => (${read}), (v, at, x) => {\n${fill.join('\n')}\n  })`;
}

function mapType(c: EmitContext, m: SkeletonMap): string {
  switch (m.form) {
    case 'typed': {
      const key = m.key === 'u32' ? 'number' : typeExpression(c, m.key, '  ');
      return `rt.${m.perCpu ? 'PerCpuTypedMap' : 'TypedMap'}<${key}, ${typeExpression(c, m.value, '  ')}>`;
    }
    default:
      return 'loader.BpfMap';
  }
}

function mapDoc(c: EmitContext, m: SkeletonMap): string {
  const type = mapTypeName(m.spec.type);
  if (m.form !== 'typed') return `/** \`${type}\` '${m.spec.name}' */`;
  const key = m.key === 'u32' ? '__u32' : cDeclaration(c, m.key, '');
  const perCpu = m.perCpu ? ', one value per possible CPU' : '';
  return `/** \`${type}\` '${m.spec.name}': \`${key}\` → \`${cDeclaration(c, m.value, '')}\`, max_entries ${m.spec.maxEntries}${perCpu} */`;
}

function channelType(c: EmitContext, m: Extract<SkeletonMap, { form: 'events' }>): string {
  const item = m.eventType === undefined ? 'Uint8Array' : typeExpression(c, m.eventType);
  return `events.${m.channel === 'ring' ? 'RingBuffer' : 'PerfBuffer'}<${item}>`;
}

function channelOpen(c: EmitContext, m: Extract<SkeletonMap, { form: 'events' }>): string {
  const open = m.channel === 'ring' ? 'events.openRingBuffer' : 'events.openPerfBuffer';
  const name = quote(m.spec.name);
  if (m.eventType === undefined) return `${open}(this.object.map(${name}).fd, { name: ${name} })`;
  const codec = codecExpression(c, m.eventType);
  return `${open}(this.object.map(${name}).fd, { name: ${name}, decode: (record) => ${codec}.decode(record) })`;
}

/**
 * The skeleton class and its companions: typed open options (the read-only sections'
 * variables), a live class per data section, typed maps, programs, event readers,
 * `attach()`, `close()` and `[Symbol.dispose]`.
 */
export function emitSkeleton(c: EmitContext, model: SkeletonModel, name: string, source: ObjectSource): string {
  const sections = model.sections;
  const readOnly = sections.filter((s) => s.readOnly);
  const channels = model.maps.filter((m): m is Extract<SkeletonMap, { form: 'events' }> => m.form === 'events');
  const views = new LiveViews(c);
  const classes = sections.map((s) => emitSectionClass(c, views, name, s));
  const out: string[] = [views.text(), ...classes];
  if ('embed' in source) {
    const text = encodeBase64(source.embed);
    const lines = text.match(/.{1,100}/g) ?? [''];
    out.push(
      `/** ${model.object} (${source.embed.length} bytes), base64 */`,
      `const EMBEDDED_OBJECT = [\n${lines.map((l) => `  '${l}',`).join('\n')}\n].join('');`,
      '',
    );
  }
  const defaultSource =
    'embed' in source
      ? 'rt.decodeBase64(EMBEDDED_OBJECT)'
      : `fileURLToPath(new URL(${quote(source.path)}, import.meta.url))`;
  out.push(
    `/** Options for {@link ${name}.open}: the loader's, and the initial values of read-only globals. */`,
    `export interface ${name}OpenOptions extends Omit<loader.OpenOptions, 'constants'> {`,
    `  /** The object to open instead of ${'embed' in source ? 'the embedded one' : `'${source.path}' beside this module`}: a path or its bytes. */`,
    '  readonly object?: string | Uint8Array;',
    ...readOnly.flatMap((s) => [
      `  /** Initial values of \`${s.section}\` variables (\`const volatile\`); the others keep the object's. */`,
      `  readonly ${s.property}?: Partial<${sectionClassName(name, s)}Values>;`,
    ]),
    '}',
    '',
    `/** The maps of ${model.object}, typed by their BTF key and value types. */`,
    `export interface ${name}Maps {`,
    ...model.maps.flatMap((m) => [`  ${mapDoc(c, m)}`, `  readonly ${propertyKey(m.spec.name)}: ${mapType(c, m)};`]),
    '}',
    '',
    `/** The programs of ${model.object}. */`,
    `export interface ${name}Programs {`,
    ...model.programs.flatMap((p) => [
      `  /** \`SEC("${p.section}")\` */`,
      `  readonly ${propertyKey(p.name)}: loader.BpfProgram;`,
    ]),
    '}',
    '',
    `/** Readers of the ring buffers and perf event arrays of ${model.object}. */`,
    `export interface ${name}Events {`,
    ...channels.flatMap((m) => [
      `  /** '${m.spec.name}'${m.eventType === undefined ? ', records as bytes (generate with --event to decode them)' : `, records decoded as \`${cDeclaration(c, m.eventType, '')}\``} */`,
      `  readonly ${propertyKey(m.spec.name)}: ${channelType(c, m)};`,
    ]),
    '}',
    '',
    `/**`,
    ` * ${model.object} as a typed skeleton: \`${name}.open({ … })\`, \`load()\`, then typed maps,`,
    ` * programs, event readers and live global variables; \`close()\` (or \`using\`) releases it all.`,
    ` */`,
    `export class ${name} {`,
    ...sections.flatMap((s) => [
      `  /** \`${s.section}\` variables: set them before load; ${s.readOnly ? 'read-only after load' : 'live in kernel memory after load'} */`,
      `  readonly ${s.property} = new ${sectionClassName(name, s)}(${quote(s.section)}, ${quote(model.object)});`,
    ]),
    `  #maps: ${name}Maps | undefined;`,
    `  #events: ${name}Events | undefined;`,
    ...(channels.length === 0 ? [] : ['  #channels: { close(): void }[] = [];']),
    '',
    '  private constructor(',
    '    /** The object underneath, for what the skeleton does not cover. */',
    '    readonly object: loader.BpfObject,',
    '  ) {}',
    '',
    '  /**',
    `   * Opens ${model.object} (no kernel call) with the given initial values of read-only globals;`,
    '   * any global can be set through its section until {@link load}.',
    '   * @throws a `LoadError`, `MapError` or `GenError` naming what does not fit.',
    '   */',
    `  static open(options: ${name}OpenOptions = {}): ${name} {`,
    `    const { object, ${readOnly.map((s) => `${s.property}, `).join('')}...rest } = options;`,
    `    const skel = new ${name}(loader.BpfObject.open(object ?? ${defaultSource}, { objectName: ${quote(model.objectName)}, ...rest }));`,
    ...sections.map(
      (s) => `    skel.${s.property}.$attach(rt.initialData(skel.object.maps, ${quote(s.section)}), true);`,
    ),
    ...readOnly.map(
      (s) =>
        `    if (${s.property} !== undefined) fill${sectionClassName(name, s)}(skel.${s.property}, ${s.property});`,
    ),
    '    return skel;',
    '  }',
    '',
    '  /**',
    '   * Loads the object (with the global variables as set since open) and maps its writable',
    '   * global-data sections into this process. On a failure it closes what it opened.',
    '   * @throws a `LoadError` naming the step, map or program that failed.',
    '   */',
    '  load(): this {',
    '    try {',
    '      this.object.load();',
    ...sections.map((s) =>
      s.readOnly
        ? `      this.${s.property}.$attach(rt.frozenCopy(this.object.map(${quote(s.section)})), false);`
        : `      this.${s.property}.$attach(this.object.map(${quote(s.section)}).memory(), true);`,
    ),
    '    } catch (error) {',
    '      this.close();',
    '      throw error;',
    '    }',
    '    return this;',
    '  }',
    '',
    '  /** The maps, typed (after load). */',
    `  get maps(): ${name}Maps {`,
    '    this.#maps ??= {',
    ...model.maps.map((m) =>
      m.form === 'typed'
        ? `      ${propertyKey(m.spec.name)}: new rt.${m.perCpu ? 'PerCpuTypedMap' : 'TypedMap'}(this.object.map(${quote(m.spec.name)}), ${codecExpression(c, m.key)}, ${codecExpression(c, m.value)}),`
        : `      ${propertyKey(m.spec.name)}: this.object.map(${quote(m.spec.name)}),`,
    ),
    '    };',
    '    return this.#maps;',
    '  }',
    '',
    '  /** The programs (after load). */',
    `  get programs(): ${name}Programs {`,
    ...(model.programs.length === 0 ? [] : ['    const object = this.object;']),
    '    return {',
    ...model.programs.map((p) => `      get ${propertyKey(p.name)}() { return object.program(${quote(p.name)}); },`),
    '    };',
    '  }',
    '',
    '  /** Event readers, opened on first use and closed with the skeleton. */',
    `  get events(): ${name}Events {`,
    '    this.#events ??= {',
    ...channels.map((m) => `      ${propertyKey(m.spec.name)}: this.#track(${channelOpen(c, m)}),`),
    '    };',
    '    return this.#events;',
    '  }',
    '',
    '  /**',
    "   * Attaches every loaded program whose section says where (the object's `attachAll()`:",
    '   * tracepoints, kprobes, uprobes with a binary, tracing programs, iterators); the others',
    '   * need `programs.<name>.attach(options)`. The links close with the skeleton.',
    '   */',
    '  attach(): loader.BpfLink[] {',
    '    return this.object.attachAll();',
    '  }',
    '',
    '  /** Releases the live sections, closes the event readers, links, maps and programs; idempotent. */',
    '  close(): void {',
    ...sections.map((s) => `    this.${s.property}.$release();`),
    ...(channels.length === 0 ? [] : ['    for (const channel of this.#channels.splice(0)) channel.close();']),
    '    this.object.close();',
    '  }',
    '',
    '  /** Same as {@link close}, for `using`. */',
    '  [Symbol.dispose](): void {',
    '    this.close();',
    '  }',
    ...(channels.length === 0
      ? []
      : [
          '',
          '  #track<T extends { close(): void }>(channel: T): T {',
          '    this.#channels.push(channel);',
          '    return channel;',
          '  }',
        ]),
    '}',
    '',
  );
  return out.join('\n');
}
