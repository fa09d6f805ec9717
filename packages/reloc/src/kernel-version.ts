/** `KERNEL_VERSION(a, b, c)`, the patch level capped at 255 as the kernel's macro does. */
function versionCode(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/** `KERNEL_VERSION(a, b, c)` of a release string such as `6.18.44-fc-v669` (missing parts read as 0). */
export function kernelVersionCode(release: string): number {
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release) ?? [])
    .slice(1)
    .map((v) => Number(v ?? 0));
  return versionCode(major, minor, patch);
}

/** What identifies the running kernel's version: `uname -r`, `uname -v`, and Ubuntu's `/proc/version_signature`. */
export interface KernelRelease {
  /** `uname -r`, e.g. `6.18.44-fc-v669`. */
  readonly release: string;
  /** `uname -v`, e.g. `#1 SMP Debian 4.19.260-1 (2022-09-29)`. */
  readonly version?: string;
  /** Ubuntu's `/proc/version_signature`, e.g. `Ubuntu 5.15.0-91.101-generic 5.15.131`. */
  readonly ubuntuSignature?: string;
}

/**
 * `LINUX_VERSION_CODE` of the running kernel as libbpf computes it (for `kern_version` and
 * `LINUX_KERNEL_VERSION`): Ubuntu's version signature, else the version Debian puts in
 * `uname -v` (its `uname -r` says x.y.0), else `major.minor.patch` of the release; 0 when
 * none has three numbers.
 */
export function linuxVersionCode(kernel: KernelRelease): number {
  const ubuntu = /^\S+ \S+ (\d+)\.(\d+)\.(\d+)/.exec(kernel.ubuntuSignature ?? '');
  const debian = /Debian (\d+)\.(\d+)\.(\d+)/.exec(kernel.version ?? '');
  const plain = /^(\d+)\.(\d+)\.(\d+)/.exec(kernel.release);
  const match = ubuntu ?? debian ?? plain;
  return match === null ? 0 : versionCode(Number(match[1]), Number(match[2]), Number(match[3]));
}
