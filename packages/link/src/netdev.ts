import { LinkError, type LinkErrorContext } from './errors.js';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');

/**
 * The index of network interface `device` (a name, or an index given as a number), read
 * from sysfs (`/sys/class/net/<name>/ifindex`) in the caller's network namespace.
 * @throws {@link LinkError} `not-found` for an interface this namespace does not have.
 */
export function interfaceIndex(device: string | number, context: LinkErrorContext): number {
  if (typeof device === 'number') {
    if (Number.isInteger(device) && device > 0) return device;
    throw new LinkError('bad-target', `interface index ${device} is not a positive integer`, context);
  }
  const path = `/sys/class/net/${device}/ifindex`;
  if (device.includes('/') || !existsSync(path)) {
    throw new LinkError('not-found', `no network interface '${device}'`, { ...context, path }, 'ip link lists them');
  }
  return Number(readFileSync(path, 'utf8').trim());
}
