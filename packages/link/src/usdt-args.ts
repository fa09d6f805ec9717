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
 * libbpf reads the x86-64 forms: `size@%reg`, `size@off(%reg)`, `size@$const`.
 * @throws {@link LinkError} `not-supported` for another architecture or form (index
 * registers), `bad-target` for a malformed spec or more than 12 arguments.
 */
export function parseUsdtArgs(text: string, context: LinkErrorContext, arch: string = process.arch): UsdtArgSpec[] {
  const registers = registersByArch[arch];
  if (registers === undefined) {
    throw new LinkError('not-supported', `USDT arguments on ${arch} are not decoded by bpfkit yet`, context);
  }
  const trimmed = text.trim();
  const specs = trimmed === '' ? [] : trimmed.split(/\s+/);
  if (specs.length > USDT_MAX_ARGS) {
    throw new LinkError('bad-target', `${specs.length} USDT arguments, more than ${USDT_MAX_ARGS}`, context);
  }
  const parsed: UsdtArgSpec[] = [];
  for (const spec of specs) parsed.push(parseUsdtArg(spec, registers, context));
  return parsed;
}

/** `size@location` with the location's three forms: `$const`, `%reg`, `offset(%reg)`, matched at once. */
const ARG_FORMS =
  /^(-?)([1248])@(?:\$(-?(?:0x[0-9a-fA-F]+|\d+))|%([a-z0-9]+)|(-?(?:0x[0-9a-fA-F]+|\d+))?\(%([a-z0-9]+)\))$/;

/** A decimal or `0x` number, maybe negative, as a u64 (two's complement). */
function u64Of(text: string): bigint {
  return BigInt.asUintN(64, text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text));
}

/** One argument spec of {@link parseUsdtArgs}, through one regular expression for every form. */
function parseUsdtArg(spec: string, registers: ReadonlyMap<string, number>, context: LinkErrorContext): UsdtArgSpec {
  const match = ARG_FORMS.exec(spec);
  if (match === null) {
    if (!/^-?[1248]@./.test(spec)) throw badArg(spec, 'not <size>@<location>', context);
    if (spec.includes(',')) {
      throw new LinkError(
        'not-supported',
        `USDT argument '${spec}': index-register addressing is not decoded by bpfkit yet`,
        context,
      );
    }
    throw badArg(spec, 'unknown location form', context);
  }
  // Groups by index: destructuring the match would walk it through an iterator per argument.
  const constant = match[3];
  const register = match[4];
  const offset = match[5];
  const base = match[6];
  const signed = match[1] === '-';
  const bitshift = 64 - Number(match[2]) * 8;
  if (constant !== undefined) {
    return { type: UsdtArgType.CONST, valueOffset: u64Of(constant), registerOffset: 0, signed, bitshift };
  }
  const name = (register ?? base) as string;
  const registerOffset = registers.get(name);
  if (registerOffset === undefined) throw badArg(spec, `unknown register %${name}`, context);
  if (register !== undefined) return { type: UsdtArgType.REG, valueOffset: 0n, registerOffset, signed, bitshift };
  return {
    type: UsdtArgType.REG_DEREF,
    valueOffset: offset === undefined ? 0n : u64Of(offset),
    registerOffset,
    signed,
    bitshift,
  };
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
