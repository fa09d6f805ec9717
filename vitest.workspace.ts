import { existsSync, readdirSync } from 'node:fs';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One vitest project per package that has a `test/` folder. Vitest 4 no longer reads a
 * workspace file; the root `vitest.config.ts` imports this list as `test.projects`.
 */
export const projects: TestProjectInlineConfiguration[] = readdirSync('packages')
  .filter((name) => existsSync(`packages/${name}/test`))
  .map((name) => ({
    extends: true,
    test: { name, root: `packages/${name}`, include: ['test/**/*.test.ts'] },
  }));
