import { execFileSync } from 'node:child_process';

/**
 * Whether an external tool the test compares against is on PATH. In CI a missing tool is a
 * failure (the CI script installs it); elsewhere the comparison is skipped with a reason.
 */
export function requireTool(command: string, debianPackage: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    const reason = `${command} not found: install Debian's ${debianPackage} (scripts/install-system-deps does)`;
    if (process.env.CI) throw new Error(reason);
    console.warn(`skipping comparison: ${reason}`);
    return false;
  }
}
