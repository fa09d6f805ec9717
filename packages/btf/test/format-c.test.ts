import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKernelBtf } from '@bpfkit/btf/node';
import { parseElf } from '@bpfkit/elf';
import { allFixtures, readFixture, requireTool } from '@bpfkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { type Btf, formatC, formatCDeclaration, readObjectBtf, resolveType } from '../src/index.js';

const haveClang = requireTool('clang-19', 'clang-19');
const work = mkdtempSync(join(tmpdir(), 'bpfkit-format-c-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Compiles `source` as BPF C next to `header`; returns clang's diagnostics (empty when clean). */
function compile(header: string, source: string): string {
  writeFileSync(join(work, 'vmlinux.h'), header);
  const file = join(work, 'prog.bpf.c');
  writeFileSync(file, source);
  try {
    return execFileSync(
      'clang-19',
      ['-g', '-O2', '-target', 'bpf', '-Werror', '-ferror-limit=0', '-c', file, '-o', `${file}.o`],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
}

/** True when a value of type `id` contains a compiler-builtin va_list, whose layout differs on the BPF target. */
function holdsBuiltinVaList(btf: Btf, id: number, depth = 0): boolean {
  if (depth > 8) return false;
  let t = btf.type(id);
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile') {
    if (t.kind === 'typedef' && t.name === '__builtin_va_list') return true;
    t = btf.type(t.type);
  }
  if (t.kind === 'array') return holdsBuiltinVaList(btf, t.type, depth + 1);
  if (t.kind === 'struct' || t.kind === 'union')
    return t.members.some((m) => holdsBuiltinVaList(btf, m.type, depth + 1));
  return false;
}

/** `_Static_assert`s on the size and member offsets of every uniquely named struct and union. */
function layoutAssertions(btf: Btf): { source: string; count: number } {
  const tagged = new Map<string, number>();
  for (let id = 1; id < btf.typeCount; id++) {
    const kind = btf.kindOf(id);
    if (kind === 'struct' || kind === 'union' || kind === 'enum' || kind === 'enum64' || kind === 'fwd') {
      const name = btf.nameOf(id);
      tagged.set(name, (tagged.get(name) ?? 0) + 1);
    }
  }
  const lines: string[] = [];
  for (const kind of ['struct', 'union'] as const) {
    for (const t of btf.types(kind)) {
      if (t.kind !== kind || t.name === '' || tagged.get(t.name) !== 1 || holdsBuiltinVaList(btf, t.id)) continue;
      lines.push(`_Static_assert(sizeof(${kind} ${t.name}) == ${t.size}, "${t.name}");`);
      for (const m of t.members) {
        if (m.name === '' || m.bitfieldSize !== 0) continue;
        lines.push(
          `_Static_assert(__builtin_offsetof(${kind} ${t.name}, ${m.name}) == ${m.bitOffset / 8}, "${t.name}.${m.name}");`,
        );
      }
    }
  }
  return { source: lines.join('\n'), count: lines.length };
}

describe.skipIf(!haveClang)('formatC output compiles with clang-19', () => {
  const vmlinux = readKernelBtf();
  const header = formatC(vmlinux);

  it("for this machine's whole vmlinux, used by a BPF program, without a warning", () => {
    const diagnostics = compile(header, '#include "vmlinux.h"\nint pid_of(struct task_struct *t) { return t->pid; }\n');
    expect(diagnostics).toBe('');
  });

  it('with every struct and union at the size and member offsets BTF gives', () => {
    const { source, count } = layoutAssertions(vmlinux);
    expect(count).toBeGreaterThan(50_000);
    expect(compile(header, `#include "vmlinux.h"\n${source}\n`)).toBe('');
  });

  it.each(allFixtures().map((f) => [f.label, f] as const))('for fixture %s', (_label, fixture) => {
    const btf = readObjectBtf(parseElf(readFixture(fixture.name, fixture.order)))?.btf;
    if (btf === undefined) throw new Error('no BTF');
    const text = formatC(btf, { guard: '__FIXTURE_H__' });
    expect(compile(text, '#include "vmlinux.h"\n')).toBe('');
  });

  it('for a single type with what it depends on', () => {
    const task = vmlinux.byName('task_struct', 'struct');
    const text = formatC(vmlinux, { roots: [task?.id ?? 0] });
    expect(text).toContain('struct task_struct {');
    expect(text.length).toBeLessThan(header.length / 2);
    expect(compile(text, '#include "vmlinux.h"\nint comm0(struct task_struct *t) { return t->comm[0]; }\n')).toBe('');
  });
});

describe('formatC', () => {
  const object = readObjectBtf(parseElf(readFixture('map_in_map')));
  const btf = object?.btf as Btf;

  it('prints the map definition struct as its source declares it', () => {
    expect(formatC(btf, { roots: [btf.byName('inner_map')?.id ?? 0] })).toContain(
      'struct inner_map {\n\tint (*type)[2];\n\tint (*max_entries)[1];\n\tint *key;\n\tint *value;\n};',
    );
  });

  it('writes declarators for pointers to arrays and functions', () => {
    const type = btf.byName('inner_map', 'struct');
    const member = type?.kind === 'struct' ? type.members[0] : undefined;
    expect(formatCDeclaration(btf, member?.type ?? 0, 'type')).toBe('int (*type)[2]');
    const proto = [...btf.types('func_proto')][0];
    expect(formatCDeclaration(btf, proto?.id ?? 0, 'handle')).toBe('int handle(struct xdp_md *)');
    expect(resolveType(btf, 2).kind).toBe('int');
  });

  it('renames a second type that reuses a name', () => {
    const vmlinux = readKernelBtf();
    const text = formatC(vmlinux);
    const duplicated = vmlinux.allByName('format_state').filter((t) => t.kind !== 'fwd');
    expect(duplicated.length).toBeGreaterThan(1);
    expect(text).toContain('format_state___2');
  });
});
