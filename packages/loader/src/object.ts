import { type Btf, type BtfExt, type BtfValue, type DatasecFixup, datasecFixup, readObjectBtf } from '@bpfkit/btf';
import { type ElfFile, parseElf, requireBpfObject } from '@bpfkit/elf';
import {
  openPerfBuffer,
  openRingBuffer,
  type PerfBuffer,
  type PerfBufferOptions,
  type RingBuffer,
  recordDecoder,
  type Waiter,
} from '@bpfkit/events';
import { attachStructOps, type Link as BpfLink } from '@bpfkit/link';
import {
  applyKernelDefaults,
  type ConstantValue,
  type CreationPlan,
  DEFAULT_PIN_ROOT,
  type MapSpec,
  objectNameFromPath,
  planCreation,
  resolveMaps,
  setConstant,
  validateMaps,
} from '@bpfkit/maps';
import {
  attachesBySection,
  attachTarget,
  checkExternDeclarations,
  describeCoreFixup,
  fillKconfig,
  hasCoreRelocations,
  hasKsymReferences,
  hasSyscallWrapper,
  type KsymDecision,
  linkPlan,
  type MapReferenceMode,
  type ProgramPlan,
  planPrograms,
  type RelocatedProgram,
  RelocError,
  relocateCore,
  resolveKsyms,
} from '@bpfkit/reloc';
import { kernelFacts, kernelSymbolAddress, kernelSymbolAddressesHidden, kprobesAvailable } from '@bpfkit/reloc/node';
import { attachCookieSupported, isLittleEndianHost, type Mapping, pageSize, possibleCpus } from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import { objectUsdtMaps } from './execute-attach.js';
import { loadObjectBtf } from './execute-btf.js';
import { createMaps } from './execute-maps.js';
import { fillProgramSlots, loadPrograms } from './execute-programs.js';
import { prepareStructOps, structOpsModuleFds, structOpsValues } from './execute-struct-ops.js';
import { BpfMap, type BpfProgram } from './handles.js';
import { runningKernelBtf, runningModuleBtfs } from './kernel-btf.js';
import { type LoadSequence, runInBackground, runInPlace } from './load-driver.js';
import { type LoadLogger, silent } from './log.js';
import { ModuleBtfFds } from './module-btf-fds.js';
import { ResourceScope } from './scope.js';

const { readFileSync } = process.getBuiltinModule('node:fs');
const { basename } = process.getBuiltinModule('node:path');

/** Options for {@link BpfObject.ringBuffer}. */
export interface EventChannelOptions {
  /** Decode each record as this BTF struct, union or typedef (by name) into a plain object. */
  readonly type?: string;
  /** The waiter (epoll) to share; the process's shared one by default. */
  readonly waiter?: Waiter;
}

/** Options for {@link BpfObject.perfBuffer}. */
export interface PerfChannelOptions extends EventChannelOptions {
  /** Data pages per CPU, a power of two; 64 by default. */
  readonly pageCount?: number;
  /** Wake the reader after this many samples, or once this many bytes wait. */
  readonly wakeup?: PerfBufferOptions<unknown>['wakeup'];
}

/** Options for {@link BpfObject.open}. */
export interface OpenOptions {
  /** Receives libbpf-style lines for every step. */
  readonly logger?: LoadLogger;
  /** Values for `const volatile` globals in `.rodata`, set before load (size-checked against BTF). */
  readonly constants?: Readonly<Record<string, ConstantValue>>;
  /** Where maps with `pinning = LIBBPF_PIN_BY_NAME` are pinned and reused from (default `/sys/fs/bpf`). */
  readonly pinRoot?: string;
  /** Inner map prototypes for map-in-maps, by outer map name. */
  readonly innerMaps?: Readonly<Record<string, MapSpec>>;
  /** Object name used for global-data map names; from the file name by default. */
  readonly objectName?: string;
  /** Verifier log level to request for every program (0 by default: logs only on failure). */
  readonly verifierLogLevel?: number;
  /** How programs refer to maps: `fd` in each instruction (default, as libbpf) or `fd-array` indexes. */
  readonly mapReferences?: MapReferenceMode;
  /** BTF to relocate CO-RE against instead of the running kernel's (`/sys/kernel/btf/vmlinux`, cached per process). */
  readonly kernelBtf?: Btf;
  /**
   * Module BTFs (split on `kernelBtf`) that CO-RE searches for types the kernel BTF lacks.
   * By default: the running kernel's modules, unless `kernelBtf` is given (then none).
   */
  readonly moduleBtfs?: readonly Btf[];
  /** `.kconfig` values that replace the running kernel's (`{ CONFIG_HZ: '1000' }`). */
  readonly kconfig?: Readonly<Record<string, string>>;
  /**
   * Use BPF cookies where the kernel has them (default true). `false` acts as on kernels
   * before 5.15, as libbpf does there: `LINUX_HAS_BPF_COOKIE` is 0, and USDT programs find
   * their spec by the probe's address (`__bpf_usdt_ip_to_spec_id`) instead of a cookie.
   */
  readonly bpfCookies?: boolean;
}

