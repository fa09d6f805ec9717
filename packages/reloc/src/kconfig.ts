import { type Btf, resolveType, sizeOf } from '@bpfkit/btf';
import type { KconfigExtern, MapSpec } from '@bpfkit/maps';
import { RelocError } from './errors.js';
import { kernelVersionCode } from './kernel-version.js';

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

/** What the loader knows about the running kernel, for `.kconfig` externs. */
export interface KernelFacts {
  /** `uname -r`. */
  readonly release: string;
  /** Its `.config` values (see {@link parseKernelConfig}). */
  readonly config: ReadonlyMap<string, string>;
  /** `LINUX_VERSION_CODE` as libbpf computes it ({@link linuxVersionCode}); from `release` when absent. */
  readonly versionCode?: number;
  /** Whether programs may call `bpf_get_attach_cookie` (probed; asked only when an extern needs it). */
  readonly bpfCookie?: () => boolean;
  /** Whether the kernel's syscalls go through `__<arch>_sys_*` wrappers (probed; asked only when needed). */
  readonly syscallWrapper?: () => boolean;
}

/** The `LINUX_*` externs libbpf computes itself; they are never read from the config. */
function virtualValue(name: string, facts: KernelFacts): bigint | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION':
      return BigInt(facts.versionCode ?? kernelVersionCode(facts.release));
    case 'LINUX_HAS_BPF_COOKIE':
      return facts.bpfCookie?.() ? 1n : 0n;
    case 'LINUX_HAS_SYSCALL_WRAPPER':
      return facts.syscallWrapper?.() ? 1n : 0n;
    default:
      return undefined;
  }
}

/**
 * Writes the value of every extern of a `.kconfig` map into its initial data, by libbpf's
 * rules: `bool` takes `y`/`n`, `enum libbpf_tristate` `y`/`n`/`m`, char arrays a quoted
 * string, integers a number; `LINUX_KERNEL_VERSION`, `LINUX_HAS_BPF_COOKIE` and
 * `LINUX_HAS_SYSCALL_WRAPPER` are computed (an integer, char or bool takes them); a weak extern
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
    if (extern.name.startsWith('LINUX_')) {
      const value = virtualValue(extern.name, facts);
      if (value === undefined) {
        if (extern.weak) continue;
        fail(
          'is not one of the LINUX_ values computed for the running kernel (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER); declare it __weak to default to 0',
        );
      }
      writeVirtual(data, extern, btf, value as bigint, littleEndian, fail);
      continue;
    }
    const raw = facts.config.get(extern.name);
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
    const isChar = type.kind === 'int' && !isBool && type.size === 1;
    const isTristate = (type.kind === 'enum' || type.kind === 'enum64') && type.name === 'libbpf_tristate';
    const size = sizeOf(btf, extern.typeId);
    let number: bigint;
    if (value === 'y' || value === 'n' || value === 'm') {
      if (isChar) {
        number = BigInt(value.charCodeAt(0)); // a char extern holds the letter itself
      } else {
        if (!isBool && !isTristate)
          fail(`value '${value}' given for a ${type.kind}; declare it bool, char or enum libbpf_tristate`);
        if (value === 'm' && !isTristate) fail("value 'm' needs enum libbpf_tristate or char, not bool");
        number = value === 'y' ? 1n : value === 'm' ? 2n : 0n;
      }
    } else {
      if (isBool || isTristate) fail(`value '${value}' is not y, n or m`);
      const parsed = parseConfigNumber(value);
      if (parsed === undefined) fail(`value '${value}' is not a number`);
      number = parsed as bigint;
      const signed = type.kind === 'int' && (type.encoding & 1) !== 0;
      if (!fitsConfigValue(number, size, signed)) {
        fail(`value '${value}' is out of range of a ${size}-byte ${signed ? 'signed' : 'unsigned'} integer`);
      }
    }
    writeNumber(data, extern.offset, size, number, littleEndian);
  }
}

/**
 * A config number as libbpf reads it (`strtoull` in base 0): decimal, `0x` hex or `0`
 * octal, with an optional sign (a negative one wraps around 64 bits); `undefined` when the
 * text is not such a number or does not fit in 64 bits.
 */
function parseConfigNumber(text: string): bigint | undefined {
  const match = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (match === null) return undefined;
  const [, sign, hex, octal, decimal] = match;
  const magnitude =
    hex !== undefined ? BigInt(`0x${hex}`) : octal !== undefined ? BigInt(`0o${octal || '0'}`) : BigInt(decimal ?? 0);
  if (magnitude >> 64n !== 0n) return undefined;
  return sign === '-' ? BigInt.asUintN(64, -magnitude) : magnitude;
}

/**
 * libbpf's range check for a 64-bit config value stored in `size` bytes: 8 bytes take
 * anything; a signed integer needs `-2^(bits-1) ≤ value < 2^(bits-1)` (the 64-bit value
 * read as signed), an unsigned one no bits above its size.
 */
function fitsConfigValue(value: bigint, size: number, signed: boolean): boolean {
  if (size >= 8) return true;
  const bits = BigInt(size * 8);
  if (signed) return BigInt.asUintN(64, value + (1n << (bits - 1n))) < 1n << bits;
  return value >> bits === 0n;
}

/** Writes `value` as a `size`-byte integer at `at`. */
function writeNumber(data: Uint8Array, at: number, size: number, value: bigint, littleEndian: boolean): void {
  let bits = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    data[at + (littleEndian ? i : size - 1 - i)] = Number(bits & 0xffn);
    bits >>= 8n;
  }
}

/** A computed value goes into an integer, char or bool (0 or 1 only), as libbpf writes it. */
function writeVirtual(
  data: Uint8Array,
  extern: KconfigExtern,
  btf: Btf,
  value: bigint,
  littleEndian: boolean,
  fail: (problem: string) => never,
): void {
  const type = resolveType(btf, extern.typeId);
  if (type.kind !== 'int') fail(`computed value ${value} needs an integer, char or bool, not a ${type.kind}`);
  const size = sizeOf(btf, extern.typeId);
  if (type.kind === 'int' && (type.encoding & 4) !== 0 && value > 1n) fail(`computed value ${value} is not a bool`);
  if (value >= 1n << BigInt(size * 8)) fail(`computed value ${value} does not fit in ${size} bytes`);
  writeNumber(data, extern.offset, size, value, littleEndian);
}
