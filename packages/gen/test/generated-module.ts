import * as gen from '@bpfkit/gen';
import ts from 'typescript';

/**
 * Runs generated TypeScript as a module (transpiled to CommonJS) and returns its exports;
 * its imports resolve to the modules in `imports` (`@bpfkit/gen` is always there).
 */
export function runGenerated(text: string, imports: Record<string, unknown> = {}): Record<string, unknown> {
  const { outputText } = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const modules: Record<string, unknown> = { '@bpfkit/gen': gen, ...imports };
  const exports: Record<string, unknown> = {};
  const require = (name: string) => {
    if (!(name in modules)) throw new Error(`generated code imports '${name}', which the test did not provide`);
    return modules[name];
  };
  new Function('require', 'exports', outputText)(require, exports);
  return exports;
}

/** The diagnostics of `files` (name → generated text) type-checked with `tsc --strict` and the repository's settings. */
export function typeCheck(files: Record<string, string>, root: string): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [`${root}/node_modules/@types`],
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    baseUrl: root,
    paths: { '@bpfkit/*/node': ['packages/*/src/node.ts'], '@bpfkit/*': ['packages/*/src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  const generated = new Map(Object.entries(files).map(([name, text]) => [`${root}/.generated/${name}`, text]));
  host.readFile = (file) => generated.get(file) ?? read(file);
  host.fileExists = (file) => generated.has(file) || exists(file);
  // Generated modules import each other: their directory exists only in memory.
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (dir) => dir === `${root}/.generated` || (directoryExists?.(dir) ?? true);
  const program = ts.createProgram([...generated.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || generated.has(d.file.fileName))
    .map((d) => {
      const where =
        d.file === undefined
          ? ''
          : `${d.file.fileName.slice(root.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}