/**
 * A BPF object: opened from an ELF file with no kernel call (maps and programs are specs
 * you may adjust), then loaded. The object owns every kernel object it creates; `close()`
 * (or `using`) releases them all.
 */
export class BpfObject {
  /** The parsed ELF. */
  readonly elf: ElfFile;
  /** The object's BTF, if any. */
  readonly btf: Btf | undefined;
  /** Its `.BTF.ext`, if any. */
  readonly ext: BtfExt | undefined;
  /** Map specs, adjustable until {@link load}. */
  readonly maps: MapSpec[];
  /** Program plans, adjustable until {@link load} (`autoload`, `attachTarget`). */
  readonly programs: ProgramPlan[];
  private readonly options: OpenOptions;
  /** The DATASEC fix-up of the object's BTF, made once at open for the maps and again used by the load's BTF. */
  private readonly datasecFixup: DatasecFixup | undefined;
  private readonly log: LoadLogger;
  private state: 'opened' | 'loading' | 'loaded' | 'failed' | 'closed' = 'opened';
  /** Cancels a {@link loadAsync} under way (what {@link close} does to one). */
  private abortLoad: ((reason: unknown) => void) | undefined;
  private loadedMaps = new Map<string, BpfMap>();
  private loadedPrograms = new Map<string, BpfProgram>();
  private readonly scope = new ResourceScope();
  private readonly links: BpfLink[] = [];
  private readonly channels: { close(): void }[] = [];

  private constructor(elf: ElfFile, options: OpenOptions) {
    this.elf = elf;
    this.options = options;
    this.log = options.logger ?? silent;
    const objectBtf = readObjectBtf(elf);
    this.btf = objectBtf?.btf;
    this.ext = objectBtf?.ext;
    // As libbpf at open, before maps: externs another object defines (a link not yet made) are refused.
    checkExternDeclarations(elf, this.btf);
    this.datasecFixup = this.btf === undefined ? undefined : datasecFixup(this.btf, elf);
    this.maps = resolveMaps(elf, this.btf, {
      objectName: options.objectName ?? objectNameFromPath(elf.name ?? 'object'),
      ...(options.innerMaps === undefined ? {} : { innerMaps: options.innerMaps }),
      ...(this.datasecFixup === undefined ? {} : { datasecFixup: this.datasecFixup }),
    });
    for (const [name, value] of Object.entries(options.constants ?? {}))
      setConstant(this.maps, elf, this.btf, name, value);
    this.programs = planPrograms(elf, this.maps, {
      ...(this.ext === undefined ? {} : { ext: this.ext }),
      ...(this.btf === undefined ? {} : { btf: this.btf }),
    });
  }

  /**
   * Opens an object from a path or from bytes. Parses, resolves maps and plans programs
   * (CO-RE relocations are recorded, resolved at load); makes no kernel call and reads no
   * kernel BTF.
   * @throws ElfError, BtfError, MapError or RelocError for bad input, naming where.
   * @example
   * ```ts
   * using obj = BpfObject.open('counter.bpf.o', { constants: { target_pid: process.pid } });
   * obj.load();
   * ```
   */
  static open(pathOrBytes: string | Uint8Array, options: OpenOptions = {}): BpfObject {
    const bytes = typeof pathOrBytes === 'string' ? new Uint8Array(readFileSync(pathOrBytes)) : pathOrBytes;
    return BpfObject.parse(bytes, typeof pathOrBytes === 'string' ? basename(pathOrBytes) : undefined, options);
  }

