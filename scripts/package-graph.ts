/**
 * Which of our packages each package may use: the dependency graph of docs/architecture.md
 * as data. `scripts/test/package-graph.test.ts` checks every package's `package.json`
 * dependencies and every `@bpfkit/*` import of its sources against it. A new package gets a
 * row here; a package that needs another one not in its row changes the architecture, so the
 * row changes with docs/architecture.md.
 */
export const mayUse: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  elf: ['errors'],
  btf: ['errors', 'elf'],
  maps: ['errors', 'elf', 'btf'],
  reloc: ['errors', 'elf', 'btf', 'maps'],
  gen: ['errors', 'elf', 'btf', 'maps', 'reloc'],
  syscall: ['errors'],
  events: ['errors', 'btf', 'syscall'],
  link: ['errors', 'elf', 'btf', 'maps', 'reloc', 'syscall'],
  loader: ['errors', 'elf', 'btf', 'maps', 'reloc', 'syscall', 'events', 'link'],
  cli: ['errors', 'elf', 'btf', 'maps', 'reloc', 'syscall', 'events', 'link', 'loader', 'gen'],
  fixtures: ['btf', 'syscall'],
};

/** The packages that must stay pure (no Node API, no kernel): they run in browsers. */
export const purePackages: readonly string[] = ['errors', 'elf', 'btf', 'maps', 'reloc', 'gen'];
