import { type Btf, type BtfValue, btfCodec } from '@bpfkit/btf';
import { isLittleEndianHost } from '@bpfkit/syscall';
import { EventsError } from './errors.js';

/** Kinds a record type may be looked up as, in order: `struct event`, `union`, or a typedef. */
const recordKinds = ['struct', 'union', 'typedef'] as const;

/**
 * A decoder for records of the BTF type called `type` (a struct, union or typedef of one):
 * each record's bytes become a plain object through the type's codec. The type is found by
 * name, so it only has to be in the object's BTF, not referenced by a map.
 * @throws {@link EventsError} `type-not-found` when the object has no BTF, or no type by that
 * name: clang emits BTF only for types reachable from a global, a map or a function
 * signature, so a struct used only through `bpf_ringbuf_reserve` needs a reference such as
 * `const struct event *unused_event __attribute__((unused));` at file scope.
 */
export function recordDecoder(btf: Btf | undefined, type: string, map?: string): (view: Uint8Array) => BtfValue {
  const context = map === undefined ? { type } : { map, type };
  const hint = `clang emits BTF only for types something refers to: add 'const struct ${type} *unused_${type} __attribute__((unused));' at file scope of the BPF source`;
  if (btf === undefined)
    throw new EventsError('type-not-found', `no BTF to decode records as '${type}'`, context, 'compile with -g');
  for (const kind of recordKinds) {
    const found = btf.byName(type, kind);
    if (found === undefined) continue;
    const codec = btfCodec(btf, found.id, isLittleEndianHost);
    return (view) => codec.decode(view);
  }
  throw new EventsError(
    'type-not-found',
    `no struct, union or typedef named '${type}' in the object's BTF`,
    context,
    hint,
  );
}
