import { existsSync, readdirSync } from 'node:fs';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const project = (name: string, root: string): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name, root, include: ['test/**/*.test.ts'] },
});

/**
 * One vitest project per package (and per example) that has a `test/` folder, plus the fuzz
 * harness's short pass and the repository-wide checks in `scripts/test` (package manifests). Vitest 4 no longer reads a workspace file; the root
 * `vitest.config.ts` imports this list as `test.projects`.
 */
export const projects: TestProjectInlineConfiguration[] = [
  ...['packages', 'examples'].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => existsSync(`${dir}/${name}/test`))
      .map((name) => project(name, `${dir}/${name}`)),
  ),
  project('fuzz', 'fuzz'),
  project('scripts', 'scripts'),
];
