import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes generated modules to a fresh temporary directory, imports them, and removes the directory. */
export class GeneratedModules {
  readonly dir = mkdtempSync(join(tmpdir(), 'bpfkit-gen-'));

  /** Writes `text` as `name` and imports it (vitest resolves its `@bpfkit/*` imports to the sources). */
  async import(name: string, text: string): Promise<Record<string, unknown>> {
    const file = join(this.dir, name);
    writeFileSync(file, text);
    return (await import(file)) as Record<string, unknown>;
  }

  /** Removes the directory. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
