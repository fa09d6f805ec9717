import { LinkError, type LinkErrorContext } from './errors.js';

/** How `usdt.bpf.h` finds an argument (`enum __bpf_usdt_arg_type`). */
export const UsdtArgType = {
  /** The argument is a constant. */
  CONST: 0,
  /** The argument is in a register. */
  REG: 1,
  /** The argument is in memory at a register plus an offset. */
  REG_DEREF: 2,
} as const;

/** One argument of a USDT probe, as `struct __bpf_usdt_arg_spec` holds it. */
export interface UsdtArgSpec {
  /** One of {@link UsdtArgType}. */
  readonly type: number;
  /** The constant (CONST) or the offset added to the register (REG_DEREF). */
  readonly valueOffset: bigint;
  /** Offset of the register in `struct pt_regs` (0 for CONST). */
  readonly registerOffset: number;
  /** The argument is signed (its size was written negative). */
  readonly signed: boolean;
  /** 64 minus the argument's size in bits: how far the 8-byte read is shifted to narrow it. */
  readonly bitshift: number;
}

/** `struct pt_regs` offsets of x86-64 registers, by every name the assembler may give a part of them. */
const x86Registers: ReadonlyMap<string, number> = new Map(
  (
    [
      [['rip', 'eip'], 128],
      [['rax', 'eax', 'ax', 'al'], 80],
      [['rbx', 'ebx', 'bx', 'bl'], 40],
      [['rcx', 'ecx', 'cx', 'cl'], 88],
      [['rdx', 'edx', 'dx', 'dl'], 96],
      [['rsi', 'esi', 'si', 'sil'], 104],
      [['rdi', 'edi', 'di', 'dil'], 112],
      [['rbp', 'ebp', 'bp', 'bpl'], 32],
      [['rsp', 'esp', 'sp', 'spl'], 152],
      [['r8', 'r8d', 'r8w', 'r8b'], 72],
      [['r9', 'r9d', 'r9w', 'r9b'], 64],
      [['r10', 'r10d', 'r10w', 'r10b'], 56],
      [['r11', 'r11d', 'r11w', 'r11b'], 48],
      [['r12', 'r12d', 'r12w', 'r12b'], 24],
      [['r13', 'r13d', 'r13w', 'r13b'], 16],
      [['r14', 'r14d', 'r14w', 'r14b'], 8],
      [['r15', 'r15d', 'r15w', 'r15b'], 0],
    ] as const
  ).flatMap(([names, offset]) => names.map((name) => [name, offset] as const)),
);

/** `struct pt_regs` offsets per architecture (Node's `process.arch` names) that USDT arguments are read from. */
const registersByArch: Readonly<Record<string, ReadonlyMap<string, number>>> = { x64: x86Registers };

/** libbpf's limit (`BPF_USDT_MAX_ARG_CNT`). */
export const USDT_MAX_ARGS = 12;

/**
 * The argument specs of a USDT probe's argument string (`-4@%edi 8@-8(%rbp) -4@$42`), as
 * libbpf reads the x86-64 forms: `size@%reg`, `size@off(%reg)`, `size@$const`. Read by
 * character codes in place: no piece of the string is cut out but a register's name.
 * @throws {@link LinkError} `not-supported` for another architecture or form (index
 * registers), `bad-target` for a malformed spec or more than 12 arguments.
 */
export function parseUsdtArgs(text: string, context: LinkErrorContext, arch: string = process.arch): UsdtArgSpec[] {
  const registers = registersByArch[arch];
  if (registers === undefined) {
    throw new LinkError('not-supported', `USDT arguments on ${arch} are not decoded by bpfkit yet`, context);
  }
  let count = 0;
  for (let at = nextToken(text, 0); at < text.length; at = nextToken(text, tokenEnd(text, at))) count++;
  if (count > USDT_MAX_ARGS) {
    throw new LinkError('bad-target', `${count} USDT arguments, more than ${USDT_MAX_ARGS}`, context);
  }
  const parsed: UsdtArgSpec[] = [];
  for (let at = nextToken(text, 0); at < text.length; ) {
    const end = tokenEnd(text, at);
    parsed.push(parseUsdtArg(text, at, end, registers, context));
    at = nextToken(text, end);
  }
  return parsed;
}

