/**
 * Which of our packages each package may use: the dependency graph of docs/architecture.md
 * as data. `scripts/test/package-graph.test.ts` checks every package's `package.json`
 * dependencies and every `@bpfkit/*` import of its sources against it. A new package gets a
 * row here; a package that needs another one not in its row changes the architecture, so the
 * row changes with docs/architecture.md.
 */
export const mayUse: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  uapi: [],
  elf: ['errors', 'uapi'],
  btf: ['errors', 'uapi', 'elf'],
  maps: ['errors', 'uapi', 'elf', 'btf'],
  reloc: ['errors', 'uapi', 'elf', 'btf', 'maps'],
  gen: ['errors', 'uapi', 'elf', 'btf', 'maps', 'reloc'],
  syscall: ['errors', 'uapi'],
  events: ['errors', 'uapi', 'btf', 'syscall'],
  link: ['errors', 'uapi', 'elf', 'btf', 'maps', 'reloc', 'syscall'],
  loader: ['errors', 'uapi', 'elf', 'btf', 'maps', 'reloc', 'syscall', 'events', 'link'],
  cli: ['errors', 'uapi', 'elf', 'btf', 'maps', 'reloc', 'syscall', 'events', 'link', 'loader', 'gen'],
  fixtures: ['uapi', 'btf', 'syscall'],
};

/** The packages that must stay pure (no Node API, no kernel): they run in browsers. */
export const purePackages: readonly string[] = ['errors', 'uapi', 'elf', 'btf', 'maps', 'reloc', 'gen'];
