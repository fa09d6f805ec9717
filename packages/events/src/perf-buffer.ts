import {
  EpollEvent,
  type Fd,
  isLittleEndianHost,
  type MapLayout,
  type Mapping,
  mapDelete,
  mapFdMemory,
  mapInfo,
  mapUpdate,
  openPerfEvent,
  PERF_COUNT_SW_BPF_OUTPUT,
  PERF_SAMPLE_RAW,
  PerfIoctl,
  PerfType,
  pageSize,
  perfIoctl,
} from '@bpfkit/syscall';
import { CopyArena } from './copy-arena.js';
import { EventsError, kernelStep } from './errors.js';
import { onlineCpus } from './online-cpus.js';
import { ownDuplicate } from './own-fd.js';
import { EventReader } from './reader.js';
import { NO_RECORD } from './record-iterator.js';
import { RecordView } from './record-view.js';
import { RingPosition } from './ring-layout.js';
import { sharedWaiter, type Waiter, type Watch } from './waiter.js';

/** Samples the iterator takes from the rings at once (copied out, then yielded one by one). */
const TAKE_LIMIT = 64;

/**
 * Bytes of a ring one call of `readRun` reads at most: a drain calls it again and again
 * rather than reading a whole ring in one loop. V8 compiles a function well only once it has
 * seen all of it run; a first drain of a full ring (4095 samples in one loop) was compiled
 * on the stack before the code after its loop had ever run, and later drains kept entering
 * that code (or leaving it at once) for hundreds of drains.
 */
const RUN_BYTES = 8192;

