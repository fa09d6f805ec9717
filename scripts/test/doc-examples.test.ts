import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** An `@example` code block of a doc comment, where it is and its code without the comment's stars. */
interface DocExample {
  readonly where: string;
  readonly code: string;
}

/** Every `.ts` file under `dir`, generated code left out. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The `@example` blocks of every package's sources. */
function docExamples(): DocExample[] {
  const packages = join(root, 'packages');
  return readdirSync(packages).flatMap((name) =>
    sourceFiles(join(packages, name, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/@example\s*\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)].map((match) => ({
        where: `${relative(root, file)}:${text.slice(0, match.index).split('\n').length}`,
        code: (match[1] as string).replace(/^\s*\* ?/gm, ''),
      }));
    }),
  );
}

/** The exports that must show a whole program in an `@example`: each package's main entry points. */
const entryPoints: Readonly<Record<string, readonly string[]>> = {
  'errors/src/bpfkit-error.ts': ['isBpfkitError'],
  'uapi/src/type-names.ts': ['mapTypeName'],
  'elf/src/file.ts': ['parseElf'],
  'btf/src/spec.ts': ['parseBtf'],
  'maps/src/resolve.ts': ['resolveMaps'],
  'reloc/src/plan.ts': ['planPrograms'],
  'gen/src/generate-skeleton.ts': ['generateSkeleton'],
  'gen/src/generate-types.ts': ['generateTypes'],
  'events/src/ring-buffer.ts': ['openRingBuffer'],
  'events/src/perf-buffer.ts': ['openPerfBuffer'],
  'events/src/user-ring-buffer.ts': ['openUserRingBuffer'],
  'events/src/trace-pipe.ts': ['openTracePipe'],
  'link/src/kprobe.ts': ['attachKprobe'],
  'link/src/uprobe.ts': ['attachUprobe'],
  'link/src/tracepoint.ts': ['attachTracepoint'],
  'link/src/xdp.ts': ['attachXdp'],
  'link/src/tcx.ts': ['attachTcx'],
  'link/src/cgroup.ts': ['attachCgroup'],
  'link/src/usdt.ts': ['attachUsdt'],
  'link/src/tracing.ts': ['attachTracing'],
  'link/src/iter.ts': ['attachIterator'],
  'link/src/link.ts': ['openPinnedLink'],
  'syscall/src/maps.ts': ['createMap'],
  'syscall/src/programs.ts': ['loadProgram'],
  'cli/src/describe-object.ts': ['describeObject'],
};

describe('@example blocks in doc comments', { timeout: 180_000 }, () => {
  const examples = docExamples();
  const work = mkdtempSync(join(tmpdir(), 'bpfkit-doc-examples-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("every package's main entry points show one", () => {
    const missing: string[] = [];
    for (const [file, names] of Object.entries(entryPoints)) {
      const text = readFileSync(join(root, 'packages', file), 'utf8');
      for (const name of names) {
        const at = text.search(new RegExp(`^export (async )?function\\*? ${name}\\b`, 'm'));
        const comment = at < 0 ? '' : text.slice(text.lastIndexOf('/**', at), at);
        if (!comment.includes('@example')) missing.push(`${file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('type-check, where they import what they use (a whole program, as a user writes it)', () => {
    const whole = examples.filter((e) => /^import /m.test(e.code) && !/from '\.\.?\//.test(e.code));
    expect(whole.length).toBeGreaterThanOrEqual(Object.values(entryPoints).flat().length);
    const files = whole.map((example, index) => {
      const file = join(work, `example-${index}.ts`);
      writeFileSync(file, example.code);
      return { file, where: example.where };
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    if (config === undefined) throw new Error('no tsconfig.json');
    const program = ts.createProgram(
      files.map((f) => f.file),
      { ...config.options, noEmit: true, noUnusedLocals: false },
    );
    const problems = files.flatMap(({ file, where }) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(file))
        .map((d) => `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`),
    );
    expect(problems).toEqual([]);
  });
});
