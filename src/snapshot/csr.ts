// Compact adjacency lists for graphs of hundreds of thousands of nodes: numbers collected in
// growable typed arrays and grouped by key into one offsets array and one list (compressed sparse
// rows), instead of a JavaScript array per node. Pure.

/** A growable Int32Array, to collect numbers without a JavaScript array per item. */
export class IntList {
  data: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
}

/** Values grouped by key: those of key k are list[start[k]] .. list[start[k + 1] - 1], in input order. */
export interface Grouped {
  start: Int32Array;
  list: Int32Array;
}

/** Groups values[j] under keys[j] for j < length; keys are 0 .. keyCount - 1. */
export function groupBy(keys: ArrayLike<number>, values: ArrayLike<number>, length: number, keyCount: number): Grouped {
  const start = new Int32Array(keyCount + 1);
  for (let j = 0; j < length; j++) start[keys[j] + 1]++;
  for (let k = 0; k < keyCount; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keyCount);
  const list = new Int32Array(length);
  for (let j = 0; j < length; j++) list[fill[keys[j]]++] = values[j];
  return { start, list };
}
