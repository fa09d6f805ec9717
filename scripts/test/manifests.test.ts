import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The parts of a package.json these checks read. */
interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly repository?: { readonly type: string; readonly url: string; readonly directory?: string };
  readonly homepage?: string;
  readonly bugs?: { readonly url: string };
  readonly publishConfig?: { readonly access?: string; readonly provenance?: boolean };
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
  readonly devDependencies?: Record<string, string>;
}

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const rootManifest = JSON.parse(read('package.json')) as Manifest;
const packages = readdirSync(new URL('packages/', root)).map((dir) => ({
  dir,
  manifest: JSON.parse(read(`packages/${dir}/package.json`)) as Manifest,
}));
const published = packages.filter((p) => p.manifest.private !== true);
const versions = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));
const repository = (rootManifest.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
const FFI_NAPI = ['@2060.io/ffi-napi', '@2060.io/ref-napi'];

describe('what npm publishes of each package', () => {
  it('the repository says where it lives, once, at the root', () => {
    expect(repository).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(rootManifest.bugs?.url).toBe(`${repository}/issues`);
  });

  it.each(published.map((p) => [p.manifest.name, p] as const))(
    '%s carries the MIT licence text, its place in the repository, and public provenance',
    (_name, { dir, manifest }) => {
      expect(manifest.license).toBe('MIT');
      expect(read(`packages/${dir}/LICENSE`)).toBe(read('LICENSE'));
      expect(read('LICENSE')).toMatch(/^MIT License\n/);
      expect(manifest.repository).toEqual({
        type: 'git',
        url: rootManifest.repository?.url,
        directory: `packages/${dir}`,
      });
      expect(manifest.homepage).toBe(`${repository}/tree/main/packages/${dir}#readme`);
      expect(manifest.bugs).toEqual({ url: `${repository}/issues` });
      // A scoped package is private on the registry unless published with public access.
      expect(manifest.publishConfig).toEqual({ access: 'public', provenance: true });
    },
  );

  it.each(packages.map((p) => [p.manifest.name, p.manifest] as const))(
    '%s takes its siblings at ^ their version and third-party packages at caret ranges',
    (_name, manifest) => {
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        const sibling = versions.get(dependency);
        if (sibling !== undefined) expect({ dependency, range }).toEqual({ dependency, range: `^${sibling}` });
        else expect({ dependency, range }).toEqual({ dependency, range: expect.stringMatching(/^\^\d+\.\d+\.\d+/) });
      }
    },
  );

  it('ffi-napi is an optional peer of @bpfkit/syscall that users add, and a development dependency here', () => {
    const syscall = packages.find((p) => p.manifest.name === '@bpfkit/syscall')?.manifest;
    for (const name of FFI_NAPI) {
      expect(syscall?.dependencies?.[name]).toBeUndefined();
      expect(syscall?.optionalDependencies?.[name]).toBeUndefined();
      expect(syscall?.peerDependencies?.[name]).toMatch(/^\^/);
      expect(syscall?.peerDependenciesMeta?.[name]).toEqual({ optional: true });
      expect(rootManifest.devDependencies?.[name]).toBe(syscall?.peerDependencies?.[name]);
    }
  });
});

describe('the API docs', () => {
  it("typedoc's not-documented check covers every published package", () => {
    const config = JSON.parse(read('typedoc.json')) as { packagesRequiringDocumentation?: string[] };
    expect([...(config.packagesRequiringDocumentation ?? [])].sort()).toEqual(
      published.map((p) => p.manifest.name).sort(),
    );
  });
});
