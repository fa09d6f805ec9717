import manifest from '../package.json' with { type: 'json' };

/** The CLI's version, from its package.json (bundled in at build), so a release changes it in one place. */
export const version: string = manifest.version;