  /**
   * {@link open} for a server: the file is read with `fs/promises`, so the event loop runs
   * while the disk works. Parsing is the same (no kernel call, no kernel BTF).
   * @throws (as a rejection) the file's read error, or what {@link open} throws.
   * @example
   * ```ts
   * const obj = await BpfObject.openAsync('counter.bpf.o');
   * await obj.loadAsync({ signal: AbortSignal.timeout(10_000) });
   * ```
   */
  static async openAsync(pathOrBytes: string | Uint8Array, options: OpenOptions = {}): Promise<BpfObject> {
    if (typeof pathOrBytes !== 'string') return BpfObject.parse(pathOrBytes, undefined, options);
    // Loaded on first use, as in @bpfkit/elf/node: a first open + load does not load node:fs/promises.
    const { readFile } = process.getBuiltinModule('node:fs/promises');
    return BpfObject.parse(new Uint8Array(await readFile(pathOrBytes)), basename(pathOrBytes), options);
  }

  private static parse(bytes: Uint8Array, fileName: string | undefined, options: OpenOptions): BpfObject {
    const elf = parseElf(bytes, { name: fileName ?? options.objectName ?? 'object' });
    requireBpfObject(elf);
    return new BpfObject(elf, options);
  }

  /** The object's name (the file name it was opened from). */
  get name(): string {
    return this.elf.name ?? 'object';
  }

  /** The map-creation plan for the current specs. */
  get plan(): CreationPlan {
    return planCreation(this.maps);
  }

  /**
   * Loads BTF, creates maps and fills their slots, loads programs, fills prog-array slots.
   * First the map specs take what libbpf decides from the running system (a perf event
   * array without `max_entries` gets one slot per possible CPU, ring buffer sizes are
   * rounded up to a power-of-two number of pages), so after load they show what was created.
   * One attempt: after a failure everything opened is closed and the object cannot load again.
   * @throws {@link LoadError} naming the step, map, slot, program, instruction and source line.
   * @example
   * ```ts
   * try {
   *   obj.load();
   * } catch (error) {
   *   if (LoadError.is(error)) console.error(error.step, error.context.program, error.context.source);
   *   throw error;
   * }
   * ```
   */
  load(): void {
    runInPlace(this.loading());
  }

  /**
   * {@link load} for a Node application: every program load (the verifier's work, which can
   * take seconds for a big program) runs on a libuv pool thread, so the event loop keeps
   * running. The steps, their order, the errors and the clean-up are those of {@link load};
   * the steps between program loads (kernel BTF, maps, CO-RE) still run on the main thread.
   * With the ffi-napi backend the program loads run in place.
   * @param options.signal - Aborting it cancels the load: once the program load under way
   * returns, everything opened is closed and the promise rejects with a {@link LoadError}
   * `cancelled` (its cause is the signal's reason). Already aborted, nothing starts.
   * @throws (as a rejection) what {@link load} throws, or a {@link LoadError} `cancelled`.
   * @example
   * ```ts
   * const obj = await BpfObject.openAsync('xdp.bpf.o');
   * try {
   *   await obj.loadAsync({ signal: AbortSignal.timeout(5_000) });
   * } catch (error) {
   *   if (LoadError.is(error) && error.step === 'cancelled') console.error('gave up after 5 s');
   *   throw error;
   * }
   * ```
   */
  async loadAsync(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    const closing = new AbortController();
    const signal = options.signal === undefined ? closing.signal : AbortSignal.any([options.signal, closing.signal]);
    this.abortLoad = (reason) => closing.abort(reason);
    try {
      await runInBackground(this.loading(), this.name, signal);
    } finally {
      this.abortLoad = undefined;
    }
  }

