/** A property's value once made (or assigned), else how to make it. */
interface LazyState<V> {
  value: V | undefined;
  make: (() => V) | undefined;
}

/**
 * A definer of one enumerable, assignable property named `key` whose value is made on first
 * read and then kept. One getter and setter serve every object it is defined on, and each
 * object keeps its state under a hidden symbol (no WeakMap for the garbage collector to
 * trace), so objects built alike keep one hidden class and fast properties (a getter written
 * in an object literal puts each object in dictionary mode, which slows every read of its fields).
 */
export function lazyProperty<V>(key: string): (target: object, make: () => V) => void {
  const state = Symbol(key);
  type Holder = { [state]: LazyState<V> };
  const descriptor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: Holder): V {
      const held = this[state];
      if (held.make !== undefined) {
        held.value = held.make();
        held.make = undefined;
      }
      return held.value as V;
    },
    set(this: Holder, value: V): void {
      this[state] = { value, make: undefined };
    },
  };
  return (target, make) => {
    Object.defineProperty(target, state, { value: { value: undefined, make }, writable: true });
    Object.defineProperty(target, key, descriptor);
  };
}
