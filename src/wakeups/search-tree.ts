// Where a breadth-first search up the heap's retainers reached each node from: a leaf's search for
// who holds its resolving functions (holder-search.ts), and the search for an emitter's holder
// (holder-names.ts).

/** One step of a retainer search: `node` holds `child` through `edge`. */
export interface Step {
  edge: number;
  child: number;
  /** The edge taken this many times in a row down a linked list's plain links (list-links.ts); else 1. */
  repeat: number;
}

/** Where a search reached each node from. */
export interface StepsUp {
  get(node: number): Step | undefined;
}

/**
 * A leaf's search tree: for each node reached, the edge and the node it was reached from. Open
 * addressing over typed arrays sized for the search's node limit, emptied by a generation count:
 * a Map per leaf was most of the search's own time (a million nodes reached for 200 stuck fetches).
 */
export class SearchTree implements StepsUp {
  private readonly keys: Int32Array;
  private readonly stamps: Uint32Array;
  private readonly edges: Int32Array;
  private readonly children: Int32Array;
  private readonly repeats: Int32Array;
  private readonly shift: number;
  private readonly mask: number;
  private generation = 1;

  /** Room for `limit` nodes (a search stops at its limit). */
  constructor(limit: number) {
    let bits = 4;
    while (1 << bits < limit * 2 + 2) bits++;
    this.keys = new Int32Array(1 << bits);
    this.stamps = new Uint32Array(1 << bits);
    this.edges = new Int32Array(1 << bits);
    this.children = new Int32Array(1 << bits);
    this.repeats = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
  }

  clear(): void {
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  has(node: number): boolean {
    return this.slotOf(node) >= 0;
  }

  get(node: number): Step | undefined {
    const slot = this.slotOf(node);
    return slot < 0 ? undefined : { edge: this.edges[slot], child: this.children[slot], repeat: this.repeats[slot] };
  }

  /** Records how `node` was reached (once: the caller checks `has` first). */
  set(node: number, edge: number, child: number, repeat = 1): void {
    for (let slot = this.hash(node); ; slot = (slot + 1) & this.mask) {
      if (this.stamps[slot] !== this.generation) {
        this.stamps[slot] = this.generation;
        this.keys[slot] = node;
        this.edges[slot] = edge;
        this.children[slot] = child;
        this.repeats[slot] = repeat;
        return;
      }
    }
  }

  /** The slot of `node`, or -1. */
  private slotOf(node: number): number {
    for (let slot = this.hash(node); ; slot = (slot + 1) & this.mask) {
      if (this.stamps[slot] !== this.generation) return -1;
      if (this.keys[slot] === node) return slot;
    }
  }

  private hash(node: number): number {
    return (Math.imul(node, 0x9e3779b1) >>> this.shift) & this.mask;
  }
}
