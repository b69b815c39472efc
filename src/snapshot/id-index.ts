// Node ids (heap object ids) to positions, for graphs of hundreds of thousands of nodes: open
// addressing on two typed arrays. A Map that size was the hottest line of several stages (a
// hashed, chained entry per id, and its backing store copied as it grows). Pure.

const EMPTY = NaN;

export class IdIndex {
  private readonly keys: Float64Array;
  private readonly values: Int32Array;
  private readonly shift: number;
  private readonly mask: number;
  size = 0;

  /** Room for `expected` ids (never more: the table does not grow). */
  constructor(expected: number) {
    let bits = 4;
    while (1 << bits < expected * 2) bits++;
    this.keys = new Float64Array(1 << bits).fill(EMPTY);
    this.values = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
  }

  /** Each node's id to its position; for a repeated id, the first position. */
  static positionsOf(nodes: readonly { id: number }[]): IdIndex {
    const index = new IdIndex(nodes.length);
    for (let i = 0; i < nodes.length; i++) index.add(nodes[i].id, i);
    return index;
  }

  /** The value of `id`, or -1 when it has none. */
  get(id: number): number {
    const keys = this.keys;
    for (let slot = this.slotOf(id); ; slot = (slot + 1) & this.mask) {
      const key = keys[slot];
      if (key === id) return this.values[slot];
      if (key !== key) return -1;
    }
  }

  /** Gives `id` the value unless it has one already; returns the value it has then. */
  add(id: number, value: number): number {
    const keys = this.keys;
    for (let slot = this.slotOf(id); ; slot = (slot + 1) & this.mask) {
      const key = keys[slot];
      if (key === id) return this.values[slot];
      if (key !== key) {
        if (this.size * 2 >= keys.length) throw new RangeError('IdIndex is full');
        keys[slot] = id;
        this.values[slot] = value;
        this.size++;
        return value;
      }
    }
  }

  /** Fibonacci hashing: heap ids come in steps of 2, the multiply spreads them over the table. */
  private slotOf(id: number): number {
    return (Math.imul(id | 0, 0x9e3779b1) >>> this.shift) & this.mask;
  }
}
