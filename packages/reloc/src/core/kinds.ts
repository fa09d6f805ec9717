import { CoreReloKind } from '@bpfkit/btf';

/** Names of CO-RE relocation kinds, as libbpf logs them, indexed by {@link CoreReloKind}. */
export const coreKindNames: readonly string[] = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/** Field relocations: offsets, sizes, existence, signedness, bitfield shifts. */
export const isFieldKind = (kind: number): boolean => kind >= 0 && kind <= CoreReloKind.FIELD_RSHIFT_U64;

/** Type relocations: type ids, existence, size, matching. */
export const isTypeKind = (kind: number): boolean =>
  kind === CoreReloKind.TYPE_ID_LOCAL ||
  kind === CoreReloKind.TYPE_ID_TARGET ||
  kind === CoreReloKind.TYPE_EXISTS ||
  kind === CoreReloKind.TYPE_SIZE ||
  kind === CoreReloKind.TYPE_MATCHES;

/** Enumerator relocations: existence and value. */
export const isEnumKind = (kind: number): boolean =>
  kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