/** True for what `\s` matches (and `String.prototype.trim` removes): Unicode white space and line ends. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Where the next argument spec starts from `at` on (past white space), or the text's length. */
function nextToken(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** Where the argument spec starting at `at` ends (at white space or the end of the text). */
function tokenEnd(text: string, at: number): number {
  while (at < text.length && !isSpace(text.charCodeAt(at))) at++;
  return at;
}

const MINUS = 0x2d;
const AT_SIGN = 0x40;
const DOLLAR = 0x24;
const PERCENT = 0x25;
const OPEN = 0x28;
const CLOSE = 0x29;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const isHexDigit = (code: number) => isDigit(code) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
/** A register name's characters: `[a-z0-9]`. */
const isNameChar = (code: number) => isDigit(code) || (code >= 0x61 && code <= 0x7a);

/**
 * The end of the number (`-?(0x[0-9a-fA-F]+|[0-9]+)`) at `at` in `text[..end)`, or -1 for
 * none: a `0x` without a hex digit after it is the number 0 followed by an `x`.
 */
function numberEnd(text: string, at: number, end: number): number {
  let i = at < end && text.charCodeAt(at) === MINUS ? at + 1 : at;
  if (i + 2 < end && text.charCodeAt(i) === 0x30 && text.charCodeAt(i + 1) === 0x78) {
    if (isHexDigit(text.charCodeAt(i + 2))) {
      i += 3;
      while (i < end && isHexDigit(text.charCodeAt(i))) i++;
      return i;
    }
  }
  if (i >= end || !isDigit(text.charCodeAt(i))) return -1;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** The number {@link numberEnd} found in `text[start..end)` as a u64 (two's complement). */
function u64Of(text: string, start: number, end: number): bigint {
  const negative = text.charCodeAt(start) === MINUS;
  const digits = negative ? start + 1 : start;
  const hex = end - digits > 2 && text.charCodeAt(digits + 1) === 0x78;
  // Up to 13 digits (hex or decimal) stay below 2^53: summed as a number, with one BigInt at the end.
  let value: bigint;
  if (end - digits <= 13) {
    let sum = 0;
    for (let i = hex ? digits + 2 : digits; i < end; i++) {
      const code = text.charCodeAt(i);
      sum = sum * (hex ? 16 : 10) + (code <= 0x39 ? code - 0x30 : (code | 0x20) - 0x57);
    }
    value = BigInt(sum);
  } else {
    value = BigInt(text.slice(digits, end));
  }
  return BigInt.asUintN(64, negative ? -value : value);
}

/** The end of a register name (`[a-z0-9]+`) at `at`, or -1 for none. */
function nameEnd(text: string, at: number, end: number): number {
  let i = at;
  while (i < end && isNameChar(text.charCodeAt(i))) i++;
  return i === at ? -1 : i;
}

/** One argument spec of {@link parseUsdtArgs}: `text[start..end)`, one of the three forms. */
function parseUsdtArg(
  text: string,
  start: number,
  end: number,
  registers: ReadonlyMap<string, number>,
  context: LinkErrorContext,
): UsdtArgSpec {
  const signed = text.charCodeAt(start) === MINUS;
  const at = signed ? start + 1 : start;
  const size = text.charCodeAt(at) - 0x30;
  if (!(size === 1 || size === 2 || size === 4 || size === 8) || text.charCodeAt(at + 1) !== AT_SIGN || at + 2 >= end) {
    throw unparsed(text.slice(start, end), context);
  }
  const bitshift = 64 - size * 8;
  const location = at + 2;
  const form = text.charCodeAt(location);
  if (form === DOLLAR) {
    const numberAt = location + 1;
    if (numberEnd(text, numberAt, end) !== end) throw unparsed(text.slice(start, end), context);
    return { type: UsdtArgType.CONST, valueOffset: u64Of(text, numberAt, end), registerOffset: 0, signed, bitshift };
  }
  if (form === PERCENT) {
    if (nameEnd(text, location + 1, end) !== end) throw unparsed(text.slice(start, end), context);
    const registerOffset = register(text, location + 1, end, start, end, registers, context);
    return { type: UsdtArgType.REG, valueOffset: 0n, registerOffset, signed, bitshift };
  }
  // offset(%reg), the offset optional.
  const offsetEnd = form === OPEN ? location : numberEnd(text, location, end);
  const baseAt = offsetEnd + 2;
  const baseEnd = offsetEnd < 0 ? -1 : nameEnd(text, baseAt, end);
  if (
    baseEnd < 0 ||
    text.charCodeAt(offsetEnd) !== OPEN ||
    text.charCodeAt(offsetEnd + 1) !== PERCENT ||
    baseEnd !== end - 1 ||
    text.charCodeAt(baseEnd) !== CLOSE
  ) {
    throw unparsed(text.slice(start, end), context);
  }
  const registerOffset = register(text, baseAt, baseEnd, start, end, registers, context);
  const valueOffset = offsetEnd === location ? 0n : u64Of(text, location, offsetEnd);
  return { type: UsdtArgType.REG_DEREF, valueOffset, registerOffset, signed, bitshift };
}

/** The `struct pt_regs` offset of the register named `text[at..stop)`, in the spec `text[start..end)`. */
function register(
  text: string,
  at: number,
  stop: number,
  start: number,
  end: number,
  registers: ReadonlyMap<string, number>,
  context: LinkErrorContext,
): number {
  const name = text.slice(at, stop);
  const offset = registers.get(name);
  if (offset === undefined) throw badArg(text.slice(start, end), `unknown register %${name}`, context);
  return offset;
}

/** The error for a spec none of the three forms reads: what it lacks, or the form bpfkit does not decode. */
function unparsed(spec: string, context: LinkErrorContext): LinkError {
  if (!/^-?[1248]@./.test(spec)) return badArg(spec, 'not <size>@<location>', context);
  if (spec.includes(',')) {
    return new LinkError(
      'not-supported',
      `USDT argument '${spec}': index-register addressing is not decoded by bpfkit yet`,
      context,
    );
  }
  return badArg(spec, 'unknown location form', context);
}

/** The error for a malformed argument spec. */
function badArg(spec: string, why: string, context: LinkErrorContext): LinkError {
  return new LinkError('bad-target', `USDT argument '${spec}': ${why}`, context);
}

/** `sizeof(struct __bpf_usdt_arg_spec)`, `sizeof(struct __bpf_usdt_spec)` and its fields' offsets. */
const ARG_SPEC_SIZE = 16;
const SPEC_COOKIE = USDT_MAX_ARGS * ARG_SPEC_SIZE;
const SPEC_ARG_COUNT = SPEC_COOKIE + 8;
/** The value size of `__bpf_usdt_specs`. */
export const USDT_SPEC_SIZE = SPEC_ARG_COUNT + 8;

/** The `struct __bpf_usdt_spec` bytes `usdt.bpf.h` reads: the arguments, the user's cookie, the count. */
export function encodeUsdtSpec(args: readonly UsdtArgSpec[], cookie: bigint, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(USDT_SPEC_SIZE);
  writeUsdtSpec(new DataView(bytes.buffer), 0, args, cookie, littleEndian);
  return bytes;
}

/**
 * @internal {@link encodeUsdtSpec} into `view` from byte `at` on, over {@link USDT_SPEC_SIZE}
 * bytes that are zero (the slots of absent arguments stay so): specs go straight into the
 * buffer of the map write.
 */
export function writeUsdtSpec(
  view: DataView,
  at: number,
  args: readonly UsdtArgSpec[],
  cookie: bigint,
  littleEndian: boolean,
): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as UsdtArgSpec;
    const argAt = at + i * ARG_SPEC_SIZE;
    view.setBigUint64(argAt, arg.valueOffset, littleEndian);
    view.setUint32(argAt + 8, arg.type, littleEndian);
    view.setInt16(argAt + 12, arg.registerOffset, littleEndian);
    view.setUint8(argAt + 14, arg.signed ? 1 : 0);
    view.setUint8(argAt + 15, arg.bitshift);
  }
  view.setBigUint64(at + SPEC_COOKIE, BigInt.asUintN(64, cookie), littleEndian);
  view.setInt16(at + SPEC_ARG_COUNT, args.length, littleEndian);
}