  /** The load, once for both drivers: it yields each program load (see `load-driver.ts`). */
  private *loading(): LoadSequence<void> {
    if (this.state !== 'opened') {
      throw new LoadError('use', `cannot load: the object is ${this.state}`, { object: this.name });
    }
    this.state = 'loading';
    try {
      applyKernelDefaults(this.maps, { possibleCpus: possibleCpus(), pageSize: pageSize() });
      const [problem] = validateMaps(this.maps, this.name);
      if (problem !== undefined) throw problem;
      this.linkPrograms();
      const moduleFds = new ModuleBtfFds(this.scope, this.name);
      const ksyms = this.resolveExterns(moduleFds);
      // struct_ops types are the running kernel's and its modules', whatever BTF CO-RE was given (as libbpf).
      const structOps = prepareStructOps(
        this.name,
        this.maps,
        this.programs,
        this.btf,
        () => [runningKernelBtf(), ...runningModuleBtfs()],
        this.log,
      );
      const core = this.relocateCore();
      const plan = planCreation(this.maps);
      const { fd: btfFd, fixed: typedBtf } = loadObjectBtf(
        { elf: this.elf, btf: this.btf, datasecFixup: this.datasecFixup },
        this.maps,
        this.scope,
        this.log,
      );
      const arenas = new Map<string, Mapping>();
      const mapFds = createMaps({
        object: this.name,
        maps: this.maps,
        plan,
        btfFd,
        pinRoot: this.options.pinRoot ?? DEFAULT_PIN_ROOT,
        scope: this.scope,
        log: this.log,
        structOpsModuleFds: structOpsModuleFds(structOps, moduleFds),
        arenas,
      });
      const loading = {
        adopt: (link: BpfLink) => this.links.push(link),
        object: this.name,
        programs: this.programs,
        core,
        ksyms,
        maps: this.maps,
        mapFds,
        usdtMaps: objectUsdtMaps(mapFds),
        btfFd,
        scope: this.scope,
        log: this.log,
        verifierLogLevel: this.options.verifierLogLevel ?? 0,
        mapReferences: this.options.mapReferences ?? 'fd',
        fdArrayPrefix: moduleFds.fdArrayPrefix,
        // Attach targets are the running kernel's, whatever BTF CO-RE was given (as libbpf).
        attachSource: () => ({ kernel: runningKernelBtf(), modules: runningModuleBtfs }),
        structOps: structOps.attachments,
        moduleFds,
        bpfCookies: () => this.bpfCookies(),
      };
      const programs = yield* loadPrograms(loading);
      const programSlots = new Map(
        plan.afterPrograms.flatMap((step) =>
          step.kind === 'fill-program-slots' ? [[step.map, step.slots] as const] : [],
        ),
      );
      fillProgramSlots(loading, programs, programSlots);
      btfFd?.close();
      const values = structOpsValues(structOps, programs);
      for (const spec of this.maps) {
        const fd = mapFds.get(spec.name);
        if (fd !== undefined)
          this.loadedMaps.set(spec.name, new BpfMap(spec, fd, typedBtf, values.get(spec.name), arenas.get(spec.name)));
      }
      this.loadedPrograms = programs;
      this.scope.commit();
      this.state = 'loaded';
    } catch (error) {
      this.scope.closeAll();
      if (this.state === 'loading') this.state = 'failed'; // not when closed meanwhile
      this.log(`failed to load object '${this.name}'`);
      if (LoadError.is(error)) throw error;
      // A definition problem found before any kernel call (e.g. a map edited into an invalid state).
      throw new LoadError('open', '', { object: this.name }, { cause: error });
    }
  }

  /**
   * A loaded map by name: the variable name, libbpf's global-data name (`obj.bss`), or a
   * data section name (`.bss`, `.data.custom`).
   * @throws {@link LoadError} before load or for a name the object does not define.
   * @example
   * ```ts
   * const counts = obj.map('counts');
   * counts.update(Uint32Array.of(0), BigUint64Array.of(0n));
   * obj.map('.bss').lookup(Uint32Array.of(0)); // the .bss section's bytes
   * ```
   */
  map(name: string): BpfMap {
    this.requireLoaded();
    const map =
      this.loadedMaps.get(name) ??
      (name.startsWith('.')
        ? [...this.loadedMaps.values()].find((m) => m.spec.section === name && m.spec.source !== 'btf')
        : undefined);
    if (map === undefined) {
      throw new LoadError('use', `no map named '${name}'; maps: ${[...this.loadedMaps.keys()].join(', ')}`, {
        object: this.name,
        map: name,
      });
    }
    return map;
  }

