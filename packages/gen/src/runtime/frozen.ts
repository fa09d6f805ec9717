/**
 * `T` with every property and element read-only, all the way down: what a skeleton's getter
 * of a struct, union or array global returns, so that changing a member of the copy (which
 * would not reach the map) fails to type-check; assign the whole value instead.
 */
export type DeepReadonly<T> = T extends bigint | boolean | number | string
  ? T
  : { readonly [K in keyof T]: DeepReadonly<T[K]> };

/**
 * `value` with it and every object and array inside it frozen, so that a change to a copy of
 * a global throws (ES modules run in strict mode) instead of being lost.
 */
export function frozen<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}
