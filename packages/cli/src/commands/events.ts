import { BpfObject } from '@bpfkit/loader';
import * as uapi from '@bpfkit/uapi';
import { hexBytes, toJsonLine } from '../output.js';
import { attachAndSay, interruptSignal, untilAborted } from '../streaming.js';
import { UsageError } from '../values.js';

/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY` and `BPF_MAP_TYPE_RINGBUF`. */
const PERF_EVENT_ARRAY = 4;
const RINGBUF = 27;

/** A record as printed: decoded fields as `name=value`, raw bytes as hex. */
function formatRecord(value: unknown): string {
  if (value instanceof Uint8Array) return hexBytes(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value)
      .map(([name, field]) => `${name}=${typeof field === 'string' ? JSON.stringify(field) : toJsonLine(field)}`)
      .join(' ');
  }
  return toJsonLine(value);
}

/**
 * `bpfkit events OBJ MAP [--type T] [--json] [--count N]`: loads OBJ, attaches the programs whose
 * sections say where,
 * and prints the records of MAP (a ring buffer or perf event array) as they come, one a line,
 * until N records, Ctrl-C or SIGTERM.
 */
export async function events(
  path: string,
  mapName: string,
  options: { type?: string; json?: boolean; count?: string; pageCount?: string },
): Promise<number> {
  const limit = options.count === undefined ? Number.POSITIVE_INFINITY : Number(options.count);
  if (!(limit > 0 && (Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY)))
    throw new UsageError(`--count takes a positive integer, got '${options.count}'`);
  using obj = BpfObject.open(path);
  const spec = obj.maps.find((m) => m.name === mapName);
  if (spec !== undefined && spec.type !== RINGBUF && spec.type !== PERF_EVENT_ARRAY) {
    throw new UsageError(
      `map '${mapName}' is a ${uapi.mapTypeName(spec.type)}: events reads ring buffers and perf event arrays (print other maps with 'bpfkit map dump')`,
    );
  }
  obj.load();
  const channel = { ...(options.type === undefined ? {} : { type: options.type }) };
  const reader =
    spec?.type === PERF_EVENT_ARRAY
      ? obj.perfBuffer(mapName, { ...channel, pageCount: Number(options.pageCount ?? 64) })
      : obj.ringBuffer(mapName, channel);
  attachAndSay(obj);
  process.stderr.write(`reading records of '${mapName}' as they come; Ctrl-C to stop\n`);
  using interrupt = interruptSignal();
  let printed = 0;
  await untilAborted(interrupt.signal, async () => {
    for await (const item of reader.records({ signal: interrupt.signal })) {
      const [cpu, record] =
        typeof item === 'object' && item !== null && 'cpu' in item && 'data' in item
          ? [item.cpu as number, item.data as unknown]
          : [undefined, item as unknown];
      if (options.json) {
        const data = record instanceof Uint8Array ? hexBytes(record) : record;
        console.log(toJsonLine(cpu === undefined ? { data } : { cpu, data }));
      } else {
        console.log(cpu === undefined ? formatRecord(record) : `cpu ${cpu}: ${formatRecord(record)}`);
      }
      if (++printed >= limit) break;
    }
  });
  return 0;
}