  /**
   * A loaded program by name.
   * @throws {@link LoadError} before load or for a program that was not loaded.
   * @example
   * ```ts
   * const { retval } = obj.program('filter').testRun({ data: new Uint8Array(64) });
   * ```
   */
  program(name: string): BpfProgram {
    this.requireLoaded();
    const program = this.loadedPrograms.get(name);
    if (program === undefined) {
      throw new LoadError(
        'use',
        `no loaded program named '${name}'; programs: ${[...this.loadedPrograms.keys()].join(', ')}`,
        {
          object: this.name,
          program: name,
        },
      );
    }
    return program;
  }

  /**
   * Attaches every loaded program whose section says where (what a libbpf skeleton's
   * `attach()` does): tracepoints, raw tracepoints, kprobes, ksyscalls, uprobes with a
   * binary, BTF-typed tracing programs and iterators. Programs that need something the
   * section cannot say (an interface, a cgroup, a socket, a uprobe's binary) are left for
   * {@link BpfProgram.attach}. Then every struct_ops map is registered, as libbpf's skeleton
   * attach does for `.struct_ops` and `.struct_ops.link` maps (through a struct_ops link where
   * the map was made for one). On a failure the links made so far are closed.
   * @throws {@link @bpfkit/link!LinkError} naming the program or struct_ops map that could not be attached.
   */
  attachAll(): BpfLink[] {
    this.requireLoaded();
    const made: BpfLink[] = [];
    try {
      for (const program of this.loadedPrograms.values()) {
        if (!attachesBySection(attachTarget(program.plan))) continue;
        made.push(program.attach());
      }
      for (const map of this.loadedMaps.values()) {
        if (map.structOpsValue === undefined) continue;
        const link = attachStructOps(map.fd, map.structOpsValue);
        this.links.push(link);
        made.push(link);
      }
      return made;
    } catch (error) {
      for (const link of made.reverse()) {
        link.close();
        this.links.splice(this.links.indexOf(link), 1);
      }
      throw error;
    }
  }

  /**
   * A reader of the ring buffer map `name` (`BPF_MAP_TYPE_RINGBUF`): records as copies
   * (`for await`), zero-copy views (`consume`, `on('data')`), or with `type`, objects decoded
   * through the BTF struct of that name. Closed with the object.
   * @throws an `EventsError` for another map type or a type not in the object's BTF.
   * @example
   * ```ts
   * for await (const event of obj.ringBuffer('events', { type: 'event' })) console.log(event.pid, event.comm);
   * ```
   */
  ringBuffer(name: string, options?: EventChannelOptions & { readonly type?: undefined }): RingBuffer;
  ringBuffer(name: string, options: EventChannelOptions & { readonly type: string }): RingBuffer<BtfValue>;
  ringBuffer(name: string, options?: EventChannelOptions): RingBuffer<Uint8Array | BtfValue>;
  ringBuffer(name: string, options: EventChannelOptions = {}): RingBuffer<Uint8Array | BtfValue> {
    const map = this.map(name);
    return this.track(openRingBuffer(map.fd, this.channelOptions(name, options)));
  }

