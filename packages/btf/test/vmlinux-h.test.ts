import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { requireTool, vmlinuxHeaderProgramDir } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { type Btf, BtfBuilder, formatC, parseBtf, readObjectBtf } from '../src/index.js';

const haveTools = requireTool('clang-19', 'clang-19') && requireTool('bpftool', 'bpftool', 'version');
const work = mkdtempSync(join(tmpdir(), 'bpfkit-vmlinux-h-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A C integer literal as printed by either dumper (`4U`, `5ULL`, `(-2147483647 - 1)`) as a number. */
function literal(text: string): bigint {
  const minimum = /^\((-\d+) - 1\)$/.exec(text);
  return minimum === null ? BigInt(text.replace(/[UL]+$/, '')) : BigInt(minimum[1] as string) - 1n;
}

/** Enumerators as `NAME = value`, however each dumper spells the value. */
function enumerators(header: string): string[] {
  return [...header.matchAll(/^\t+(\w+) = (.+),$/gm)].map(([, name, value]) => `${name} = ${literal(value as string)}`);
}

/** `struct X`, `union X` and `enum X` defined (with a body) at the top level. */
function taggedDefinitions(header: string): Set<string> {
  return new Set([...header.matchAll(/^(struct|union|enum) (\w+) \{/gm)].map(([, kind, name]) => `${kind} ${name}`));
}

/** Every identifier on a top-level `typedef` line. */
function typedefWords(header: string): Set<string> {
  return new Set([...header.matchAll(/^typedef .*$/gm)].flatMap(([line]) => line.match(/\w+/g) ?? []));
}

/** Compiles `program` with `-I dir` (holding a vmlinux.h) the way the guide says; returns the object. */
function compile(dir: string, program: string): Uint8Array {
  const output = join(dir, `${program}.o`);
  execFileSync('clang-19', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-D__TARGET_ARCH_x86',
    '-Wall',
    '-Werror',
    `-I${dir}`,
    `-I/usr/include/${execFileSync('gcc', ['-dumpmachine'], { encoding: 'utf8' }).trim()}`,
    '-c',
    join(vmlinuxHeaderProgramDir, `${program}.bpf.c`),
    '-o',
    output,
  ]);
  return new Uint8Array(readFileSync(output));
}

/**
 * Each type of an object's BTF described without ids: named types by kind and name,
 * anonymous ones spelled out, so two objects whose clang runs numbered types differently
 * compare equal when they declare the same layouts.
 */
function layout(btf: Btf): string[] {
  const ref = (id: number, depth = 0): string => {
    const t = btf.type(id);
    if (t.name !== '' && depth > 0 && t.kind !== 'var' && t.kind !== 'func') return `${t.kind} ${t.name}`;
    switch (t.kind) {
      case 'struct':
      case 'union':
        return `${t.kind} ${t.name} size ${t.size} { ${t.members.map((m) => `${ref(m.type, depth + 1)} ${m.name} @${m.bitOffset}:${m.bitfieldSize}`).join('; ')} }`;
      case 'enum':
      case 'enum64':
        return `${t.kind} ${t.name} size ${t.size} { ${t.values.map((v) => `${v.name}=${v.value}`).join(', ')} }`;
      case 'int':
        return `int ${t.name} size ${t.size} bits ${t.bits} encoding ${t.encoding}`;
      case 'array':
        return `${ref(t.type, depth + 1)}[${t.length}]`;
      case 'func_proto':
        return `${ref(t.returnType, depth + 1)}(${t.params.map((p) => `${ref(p.type, depth + 1)} ${p.name}`).join(', ')})`;
      case 'datasec':
        return `section ${t.name} { ${t.vars.map((v) => `${ref(v.type, depth + 1)} @${v.offset}+${v.size}`).join('; ')} }`;
      case 'void':
        return 'void';
      case 'fwd':
        return `fwd ${t.union ? 'union' : 'struct'} ${t.name}`;
      default:
        return 'type' in t ? `${t.kind} ${t.name} -> ${ref(t.type, depth + 1)}` : `${t.kind} ${t.name}`;
    }
  };
  const all: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) all.push(ref(id));
  return all.sort();
}

describe.skipIf(!haveTools)("formatC's vmlinux.h against bpftool's", { timeout: 120_000 }, () => {
  const vmlinux = readKernelBtf();
  const ours = formatC(vmlinux);
  const theirs = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });

  it('declares every enumerator bpftool declares, top-level anonymous enums included, with the same values', () => {
    const mine = enumerators(ours);
    expect(mine).toContain('BPF_ANY = 0');
    expect(mine).toContain('TASK_COMM_LEN = 16');
    expect(mine.length).toBeGreaterThan(10_000);
    expect(mine.sort()).toEqual(enumerators(theirs).sort());
  });

  it('defines every struct, union, enum and typedef bpftool defines', () => {
    const mine = taggedDefinitions(ours);
    expect([...taggedDefinitions(theirs)].filter((name) => !mine.has(name))).toEqual([]);
    const typedefs = typedefWords(ours);
    const missing = [...vmlinux.types('typedef')].map((t) => t.name).filter((name) => !typedefs.has(name));
    expect(missing.filter((name) => typedefWords(theirs).has(name))).toEqual([]);
  });

  it.each(
    readdirSync(vmlinuxHeaderProgramDir)
      .filter((file) => file.endsWith('.bpf.c'))
      .map((file) => file.replace(/\.bpf\.c$/, '')),
  )('%s compiles against both headers to the same BTF layout', (program) => {
    const mine = join(work, 'bpfkit', program);
    const bpftool = join(work, 'bpftool', program);
    mkdirSync(mine, { recursive: true });
    mkdirSync(bpftool, { recursive: true });
    writeFileSync(join(mine, 'vmlinux.h'), ours);
    writeFileSync(join(bpftool, 'vmlinux.h'), theirs);
    const btfOf = (bytes: Uint8Array) => readObjectBtf(parseElf(bytes))?.btf as Btf;
    const a = layout(btfOf(compile(mine, program)));
    const b = layout(btfOf(compile(bpftool, program)));
    expect(a.length).toBeGreaterThan(20);
    expect(a).toEqual(b);
  });
});

describe('formatC and anonymous enums', () => {
  const intType = { kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: 1 } as const;
  const anonymous = (first: string) =>
    ({ kind: 'enum', name: '', size: 4, signed: false, values: [{ name: first, value: 1 }] }) as const;

  it('prints an anonymous enum no type refers to on its own, and one a member uses inline only', () => {
    const b = new BtfBuilder();
    b.add(intType);
    b.add(anonymous('ALONE'));
    b.add(anonymous('INSIDE'));
    b.add({
      kind: 'struct',
      name: 'holder',
      size: 4,
      bitfieldEncoding: false,
      members: [{ name: 'e', type: 3, bitOffset: 0, bitfieldSize: 0 }],
    });
    const text = formatC(parseBtf(b.encode()));
    expect(text).toContain('enum {\n\tALONE = 1,\n};');
    expect(text).toContain('struct holder {\n\tenum {\n\t\tINSIDE = 1,\n\t} e;\n};');
    expect(text.match(/INSIDE/g)).toHaveLength(1);
  });
});
