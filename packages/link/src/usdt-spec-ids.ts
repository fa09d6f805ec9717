/**
 * The spec ids of one `__bpf_usdt_specs` map that this process's USDT links hold: hands out
 * the lowest free ids. A cursor below which every id is taken starts each search, so links
 * attached one after another each take the next id without scanning the ids before it.
 */
export class UsdtSpecIds {
  private readonly used = new Set<number>();
  /** Every id below this one is in use. */
  private lowestFree = 0;

  constructor(
    /** How many ids the map holds (its `max_entries`). */
    readonly capacity: number,
  ) {}

  /** The lowest `count` free ids, marked used; undefined (nothing taken) when fewer are free. */
  take(count: number): number[] | undefined {
    const ids: number[] = [];
    for (let id = this.lowestFree; ids.length < count; id++) {
      if (id >= this.capacity) {
        for (const taken of ids) this.used.delete(taken);
        return undefined;
      }
      if (!this.used.has(id)) {
        this.used.add(id);
        ids.push(id);
      }
    }
    while (this.used.has(this.lowestFree)) this.lowestFree++;
    return ids;
  }

  /** Frees `ids` for later links. */
  release(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.used.delete(id) && id < this.lowestFree) this.lowestFree = id;
    }
  }
}