  /**
   * A reader of the perf event array `name`: a ring of `pageCount` pages (a power of two,
   * 64 by default) per online CPU, samples tagged with their CPU, `lost` per CPU. Closed
   * with the object.
   * @throws an `EventsError` for another map type, a bad page count, or a CPU whose perf
   * event cannot be opened.
   * @example
   * ```ts
   * const perf = obj.perfBuffer('samples', { pageCount: 8 });
   * perf.on('data', (sample) => console.log(sample.cpu, sample.data.length));
   * ```
   */
  perfBuffer(name: string, options?: PerfChannelOptions & { readonly type?: undefined }): PerfBuffer;
  perfBuffer(name: string, options: PerfChannelOptions & { readonly type: string }): PerfBuffer<BtfValue>;
  perfBuffer(name: string, options?: PerfChannelOptions): PerfBuffer<Uint8Array | BtfValue>;
  perfBuffer(name: string, options: PerfChannelOptions = {}): PerfBuffer<Uint8Array | BtfValue> {
    const map = this.map(name);
    return this.track(
      openPerfBuffer(map.fd, {
        ...this.channelOptions(name, options),
        ...(options.pageCount === undefined ? {} : { pageCount: options.pageCount }),
        ...(options.wakeup === undefined ? {} : { wakeup: options.wakeup }),
      }),
    );
  }

  private channelOptions(name: string, options: EventChannelOptions) {
    return {
      name,
      ...(options.waiter === undefined ? {} : { waiter: options.waiter }),
      ...(options.type === undefined ? {} : { decode: recordDecoder(this.btf, options.type, name) }),
    };
  }

  private track<T extends { close(): void }>(channel: T): T {
    this.channels.push(channel);
    return channel;
  }

