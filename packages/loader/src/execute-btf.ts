import { type Btf, type DatasecFixup, prepareObjectBtf } from '@bpfkit/btf';
import type { ElfFile } from '@bpfkit/elf';
import type { MapSpec } from '@bpfkit/maps';
import { BpfSyscallError, btfFeatures, type Fd, loadBtf } from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import type { LoadLogger } from './log.js';
import type { ResourceScope } from './scope.js';

/**
 * Loads the object's BTF, prepared by {@link @bpfkit/btf!prepareObjectBtf} with the kconfig
 * map's layout and this kernel's BTF features, and returns its fd (`undefined` when the
 * object has none or the kernel refuses it) and a function returning the prepared BTF,
 * parsed on its first call. BTF is optional for maps and programs, so a refusal is logged with the kernel's
 * reason, as libbpf does, and the load goes on without it, unless the object has
 * struct_ops maps, which need it.
 * @throws {@link LoadError} `load-btf` when the kernel refuses BTF the object cannot do without.
 */
export function loadObjectBtf(
  object: {
    readonly elf: ElfFile;
    readonly btf: Btf | undefined;
    /** The DATASEC fix-up its open made, if any (computed again when not given). */
    readonly datasecFixup: DatasecFixup | undefined;
  },
  maps: readonly MapSpec[],
  scope: ResourceScope,
  log: LoadLogger,
): { fd: Fd | undefined; fixed: () => Btf | undefined } {
  const { elf, btf } = object;
  if (btf === undefined) return { fd: undefined, fixed: () => undefined };
  const kconfig = maps.find((m) => m.source === 'kconfig');
  const {
    parse: fixed,
    sent,
    rewritten,
  } = prepareObjectBtf(btf, elf, {
    features: btfFeatures(),
    ...(object.datasecFixup === undefined ? {} : { datasecFixup: object.datasecFixup }),
    ...(kconfig === undefined ? {} : { kconfig: { placements: kconfig.externs, size: kconfig.valueSize } }),
  });
  if (rewritten > 0) log(`BTF sanitised for this kernel: ${rewritten} types rewritten into kinds it knows`);
  try {
    const fd = scope.own(loadBtf(sent, elf.name ?? 'object'));
    log(`BTF loaded (${sent.length} bytes), fd=${fd.fd}`);
    return { fd, fixed };
  } catch (error) {
    if (!BpfSyscallError.is(error)) throw error;
    const reason = error.log.slice(-3);
    // struct_ops maps cannot exist without the object's BTF (libbpf's mandatory case).
    if (maps.some((m) => m.source === 'struct_ops')) {
      throw new LoadError(
        'load-btf',
        "the kernel refused the object's BTF, which its struct_ops maps need",
        { ...(elf.name === undefined ? {} : { object: elf.name }), errno: error.errnoName },
        { cause: error },
      );
    }
    log(`BTF loading error: ${error.errnoName}`);
    for (const line of reason) log(`  ${line}`);
    log(`Error loading .BTF into kernel: ${error.errnoName}. BTF is optional, ignoring.`);
    return { fd: undefined, fixed };
  }
}
