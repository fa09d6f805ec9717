// A loader built from the stage packages alone, without @bpfkit/loader: what a tool author
// writes to run their own sequence. It loads the map-in-map example (three maps in a
// HASH_OF_MAPS, global data, one XDP program), runs the program once and reads a counter,
// then closes everything it opened. Run: npx tsx examples/custom-loader.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prepareObjectBtf, readObjectBtf } from '@bpfkit/btf';
import { parseElf } from '@bpfkit/elf';
import { applyKernelDefaults, type MapSpec, mapCreateAttributes, planCreation, resolveMaps } from '@bpfkit/maps';
import { encodeFuncInfo, encodeLineInfo, planPrograms, requireKind, writeProgram } from '@bpfkit/reloc';
import {
  btfFeatures,
  createMap,
  type Fd,
  isLittleEndianHost,
  loadBtf,
  loadProgram,
  mapFreeze,
  mapLookup,
  mapUpdate,
  pageSize,
  possibleCpus,
  testRun,
} from '@bpfkit/syscall';

const u32 = (value: number) => new Uint8Array(Uint32Array.of(value).buffer);

// 1. Parse (pure): ELF, BTF, map specs, program plans.
const elf = parseElf(new Uint8Array(readFileSync(fileURLToPath(new URL('map-in-map.bpf.o', import.meta.url)))), {
  name: 'map-in-map.bpf.o',
});
const objectBtf = readObjectBtf(elf);
if (objectBtf === undefined) throw new Error('the example has BTF');
const maps = resolveMaps(elf, objectBtf.btf);
applyKernelDefaults(maps, { possibleCpus: possibleCpus(), pageSize: pageSize() });
const programs = planPrograms(elf, maps, { btf: objectBtf.btf, ...(objectBtf.ext ? { ext: objectBtf.ext } : {}) });

// Everything opened, closed in reverse at the end (or on a failure).
const opened: Fd[] = [];
const own = (fd: Fd) => {
  opened.push(fd);
  return fd;
};
try {
  // 2. BTF, prepared for this kernel (the object has no .kconfig externs to place).
  const btfFd = own(loadBtf(prepareObjectBtf(objectBtf.btf, elf, { features: btfFeatures() }).sent, elf.name));

  // 3. Maps, in the order the creation plan gives.
  const byName = new Map(maps.map((spec) => [spec.name, spec]));
  const fds = new Map<string, Fd>();
  const prototypes = new Map<string, Fd>();
  const create = (spec: MapSpec, innerMapFd?: number) => {
    const { btfVmlinuxValueTypeId: _, ...attributes } = mapCreateAttributes(spec);
    return own(createMap({ ...attributes, btfFd: btfFd.fd, ...(innerMapFd === undefined ? {} : { innerMapFd }) }));
  };
  for (const step of planCreation(maps).maps) {
    const spec = byName.get(step.map) as MapSpec;
    const fd = () => (fds.get(step.map) as Fd).fd;
    if (step.kind === 'create-prototype') prototypes.set(step.map, create(spec.inner as MapSpec));
    else if (step.kind === 'create-map') fds.set(step.map, create(spec, prototypes.get(step.map)?.fd));
    else if (step.kind === 'close-prototype') prototypes.get(step.map)?.close();
    else if (step.kind === 'write-initial-value' && spec.initialData) mapUpdate(fd(), u32(0), spec.initialData, spec);
    else if (step.kind === 'freeze') mapFreeze(fd());
    else if (step.kind === 'fill-slots')
      for (const slot of step.slots) mapUpdate(fd(), u32(slot.index), u32((fds.get(slot.target) as Fd).fd), spec);
  }
  console.log(`maps created: ${[...fds.keys()].join(', ')}`);

  // 4. Programs: the instructions encoded with map fds written in (each instruction names the map
  //    it refers to), then loaded with the func and line info its instructions carry. The object
  //    has no CO-RE relocations or __ksym externs, which would be written in the same step.
  for (const plan of programs) {
    const kind = requireKind(plan, elf.name);
    const patched = writeProgram(plan.instructions, (name) => fds.get(name)?.fd, isLittleEndianHost);
    const funcInfo = encodeFuncInfo(plan.instructions, isLittleEndianHost);
    const lineInfo = encodeLineInfo(plan.instructions, isLittleEndianHost);
    const program = own(
      loadProgram({
        name: plan.name.slice(0, 15),
        type: kind.programType,
        instructions: patched.bytes,
        license: plan.license,
        btfFd: btfFd.fd,
        funcInfo: { records: funcInfo.bytes, recordSize: 8, count: funcInfo.count },
        lineInfo: { records: lineInfo.bytes, recordSize: 16, count: lineInfo.count },
      }).fd,
    );
    console.log(`prog '${plan.name}' loaded (${plan.instructions.length} insns)`);

    // 5. Use: tenant 1 (current_tenant's initial value) is acme; count one 100-byte packet.
    const { retval } = testRun(program.fd, { data: new Uint8Array(100) });
    const acme = fds.get('acme') as Fd;
    const counter = (key: number) =>
      new DataView((mapLookup(acme.fd, u32(key), byName.get('acme') as MapSpec) as Uint8Array).buffer).getBigUint64(
        0,
        isLittleEndianHost,
      );
    console.log(`test run: retval ${retval}, acme: ${counter(0)} packets, ${counter(1)} bytes`);
  }
} finally {
  for (const fd of opened.reverse()) fd.close();
  console.log(`closed ${opened.length} descriptors`);
}