  /**
   * Closes its event readers, detaches every link it made and closes every map and program
   * fd; idempotent. Pins stay. During a {@link loadAsync}, cancels it: what it opened is
   * closed once the program load under way returns.
   */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'loading') {
      // The load closes what it opened itself, once the call under way returns (it may still use those fds).
      this.abortLoad?.(new LoadError('use', 'the object was closed while loading', { object: this.name }));
      this.state = 'closed';
      return;
    }
    for (const channel of this.channels) channel.close();
    for (const link of this.links.reverse()) link.close();
    for (const map of this.loadedMaps.values()) map.unmapMemory();
    this.scope.closeAll();
    this.state = 'closed';
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Resolves CO-RE for the programs that would load now (`autoload`), against `kernelBtf` or
   * the running kernel's BTF (and module BTFs for types it lacks), as the fix-ups each
   * program's load writes into its instructions: what {@link load} does first. No kernel call, no state change:
   * call it early to find relocation problems, then turn such programs off or fix the object.
   * Links those programs first (see {@link linkPrograms}).
   * @throws {@link LoadError} `relocate-core` naming program, section, instruction and relocation;
   * `load-program` for a program that cannot link.
   */
  relocateCore(): ReadonlyMap<string, RelocatedProgram> {
    this.linkPrograms();
    if (!this.programs.some((p) => p.autoload && hasCoreRelocations(p))) return new Map();
    try {
      const relocated = relocateCore(this.programs, {
        btf: this.btf,
        // With a given kernel BTF, only the module BTFs given with it count, as libbpf does.
        targets: { kernel: this.options.kernelBtf ?? runningKernelBtf(), modules: () => this.moduleBtfs() },
        littleEndian: this.elf.littleEndian,
        object: this.name,
      });
      // Described only for a logger: a line per fix-up is a string built for nothing otherwise.
      if (this.log !== silent) {
        for (const plan of this.programs) {
          for (const fixup of relocated.get(plan.name)?.fixups ?? []) this.log(describeCoreFixup(plan.name, fixup));
        }
      }
      return relocated;
    } catch (error) {
      if (!RelocError.is(error)) throw error;
      const { program } = error.context;
      throw new LoadError(
        'relocate-core',
        '',
        {
          object: this.name,
          ...(program === undefined ? {} : { program }),
          hint: "turn the program's autoload off to load the others",
        },
        { cause: error },
      );
    }
  }

  /**
   * Links each program that would load now (`autoload`): subprograms appended, calls and
   * map references fixed, as libbpf relocates at load only the programs it loads (open
   * links none). What {@link load} and {@link relocateCore} do first; a program already
   * linked (its instructions read) is not linked again.
   * @throws {@link LoadError} `load-program` naming the program, its cause the `RelocError`
   * naming section and instruction of the relocation or call that cannot be applied.
   */
  linkPrograms(): void {
    for (const plan of this.programs) {
      if (!plan.autoload) continue;
      try {
        linkPlan(plan);
      } catch (error) {
        if (!RelocError.is(error)) throw error;
        throw new LoadError(
          'load-program',
          '',
          { object: this.name, program: plan.name, hint: "turn the program's autoload off to load the others" },
          { cause: error },
        );
      }
    }
  }

  /** Module BTFs searched for CO-RE types and `__ksym`s vmlinux lacks: as given, else the running kernel's (none with a given kernel BTF). */
  private moduleBtfs(): readonly Btf[] {
    return this.options.moduleBtfs ?? (this.options.kernelBtf === undefined ? runningModuleBtfs() : []);
  }

  /**
   * Resolves externs: `__ksym` kfuncs and symbols against the running kernel's BTF and
   * kallsyms, then `.kconfig` values (running kernel's config, then the `kconfig` option).
   * As libbpf, every program's externs must resolve, loaded or not: a missing one that is
   * not `__weak` fails the object even when only a program with autoload off uses it.
   * Returns each program's `__ksym` decisions, which its load writes into its instructions.
   */
  private resolveExterns(moduleFds: ModuleBtfFds): Map<string, readonly KsymDecision[]> {
    const ksyms = new Map<string, readonly KsymDecision[]>();
    const failed = (error: unknown, where: { program: string; hint?: string } | { map: string }) =>
      new LoadError('resolve-externs', '', { object: this.name, ...where }, { cause: error });
    for (const plan of this.programs) {
      // A program that does not load and cannot link is left alone, as libbpf links only what it loads.
      if ((!plan.autoload && !links(plan)) || !hasKsymReferences(plan)) continue;
      try {
        const decisions = resolveKsyms(plan, this.btf, {
          btf: this.options.kernelBtf ?? runningKernelBtf(),
          modules: () => this.moduleBtfs(),
          moduleHandle: (module) => moduleFds.handle(module),
          address: kernelSymbolAddress,
          addressesHidden: kernelSymbolAddressesHidden,
        });
        for (const d of decisions) {
          const value = d.resolution === 'address' ? `0x${d.value.toString(16)}` : String(d.value);
          const where = d.module === undefined ? '' : ` in module ${d.module}`;
          this.log(`prog '${plan.name}': ksym '${d.name}' → ${d.resolution} ${value}${where}`);
        }
        ksyms.set(plan.name, decisions);
      } catch (error) {
        const hint =
          'externs resolve for every program, autoload off or not (as libbpf), so turning it off does not help';
        throw failed(error, { program: plan.name, ...(plan.autoload ? {} : { hint }) });
      }
    }
    const kconfig = this.maps.find((m) => m.source === 'kconfig');
    if (kconfig === undefined || this.btf === undefined) return ksyms;
    const facts = kernelFacts();
    // The kernel's config is thousands of entries: copied only when the options replace some.
    const config =
      this.options.kconfig === undefined
        ? facts.config
        : new Map([...facts.config, ...Object.entries(this.options.kconfig)]);
    try {
      fillKconfig(
        kconfig,
        this.btf,
        {
          ...facts,
          config,
          bpfCookie: () => this.bpfCookies(),
          syscallWrapper: () =>
            hasSyscallWrapper(process.arch, runningKernelBtf(), kernelSymbolAddress, kprobesAvailable()),
        },
        isLittleEndianHost,
      );
    } catch (error) {
      throw failed(error, { map: kconfig.name });
    }
    this.log(`map '${kconfig.name}': ${kconfig.externs.length} kconfig externs resolved`);
    return ksyms;
  }

  /** Whether programs get BPF cookies: the kernel has them and the options do not refuse them. */
  private bpfCookies(): boolean {
    return (this.options.bpfCookies ?? true) && attachCookieSupported();
  }

  private requireLoaded(): void {
    if (this.state !== 'loaded')
      throw new LoadError('use', `the object is ${this.state}, not loaded`, { object: this.name });
  }
}

/** Whether `plan` links (linking it now if it was not). */
function links(plan: ProgramPlan): boolean {
  try {
    linkPlan(plan);
    return true;
  } catch (error) {
    if (RelocError.is(error)) return false;
    throw error;
  }
}
