import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as btfLib from '@bpfkit/btf';
import * as elfLib from '@bpfkit/elf';
import type { BtfDumpFormat } from '../btf-dump-formats.js';
import { compileForOnePass } from '../one-pass-compiling.js';
import { UsageError } from '../values.js';

/** Characters handed to each write to standard output: vmlinux's header goes out in three writes. */
const WRITE_CHUNK = 1 << 20;

/** Where the kernel hands out its BTF: it checked every name and type id when it loaded it. */
const KERNEL_BTF_DIR = '/sys/kernel/btf/';

/** The BTF of an object file (its `.BTF`) or of a raw BTF file (`/sys/kernel/btf/vmlinux`). */
function readBtf(path: string): btfLib.Btf {
  const file = readFileSync(path);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const name = basename(path);
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf) return btfLib.parseBtf(bytes, { name, verified: resolve(path).startsWith(KERNEL_BTF_DIR) });
  const object = btfLib.readObjectBtf(elfLib.parseElf(bytes, { name }));
  if (object === undefined) throw new UsageError(`${name} has no .BTF section`);
  return object.btf;
}

/** One type as bpftool's raw format prints it: `[id] KIND 'name' fields…`. */
function raw(t: btfLib.BtfType): string {
  const name = `'${t.name || '(anon)'}'`;
  const head = `[${t.id}] ${t.kind.toUpperCase()} ${name}`;
  switch (t.kind) {
    case 'int':
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${['(none)', 'SIGNED', 'CHAR', '', 'BOOL'][t.encoding] ?? t.encoding}`;
    case 'ptr':
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return `${head} type_id=${t.type}`;
    case 'array':
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.length}`;
    case 'struct':
    case 'union':
      return [
        `${head} size=${t.size} vlen=${t.members.length}`,
        ...t.members.map(
          (m) =>
            `\t'${m.name || '(anon)'}' type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`,
        ),
      ].join('\n');
    case 'enum':
    case 'enum64':
      return [
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t'${v.name}' val=${v.value}`),
      ].join('\n');
    case 'fwd':
      return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 'func':
      return `${head} type_id=${t.type} linkage=${['static', 'global', 'extern'][t.linkage] ?? t.linkage}`;
    case 'func_proto':
      return [
        `${head} ret_type_id=${t.returnType} vlen=${t.params.length}`,
        ...t.params.map((p) => `\t'${p.name || '(anon)'}' type_id=${p.type}`),
      ].join('\n');
    case 'var':
      return `${head} type_id=${t.type}, linkage=${['static', 'global', 'extern'][t.linkage] ?? t.linkage}`;
    case 'datasec':
      return [
        `${head} size=${t.size} vlen=${t.vars.length}`,
        ...t.vars.map((v) => `\ttype_id=${v.type} offset=${v.offset} size=${v.size}`),
      ].join('\n');
    case 'float':
      return `${head} size=${t.size}`;
    case 'decl_tag':
      return `${head} type_id=${t.type} component_idx=${t.componentIndex}`;
    default:
      return head;
  }
}

/** What the C dump prints for `--type NAME`: the declarations named so, and variables (with the types they use). */
function cOptions(btf: btfLib.Btf, name: string, ids: readonly number[]): btfLib.FormatCOptions {
  const declared = new Set(['struct', 'union', 'enum', 'enum64', 'fwd', 'typedef']);
  const roots = ids.filter((id) => declared.has(btf.kindOf(id)));
  const variables = ids.filter((id) => btf.kindOf(id) === 'var');
  if (roots.length === 0 && variables.length === 0) {
    const kind = btf.kindOf(ids[0] as number);
    throw new UsageError(
      `'${name}' is a ${kind}: the C dump prints structs, unions, enums, typedefs and variables (try --format raw)`,
    );
  }
  return { roots, variables };
}

/** `bpfkit btf dump FILE [--format c|json|raw] [--type NAME]`. */
export function btfDump(path: string, options: { format?: BtfDumpFormat; type?: string }): number {
  compileForOnePass();
  const btf = readBtf(path);
  const format = options.format ?? 'raw';
  const ids = options.type === undefined ? undefined : btf.idsByName(options.type);
  if (ids !== undefined && ids.length === 0) throw new UsageError(`no type named '${options.type}'`);
  if (format === 'c') {
    // Bytes, written piece by piece: the header is never a string, nor whole in memory.
    const pieces = btfLib.formatCBytes(
      btf,
      ids === undefined ? {} : cOptions(btf, options.type as string, ids),
      WRITE_CHUNK,
    );
    for (const piece of pieces) process.stdout.write(piece);
  } else if (format === 'json') {
    // Written piece by piece: vmlinux's 18 MB never sit in memory as one string.
    for (const chunk of btfLib.bpftoolJsonChunks(btf, ids, WRITE_CHUNK)) process.stdout.write(chunk);
    process.stdout.write('\n');
  } else {
    for (const t of ids?.map((id) => btf.type(id)) ?? btf.decodeAll()) console.log(raw(t));
  }
  return 0;
}