/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY`. */
export const MAP_TYPE_PERF_EVENT_ARRAY = 4;

/** A perf event array's element layout: CPU-number keys, perf event fds as values. */
const PERF_EVENT_ARRAY_LAYOUT: MapLayout = { type: MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4 };

/** `PERF_RECORD_LOST`: the kernel dropped samples for want of room. */
const PERF_RECORD_LOST = 2;
/** `PERF_RECORD_SAMPLE`: one sample, here `u32 size` and the raw bytes a program output. */
const PERF_RECORD_SAMPLE = 9;
/** Offsets in `struct perf_event_mmap_page` of `data_head`, `data_tail`, `data_offset`, `data_size`. */
const DATA_HEAD = 1024;
const DATA_TAIL = 1032;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;
/** Index of the low and high 32-bit halves of a u64 among host-order words. */
const LOW_WORD = isLittleEndianHost ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/** Options for {@link openPerfBuffer}. */
export interface PerfBufferOptions<Item> {
  /** The map's name, for errors. */
  readonly name?: string;
  /** Data pages per CPU, a power of two (the kernel's rule); 64 by default. */
  readonly pageCount?: number;
  /**
   * When the kernel wakes the reader: after this many samples (`wakeup_events`, 1 by
   * default), or once this many bytes wait (watermark).
   */
  readonly wakeup?:
    | {
        /** Wake the reader after this many samples. */
        readonly events: number;
      }
    | {
        /** Wake the reader once this many bytes wait. */
        readonly bytes: number;
      };
  /** The waiter to share with other channels; the process's shared one by default. */
  readonly waiter?: Waiter;
  /** Turns a sample's bytes (a view, valid during the call) into the item yielded; a copy by default. */
  readonly decode?: (view: Uint8Array) => Item;
}

/** One sample as the iterator yields it, or as `consume` passes it (then `data` is a {@link RecordView}). */
export interface PerfSample<Data = Uint8Array> {
  /** The CPU whose ring it came from. */
  readonly cpu: number;
  /**
   * The raw bytes the program output, padded by the kernel with zeros so that the sample's
   * `u32` size and data end on 8 bytes (as libbpf passes them).
   */
  readonly data: Data;
}

/** The sample `consume` and `'data'` listeners get: one object, moved from sample to sample. */
interface MovingSample {
  cpu: number;
  readonly data: RecordView;
}

/** One CPU's perf event and its mapped ring. */
interface CpuRing {
  readonly cpu: number;
  readonly fd: Fd;
  readonly mapping: Mapping;
  readonly data: Uint8Array;
  readonly dataView: DataView;
  readonly words: Uint32Array;
  readonly mask: number;
  readonly head: RingPosition;
  readonly tailPos: RingPosition;
  tail: number;
  watch: Watch | undefined;
}

/**
 * A reader of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one `PERF_COUNT_SW_BPF_OUTPUT` event per
 * online CPU with `PERF_SAMPLE_RAW` samples, each mapped (1 + pageCount pages) and stored
 * in the map at its CPU's index. Samples are read from `data_tail` up to `data_head`;
 * one split across the end of the ring is copied whole; `PERF_RECORD_LOST` records add to
 * {@link lost}. `data_tail` is written back after each batch. The kernel wakes the reader
 * after `wakeup` samples or bytes.
 */
export class PerfBuffer<Item = Uint8Array> extends EventReader<PerfSample<Item>, PerfSample<RecordView>> {
  private readonly mapFd: Fd;
  private readonly rings: CpuRing[];
  private readonly lostCounts: number[];
  private readonly decode: ((view: Uint8Array) => Item) | undefined;
  private readonly sample: MovingSample;
  private readonly arena = new CopyArena();
  /** Where a record split across the end of a ring is copied whole, to be read. */
  private scratch = new Uint8Array(256);
  private scratchView = new DataView(this.scratch.buffer);
  private scratchWords = new Uint32Array(this.scratch.buffer);
  private next = 0;
  /** Samples the last take copied out, and how many of them the iterator has yielded. */
  private readonly taken: PerfSample<Item>[] = [];
  private takenNext = 0;
  /** Bytes of the ring the current read has done, and the samples it counted (see {@link readRun}). */
  private runDone = 0;
  private runCount = 0;

  /** @internal Use {@link openPerfBuffer}. */
  constructor(
    mapFd: Fd,
    rings: CpuRing[],
    slots: number,
    waiter: Waiter,
    decode: ((view: Uint8Array) => Item) | undefined,
  ) {
    super();
    this.mapFd = mapFd;
    this.rings = rings;
    this.lostCounts = new Array<number>(slots).fill(0);
    this.decode = decode;
    this.sample = { cpu: 0, data: new RecordView(rings[0]?.data ?? this.scratch) };
    for (const ring of rings) {
      ring.watch = waiter.watch(
        ring.fd.fd,
        EpollEvent.IN,
        () => this.woken(),
        () => ring.head.load() > ring.tail,
      );
    }
  }

  /** Samples the kernel dropped for want of room, per CPU (index = CPU), as reported so far. */
  get lost(): readonly number[] {
    return this.lostCounts;
  }

  /** The CPUs read (the online ones the map has a slot for). */
  get cpus(): readonly number[] {
    return this.rings.map((ring) => ring.cpu);
  }

  protected hasData(): boolean {
    for (const ring of this.rings) if (ring.head.load() > ring.tail) return true;
    return false;
  }

  protected nextRecord(): PerfSample<Item> | typeof NO_RECORD {
    const taken = this.taken;
    if (this.takenNext === taken.length) {
      taken.length = 0;
      this.takenNext = 0;
      this.take(taken, TAKE_LIMIT);
      if (taken.length === 0) return NO_RECORD;
    }
    return taken[this.takenNext++] as PerfSample<Item>;
  }

  /** Appends up to `limit` waiting samples to `items`, as items the caller may keep. */
  private take(items: PerfSample<Item>[], limit: number): void {
    const rings = this.rings;
    // Start from the next CPU each time, so that one busy CPU does not starve the others.
    for (let i = 0; i < rings.length && items.length < limit; i++) {
      const ring = rings[(this.next + i) % rings.length] as CpuRing;
      this.read(ring, ({ cpu, data }) => items.push({ cpu, data: this.item(data) }), limit - items.length);
    }
    this.next = (this.next + 1) % Math.max(rings.length, 1);
  }

  protected consumeViews(callback: (view: PerfSample<RecordView>) => void, limit: number): number {
    const rings = this.rings;
    let count = 0;
    for (let i = 0; i < rings.length && count < limit; i++) {
      count += this.read(rings[i] as CpuRing, callback, limit - count);
    }
    return count;
  }

  /** What the iterator yields for a sample: the decoder's item, or a copy in the arena. */
  private item(data: RecordView): Item {
    if (this.decode !== undefined) return this.decode(data.bytes());
    const at = this.arena.copy(data.buffer, data.offset, data.offset + data.length);
    return new Uint8Array(this.arena.buffer, at, data.length) as Item;
  }

  /**
   * Reads up to `limit` samples of one CPU's ring, then writes `data_tail` back once. Nothing
   * here allocates: a sample split across the end of the ring is copied word by word into
   * the scratch buffer, and a `PERF_RECORD_LOST` count is read as two 32-bit halves.
   */
  private read(ring: CpuRing, callback: (view: PerfSample<RecordView>) => void, limit: number): number {
    const start = ring.tail;
    // data_head is stored after the records below it are written: once it is loaded (an
    // acquire), they are whole.
    const waiting = ring.head.load() - start;
    if (waiting <= 0) return 0;
    // Small integers from here on (the kernel never has more than the ring waiting, as the
    // mapping is writable); positions are u64, held as doubles.
    const available = Math.min(waiting, ring.data.length, 0x40000000) | 0;
    // -1 for no limit (a count never reaches it), as in the ring buffer's loop.
    const most = limit >= 0x40000000 ? -1 : Math.max(Math.ceil(limit), 0) | 0;
    const sample = this.sample;
    sample.cpu = ring.cpu;
    sample.data.rebase(ring.data, ring.dataView, ring.words);
    const base = start & ring.mask;
    this.runDone = 0;
    this.runCount = 0;
    try {
      while (this.runDone < available && this.runCount !== most) {
        if (!this.readRun(ring, callback, base, Math.min(this.runDone + RUN_BYTES, available), most)) break;
      }
    } finally {
      const done = this.runDone;
      if (done !== 0) {
        ring.tailPos.store(start + done, start);
        ring.tail = start + done;
      }
    }
    return this.runCount;
  }

  /**
   * Reads the records from {@link runDone} bytes past `base` while fewer than `to` bytes are
   * done and fewer than `most` samples counted (-1: no limit), and leaves both counts in
   * {@link runDone} and {@link runCount}, also when the callback throws (its record counts as
   * read). False when it stopped at a record the kernel never wrote.
   */
  private readRun(
    ring: CpuRing,
    callback: (view: PerfSample<RecordView>) => void,
    base: number,
    to: number,
    most: number,
  ): boolean {
    const words = ring.words;
    const end = ring.data.length | 0;
    // As int32 once here, rather than checked on each use in the loop.
    const mask = ring.mask | 0;
    const first = base | 0;
    const stop = to | 0;
    const limit = most | 0;
    const sample = this.sample;
    const view = sample.data;
    // As the ring buffer's loop: small-integer offsets from `base` (positions are u64, held
    // as doubles), an int32 count and limit, sums kept in int32 (`| 0`: no overflow checks),
    // and the record types as literals keep the per-sample path in int32 registers.
    const sizeShift = isLittleEndianHost ? 16 : 0;
    let done = this.runDone;
    let count = this.runCount;
    try {
      while (done < stop && count !== limit) {
        const offset = (first + done) & mask;
        const index = offset >>> 2;
        // struct perf_event_header: u32 type, u16 misc, u16 size (host order, as the words are).
        const size = ((words[index + 1] as number) >>> sizeShift) & 0xffff;
        if (size < 8) return false; // never written by the kernel: stop rather than spin
        const type = words[index] as number;
        done = (done + size) | 0;
        if (((offset + size) | 0) > end) {
          // Split across the end of the ring: read a copy of both parts.
          count = (count + this.readSplit(ring, index, size, callback)) | 0;
          continue;
        }
        if (type === 9) {
          // PERF_RECORD_SAMPLE (a literal, as ring-layout.ts explains).
          count = (count + 1) | 0;
          // u32 size of the raw data (taken as int32 here: a negative one is too big), then
          // the data; never past the record's end.
          const raw = (words[index + 2] as number) | 0;
          const room = (size - 12) | 0;
          view.offset = (offset + 12) | 0;
          view.length = raw >= 0 && raw < room ? raw : room;
          callback(sample);
        } else if (type === 2) {
          // PERF_RECORD_LOST
          this.addLost(ring.cpu, words, index);
        }
      }
      return true;
    } finally {
      this.runDone = done;
      this.runCount = count;
    }
  }

  /**
   * Copies the `size`-byte record at word `index`, split across the end of the ring, into
   * the scratch buffer and reads it there; returns 1 for a sample, 0 for any other record.
   */
  private readSplit(
    ring: CpuRing,
    index: number,
    size: number,
    callback: (view: PerfSample<RecordView>) => void,
  ): number {
    const wordCount = (size + 3) >>> 2;
    if (this.scratchWords.length < wordCount) {
      this.scratch = new Uint8Array(wordCount * 4);
      this.scratchView = new DataView(this.scratch.buffer);
      this.scratchWords = new Uint32Array(this.scratch.buffer);
    }
    // Records and the ring are 8-byte aligned: whole words wrap together.
    const { words } = ring;
    const scratchWords = this.scratchWords;
    const wordMask = ring.mask >>> 2;
    for (let i = 0; i < wordCount; i++) scratchWords[i] = words[(index + i) & wordMask] as number;
    const type = scratchWords[0];
    if (type === PERF_RECORD_LOST) this.addLost(ring.cpu, scratchWords, 0);
    if (type !== PERF_RECORD_SAMPLE) return 0;
    const view = this.sample.data;
    view.rebase(this.scratch, this.scratchView, this.scratchWords);
    view.offset = 12;
    view.length = Math.min(scratchWords[2] as number, size - 12);
    try {
      callback(this.sample);
    } finally {
      view.rebase(ring.data, ring.dataView, ring.words);
    }
    return 1;
  }

  /** Adds the count of the `PERF_RECORD_LOST` record (header, u64 id, u64 lost) at word `index`. */
  private addLost(cpu: number, words: Uint32Array, index: number): void {
    const low = words[index + 4 + LOW_WORD] as number;
    const high = words[index + 4 + HIGH_WORD] as number;
    this.lostCounts[cpu] = (this.lostCounts[cpu] ?? 0) + high * 0x100000000 + low;
  }

  protected watches(): Iterable<Watch> {
    return this.rings.flatMap((ring) => (ring.watch === undefined ? [] : [ring.watch]));
  }

  protected release(): void {
    for (const ring of this.rings) closeRing(this.mapFd.fd, ring);
    this.mapFd.close();
  }
}

function closeRing(mapFd: number, ring: CpuRing): void {
  ring.watch?.remove();
  try {
    mapDelete(mapFd, u32(ring.cpu), PERF_EVENT_ARRAY_LAYOUT);
  } catch {
    // Already replaced or removed: nothing of ours is left in the slot.
  }
  ring.mapping.unmap();
  ring.fd.close();
}

function u32(value: number): Uint8Array {
  return new Uint8Array(new Uint32Array([value]).buffer);
}

/** Opens, maps and enables the BPF output event of one CPU, and puts it in the map's slot. */
function openRing(
  mapFd: number,
  cpu: number,
  pageCount: number,
  options: PerfBufferOptions<unknown>,
  map: string,
): CpuRing {
  const context = { map, cpu };
  const fd = kernelStep('open the BPF output perf event', context, () =>
    openPerfEvent(
      {
        type: PerfType.SOFTWARE,
        config: PERF_COUNT_SW_BPF_OUTPUT,
        sampleType: PERF_SAMPLE_RAW,
        samplePeriod: 1n,
        wakeup: options.wakeup ?? { events: 1 },
        pid: -1,
        cpu,
      },
      `perf buffer '${map}' cpu ${cpu}`,
    ),
  );
  let mapping: Mapping | undefined;
  try {
    const page = pageSize();
    const mapped = kernelStep('map the perf ring', context, () =>
      mapFdMemory(fd.fd, (1 + pageCount) * page, { writable: true }, { map }),
    );
    mapping = mapped;
    const meta = new DataView(mapped.bytes.buffer, mapped.bytes.byteOffset, page);
    const offset = Number(meta.getBigUint64(DATA_OFFSET, isLittleEndianHost)) || page;
    const size = Number(meta.getBigUint64(DATA_SIZE, isLittleEndianHost)) || pageCount * page;
    const data = new Uint8Array(mapped.bytes.buffer, mapped.bytes.byteOffset + offset, size);
    kernelStep('enable the perf event', context, () => perfIoctl(fd.fd, PerfIoctl.ENABLE));
    kernelStep('store the perf event fd in the map', context, () =>
      mapUpdate(mapFd, u32(cpu), u32(fd.fd), PERF_EVENT_ARRAY_LAYOUT),
    );
    const tailPos = new RingPosition(mapped.bytes.subarray(DATA_TAIL), size);
    return {
      cpu,
      fd,
      mapping: mapped,
      data,
      dataView: new DataView(data.buffer, data.byteOffset, size),
      words: new Uint32Array(data.buffer, data.byteOffset, size / 4),
      mask: size - 1,
      head: new RingPosition(mapped.bytes.subarray(DATA_HEAD), size),
      tailPos,
      tail: tailPos.load(),
      watch: undefined,
    };
  } catch (error) {
    mapping?.unmap();
    fd.close();
    throw error;
  }
}

/**
 * Opens a reader of the perf event array `mapFd`: a ring per online CPU with a slot in the
 * map. The reader keeps its own duplicate of `mapFd`; closing it empties the slots it filled.
 * @throws {@link EventsError} `wrong-map-type`, `bad-size` (page count not a power of two),
 * or `kernel` naming the CPU whose event could not be opened, mapped or stored.
 * @example
 * ```ts
 * import { openPerfBuffer } from '@bpfkit/events';
 * import { BpfObject } from '@bpfkit/loader';
 *
 * using obj = BpfObject.open('tool.bpf.o');
 * obj.load();
 * using samples = openPerfBuffer(obj.map('samples').fd, { pageCount: 8 });
 * samples.on('data', (sample) => console.log(sample.cpu, sample.data.length));
 * ```
 */
export function openPerfBuffer<Item = Uint8Array>(
  mapFd: number,
  options: PerfBufferOptions<Item> = {},
): PerfBuffer<Item> {
  const pageCount = options.pageCount ?? 64;
  const fd = ownDuplicate(mapFd, options.name);
  const rings: CpuRing[] = [];
  try {
    const info = mapInfo(fd.fd);
    const map = options.name ?? info.name;
    if (info.type !== MAP_TYPE_PERF_EVENT_ARRAY) {
      throw new EventsError(
        'wrong-map-type',
        `a perf buffer needs a BPF_MAP_TYPE_PERF_EVENT_ARRAY, not map type ${info.type}`,
        { map },
        info.type === 27 ? 'this is a ring buffer: read it with a ring buffer reader' : undefined,
      );
    }
    if (!Number.isInteger(pageCount) || pageCount < 1 || (pageCount & (pageCount - 1)) !== 0) {
      throw new EventsError('bad-size', `${pageCount} data pages per CPU: the kernel needs a power of two`, {
        map,
        size: pageCount,
      });
    }
    for (const cpu of onlineCpus()) {
      if (cpu >= info.maxEntries) break;
      rings.push(openRing(fd.fd, cpu, pageCount, options, map));
    }
    return new PerfBuffer<Item>(fd, rings, info.maxEntries, options.waiter ?? sharedWaiter(), options.decode);
  } catch (error) {
    for (const ring of rings) closeRing(fd.fd, ring);
    fd.close();
    throw error;
  }
}
