import type * as btfLib from '@bpfkit/btf';
import type * as mapsLib from '@bpfkit/maps';
import * as reloc from '@bpfkit/reloc';
import { kernelFacts, kernelSymbolAddress, kernelSymbolAddressesHidden } from '@bpfkit/reloc/node';

/**
 * The externs the running kernel cannot satisfy, resolved as load resolves them: `__ksym`
 * kfuncs and variables against its BTF (modules too) and `/proc/kallsyms`, `__kconfig`
 * values against its config. Each failure is one problem, except for the `refused` externs
 * (already a problem: load refuses them at open). The plans' instructions are
 * written on the way (inspect discards them); module BTFs get placeholder handles, since nothing loads.
 */
export function externProblems(
  plans: readonly reloc.ProgramPlan[],
  maps: readonly mapsLib.MapSpec[],
  objectBtf: btfLib.Btf | undefined,
  littleEndian: boolean,
  kernel: { readonly btf: btfLib.Btf; readonly modules: () => readonly btfLib.Btf[] },
  refused: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  for (const plan of plans) {
    if (!plan.autoload || reloc.ksymReferencesOf(plan.instructions).length === 0) continue;
    try {
      reloc.resolveKsyms(plan, objectBtf, {
        btf: kernel.btf,
        modules: kernel.modules,
        moduleHandle: (module) => ({ fdArrayIndex: kernel.modules().indexOf(module) + 1, fd: -1 }),
        address: kernelSymbolAddress,
        addressesHidden: kernelSymbolAddressesHidden,
      });
    } catch (error) {
      if (reloc.RelocError.is(error) && refused.has(error.context.symbol ?? '')) continue;
      problems.push((error as Error).message);
    }
  }
  const kconfig = maps.find((m) => m.source === 'kconfig');
  if (kconfig !== undefined && objectBtf !== undefined) {
    try {
      reloc.fillKconfig(kconfig, objectBtf, kernelFacts(), littleEndian);
    } catch (error) {
      problems.push(`map '${kconfig.name}': ${(error as Error).message}`);
    }
  }
  return problems;
}
