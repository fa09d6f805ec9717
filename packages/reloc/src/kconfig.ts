import { type Btf, resolveType, sizeOf } from '@bpfkit/btf';
import type { MapSpec } from '@bpfkit/maps';
import { RelocError } from './errors.js';

/** Parses a kernel `.config`: `CONFIG_X=value` lines, and `# CONFIG_X is not set` as `n`. */
export function parseKernelConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set !== null) {
      values.set(set[1] as string, set[2] as string);
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset !== null) values.set(unset[1] as string, 'n');
  }
  return values;
}

/** `KERNEL_VERSION(a, b, c)` of a release string such as `6.18.44-fc-v669` (the patch level capped at 255). */
export function kernelVersionCode(release: string): number {
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release) ?? [])
    .slice(1)
    .map((v) => Number(v ?? 0));
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/** What the loader knows about the running kernel, for `.kconfig` externs. */
export interface KernelFacts {
  /** `uname -r`. */
  readonly release: string;
  /** Its `.config` values (see {@link parseKernelConfig}). */
  readonly config: ReadonlyMap<string, string>;
}

/** Values libbpf computes rather than reads from the config. */
function computed(name: string, facts: KernelFacts): string | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION':
      return String(kernelVersionCode(facts.release));
    case 'LINUX_HAS_BPF_COOKIE':
      return kernelVersionCode(facts.release) >= (5 << 16) + (15 << 8) ? '1' : '0';
    case 'LINUX_HAS_SYSCALL_WRAPPER':
      return '1';
    default:
      return undefined;
  }
}

/**
 * Writes the value of every extern of a `.kconfig` map into its initial data, by libbpf's
 * rules: `bool` takes `y`/`n`, `enum libbpf_tristate` `y`/`n`/`m`, char arrays a quoted
 * string, integers a number; `LINUX_KERNEL_VERSION` and friends are computed; a weak extern
 * the config lacks stays 0.
 * @throws {@link RelocError} `unsupported-extern` for a strong extern with no value, or a value of the wrong kind.
 */
export function fillKconfig(map: MapSpec, btf: Btf, facts: KernelFacts, littleEndian: boolean): void {
  const data = map.initialData;
  if (data === undefined) return;
  for (const extern of map.externs) {
    const fail = (problem: string): never => {
      throw new RelocError('unsupported-extern', `extern '${extern.name}': ${problem}`, { symbol: extern.name });
    };
    const raw = computed(extern.name, facts) ?? facts.config.get(extern.name);
    if (raw === undefined) {
      if (extern.weak) continue;
      fail('(strong) not found in the kernel config; declare it __weak to default to 0');
    }
    const value = raw as string;
    const type = resolveType(btf, extern.typeId);
    const at = extern.offset;
    if (type.kind === 'array') {
      const element = resolveType(btf, type.type);
      if (element.kind !== 'int' || element.size !== 1) fail('only char arrays can hold a string');
      if (!/^".*"$/.test(value)) fail(`value ${value} is not a quoted string`);
      const text = value.slice(1, -1);
      for (let i = 0; i < Math.min(text.length, type.length - 1); i++) data[at + i] = text.charCodeAt(i) & 0xff;
      continue;
    }
    const isBool = type.kind === 'int' && (type.encoding & 4) !== 0;
    const isTristate = (type.kind === 'enum' || type.kind === 'enum64') && type.name === 'libbpf_tristate';
    let number: bigint;
    if (value === 'y' || value === 'n' || value === 'm') {
      if (!isBool && !isTristate)
        fail(`value '${value}' given for a ${type.kind}; declare it bool or enum libbpf_tristate`);
      if (value === 'm' && !isTristate) fail("value 'm' needs enum libbpf_tristate, not bool");
      number = value === 'y' ? 1n : value === 'm' ? 2n : 0n;
    } else {
      if (isBool || isTristate) fail(`value '${value}' is not y, n or m`);
      try {
        number = BigInt(value.startsWith('-0x') ? -BigInt(value.slice(1)) : value);
      } catch {
        number = fail(`value '${value}' is not a number`);
      }
    }
    const size = sizeOf(btf, extern.typeId);
    let bits = BigInt.asUintN(size * 8, number);
    for (let i = 0; i < size; i++) {
      data[at + (littleEndian ? i : size - 1 - i)] = Number(bits & 0xffn);
      bits >>= 8n;
    }
  }
}
