/**
 * The `.BTF.ext` records of one kind in one code section, by instruction index: two lists
 * as long as the records, sorted by instruction, instead of a slot per instruction. An
 * instruction holds one record: a later one in `.BTF.ext` order replaces an earlier one.
 */
export class InsnRecords<T> {
  /** Ordered and one per instruction, once checked (and sorted when they were not). */
  private checked = false;

  /**
   * `values[i]` is the record of instruction `insns[i]`, in `.BTF.ext` order; neither list
   * is changed (records out of order are sorted into new ones on first read).
   */
  constructor(
    private insns: readonly number[],
    private values: readonly T[],
  ) {}

  /** True when an instruction in `[start, end)` has a record. */
  hasIn(start: number, end: number): boolean {
    const at = this.firstFrom(start);
    return at < this.insns.length && (this.insns[at] as number) < end;
  }

  /** Calls `visit` with each record of an instruction in `[start, end)`, in instruction order. */
  forEachIn(start: number, end: number, visit: (insn: number, value: T) => void): void {
    const insns = this.insns;
    for (let at = this.firstFrom(start); at < insns.length && (insns[at] as number) < end; at++)
      visit(insns[at] as number, this.values[at] as T);
  }

  /**
   * A reader of the records from instruction `start` on, asked for instructions in
   * ascending order: the record of each, or `undefined`.
   */
  reader(start: number): (insn: number) => T | undefined {
    const insns = this.insns;
    let at = this.firstFrom(start);
    return (insn) => {
      while (at < insns.length && (insns[at] as number) < insn) at++;
      return at < insns.length && insns[at] === insn ? this.values[at] : undefined;
    };
  }

  /** Position of the first record at or after instruction `insn`. */
  private firstFrom(insn: number): number {
    if (!this.checked) this.check();
    const insns = this.insns;
    let low = 0;
    let high = insns.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((insns[middle] as number) < insn) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Sorts the records when they are not in strictly ascending order, keeping the last of each instruction's. */
  private check(): void {
    this.checked = true;
    const given = this.insns;
    let ascending = true;
    for (let i = 1; i < given.length && ascending; i++) ascending = (given[i - 1] as number) < (given[i] as number);
    if (ascending) return;
    const order = this.insns.map((_, i) => i);
    order.sort((a, b) => (this.insns[a] as number) - (this.insns[b] as number) || a - b);
    const insns: number[] = [];
    const values: T[] = [];
    for (const i of order) {
      const insn = this.insns[i] as number;
      if (insns.length > 0 && insns[insns.length - 1] === insn) values[values.length - 1] = this.values[i] as T;
      else {
        insns.push(insn);
        values.push(this.values[i] as T);
      }
    }
    this.insns = insns;
    this.values = values;
  }
}

/** A section's records of a kind it has none of (shared: nothing changes it). */
export const noInsnRecords: InsnRecords<never> = new InsnRecords<never>([], []);
