/** The kernel's limit on map names, without the NUL. */
export const KERNEL_NAME_LENGTH = 15;

/** A user map name as the kernel gets it: characters outside `[A-Za-z0-9_.]` become `_`, cut to 15. */
export function kernelMapName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, KERNEL_NAME_LENGTH);
}

/** libbpf's object name: the file's base name cut at its first `.`, at most 15 characters. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot < 0 ? base : base.slice(0, dot)).slice(0, KERNEL_NAME_LENGTH);
}

/**
 * libbpf's kernel name for a global-data map: a prefix of the object name joined to the
 * section name, 15 characters at most; the prefix leaves the section at least 7.
 * `internalMapName('map_in_map', '.bss')` is `'map_in_m.bss'`,
 * `internalMapName('globals', '.rodata')` is `'globals.rodata'`. A section with a second
 * dot gets no prefix: `internalMapName('globals', '.data.custom')` is `'.data.custom'`.
 */
export function internalMapName(objectName: string, section: string): string {
  const suffixLength = Math.min(Math.max(7, section.length), KERNEL_NAME_LENGTH);
  const secondDot = section.indexOf('.', 1) >= 0;
  const prefixLength = secondDot ? 0 : Math.min(KERNEL_NAME_LENGTH - suffixLength, objectName.length);
  const prefix = objectName.slice(0, prefixLength);
  return kernelMapName(`${prefix}${section}`);
}
