import { existsSync, readdirSync } from 'node:fs';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One vitest project per package (and per example) that has a `test/` folder. Vitest 4 no
 * longer reads a workspace file; the root `vitest.config.ts` imports this list as `test.projects`.
 */
export const projects: TestProjectInlineConfiguration[] = ['packages', 'examples'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => existsSync(`${dir}/${name}/test`))
    .map((name) => ({
      extends: true,
      test: { name, root: `${dir}/${name}`, include: ['test/**/*.test.ts'] },
    })),
);
