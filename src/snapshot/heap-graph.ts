import { NAME_ESCAPE, overflowValue, type NameOverflow, type RawSnapshot } from './snapshot-types.js';

/** Node types whose retainers are not indexed: they hold no objects, so no search goes up from them. */
const UNRETAINED_TYPES = ['string', 'concatenated string', 'sliced string', 'number', 'code', 'object shape', 'symbol', 'bigint'];

/**
 * Indexed, read-only view over a parsed heap snapshot. Nodes are addressed by ordinal
 * (0..nodeCount-1) and edges by ordinal too; no per-node objects are created, so this
 * scales to millions of nodes. The snapshot's columns are used as they are (see RawSnapshot):
 * every accessor is one typed-array read.
 */
export class HeapGraph {
  readonly nodeCount: number;
  readonly strings: string[];
  /** firstEdge[n]..firstEdge[n+1] are the edge ordinals of node n. */
  private readonly firstEdge: Uint32Array;
  private readonly nodeType: Uint8Array;
  private readonly nodeName: Uint16Array | Uint32Array;
  private readonly nodeNameOverflow: NameOverflow | null;
  private readonly nodeId: Uint32Array;
  private readonly nodeSelfSize: Uint32Array;
  private readonly edgeTypes: Uint8Array;
  private readonly edgeNames: Uint16Array | Uint32Array;
  private readonly edgeNameOverflow: NameOverflow | null;
  private readonly edgeTargets: Uint32Array;
  /** The JSON's node field count: `locations` hold node indexes in its units. */
  private readonly nodeFieldCount: number;
  readonly nodeTypeNames: string[];
  readonly edgeTypeNames: string[];
  /** Edge types whose name_or_index is a number rather than a string index. */
  private readonly numericEdgeType: Uint8Array;
  /** Rows of `locations` in node order when V8 did not write them so (null: they are), built lazily. */
  private locationIndex: Uint32Array | null | undefined;
  private readonly locations: Uint32Array;
  private readonly locationFieldCount: number;

  constructor(raw: RawSnapshot) {
    const meta = raw.meta;
    this.strings = raw.strings;
    this.locations = raw.locations;
    this.nodeCount = raw.nodeCount;
    this.firstEdge = raw.firstEdge;
    this.nodeType = raw.nodeType;
    this.nodeName = raw.nodeName;
    this.nodeNameOverflow = raw.nodeNameOverflow;
    this.nodeId = raw.nodeId;
    this.nodeSelfSize = raw.nodeSelfSize;
    this.edgeTypes = raw.edgeType;
    this.edgeNames = raw.edgeName;
    this.edgeNameOverflow = raw.edgeNameOverflow;
    this.edgeTargets = raw.edgeTo;
    this.nodeFieldCount = meta.node_fields.length;
    this.nodeTypeNames = meta.node_types[0];
    this.edgeTypeNames = meta.edge_types[0];
    // Indexed by any byte, so a type value beyond the names is simply not numeric.
    this.numericEdgeType = new Uint8Array(256);
    for (const numeric of ['element', 'hidden']) {
      const t = this.edgeTypeNames.indexOf(numeric);
      if (t >= 0) this.numericEdgeType[t] = 1;
    }
    this.locationFieldCount = meta.location_fields?.length ?? 4;
    if (this.firstEdge.length !== this.nodeCount + 1 || this.firstEdge[this.nodeCount] !== raw.edgeCount) {
      throw new Error(`heap snapshot is inconsistent: nodes declare ${this.firstEdge[this.nodeCount]} edges, ${raw.edgeCount} present`);
    }
  }

  nodeTypeIndex(name: string): number {
    return this.nodeTypeNames.indexOf(name);
  }

  edgeTypeIndex(name: string): number {
    return this.edgeTypeNames.indexOf(name);
  }

  /** Index of a string in the table, or -1; for comparing names without decoding. */
  stringIndex(value: string): number {
    return this.strings.indexOf(value);
  }

  typeOf(node: number): number {
    return this.nodeType[node];
  }

  typeName(node: number): string {
    return this.nodeTypeNames[this.typeOf(node)] ?? 'unknown';
  }

  nameIndexOf(node: number): number {
    const value = this.nodeName[node];
    return value === NAME_ESCAPE && this.nodeNameOverflow ? overflowValue(this.nodeNameOverflow, node) : value;
  }

  nameOf(node: number): string {
    return this.strings[this.nameIndexOf(node)] ?? '';
  }

  idOf(node: number): number {
    return this.nodeId[node];
  }

  selfSizeOf(node: number): number {
    return this.nodeSelfSize[node];
  }

  firstEdgeOf(node: number): number {
    return this.firstEdge[node];
  }

  endEdgeOf(node: number): number {
    return this.firstEdge[node + 1];
  }

  edgeType(edge: number): number {
    return this.edgeTypes[edge];
  }

  /** String-table index of a named edge's name, or -1 for element/hidden edges. */
  edgeNameIndex(edge: number): number {
    if (this.numericEdgeType[this.edgeTypes[edge]]) return -1;
    return this.edgeNameOrIndex(edge);
  }

  edgeName(edge: number): string | number {
    const raw = this.edgeNameOrIndex(edge);
    return this.numericEdgeType[this.edgeTypes[edge]] ? raw : (this.strings[raw] ?? '');
  }

  /** name_or_index as in the JSON. */
  private edgeNameOrIndex(edge: number): number {
    const value = this.edgeNames[edge];
    return value === NAME_ESCAPE && this.edgeNameOverflow ? overflowValue(this.edgeNameOverflow, edge) : value;
  }

  /**
   * Calls `visit(node, edge, which)` for every named edge whose name is `names[which]`, in edge
   * order (so by source node), reading the name column once instead of each node's edges.
   * False, without a call, when a name cannot be compared in the column (an escaped 16-bit value).
   */
  forEachEdgeNamed(names: readonly number[], visit: (node: number, edge: number, which: number) => void): boolean {
    if (this.edgeNameOverflow && names.some((name) => name >= NAME_ESCAPE)) return false;
    const columns = this.edgeNames;
    const types = this.edgeTypes;
    const numeric = this.numericEdgeType;
    const firstEdge = this.firstEdge;
    const [a = -2, b = -2, c = -2] = names;
    if (names.length > 3) throw new RangeError('forEachEdgeNamed takes up to three names');
    let node = 0;
    for (let e = 0, end = firstEdge[this.nodeCount]; e < end; e++) {
      const name = columns[e];
      if (name !== a && name !== b && name !== c) continue;
      if (numeric[types[e]]) continue;
      while (firstEdge[node + 1] <= e) node++;
      visit(node, e, name === a ? 0 : name === b ? 1 : 2);
    }
    return true;
  }

  /** Target node ordinal of an edge (the JSON stores a flat index into `nodes`). */
  edgeTo(edge: number): number {
    return this.edgeTargets[edge];
  }

  /** First target of an edge of this node whose name is the given string index, or -1. */
  namedEdgeTarget(node: number, nameIndex: number): number {
    if (nameIndex < 0) return -1;
    const names = this.edgeNames;
    const types = this.edgeTypes;
    const numeric = this.numericEdgeType;
    if (nameIndex >= NAME_ESCAPE && this.edgeNameOverflow) {
      // The name is escaped in a 16-bit column: compare real values.
      for (let e = this.firstEdge[node], end = this.firstEdge[node + 1]; e < end; e++) {
        if (this.edgeNameOrIndex(e) === nameIndex && !numeric[types[e]]) return this.edgeTargets[e];
      }
      return -1;
    }
    for (let e = this.firstEdge[node], end = this.firstEdge[node + 1]; e < end; e++) {
      if (names[e] === nameIndex && !numeric[types[e]]) return this.edgeTargets[e];
    }
    return -1;
  }

  /**
   * Reverse edges, built on first use in one counting-sort pass over all edges: the edges
   * pointing at node n are retainerEdges[firstRetainer[n] .. firstRetainer[n+1]], and
   * retainerNodes holds the node each of those edges comes from. Two Uint32Arrays of the indexed
   * edge count plus one of the node count; nothing per node. Edges to nodes that hold nothing
   * (strings, numbers, code, hidden classes, symbols) are left out: nobody asks who holds those,
   * and they are about two fifths of a heap's edges.
   */
  private retainerIndex: { first: Uint32Array; edges: Uint32Array; from: Uint32Array } | undefined;

  private retainers(): { first: Uint32Array; edges: Uint32Array; from: Uint32Array } {
    if (this.retainerIndex) return this.retainerIndex;
    const indexed = new Uint8Array(256).fill(1);
    for (const leaf of UNRETAINED_TYPES) {
      const type = this.nodeTypeNames.indexOf(leaf);
      if (type >= 0) indexed[type] = 0;
    }
    const nodeType = this.nodeType;
    const targets = this.edgeTargets;
    const edgeCount = this.firstEdge[this.nodeCount];
    const first = new Uint32Array(this.nodeCount + 1);
    for (let e = 0; e < edgeCount; e++) {
      const to = targets[e];
      if (indexed[nodeType[to]] === 1) first[to + 1]++;
    }
    for (let n = 0; n < this.nodeCount; n++) first[n + 1] += first[n];
    const edges = new Uint32Array(first[this.nodeCount]);
    const from = new Uint32Array(first[this.nodeCount]);
    // Filled through `first` itself (no second array of the node count, 9 MB at 100k chains):
    // first[to] moves from the start of `to`'s list to its end, which is where to + 1's starts.
    for (let n = 0; n < this.nodeCount; n++) {
      for (let e = this.firstEdge[n], end = this.firstEdge[n + 1]; e < end; e++) {
        const to = targets[e];
        if (indexed[nodeType[to]] === 0) continue;
        const at = first[to]++;
        edges[at] = e;
        from[at] = n;
      }
    }
    first.copyWithin(1, 0, this.nodeCount);
    first[0] = 0;
    this.retainerIndex = { first, edges, from };
    return this.retainerIndex;
  }

  /**
   * Calls `visit(fromNode, edge)` for every edge pointing at `node`; stops when it returns true.
   * None for a node of the UNRETAINED_TYPES.
   */
  forEachRetainer(node: number, visit: (from: number, edge: number) => boolean | void): void {
    const index = this.retainers();
    for (let i = index.first[node], end = index.first[node + 1]; i < end; i++) {
      if (visit(index.from[i], index.edges[i]) === true) return;
    }
  }

  /**
   * The retainer index itself, for a loop that visits retainers without a callback per node (the
   * wake-up search runs once per leaf, a hundred thousand times): node n's retainers are
   * from[i] by edge edges[i], for first[n] <= i < first[n + 1].
   */
  retainerLists(): { readonly first: Uint32Array; readonly edges: Uint32Array; readonly from: Uint32Array } {
    return this.retainers();
  }

  /** Definition site of a closure node from `snapshot.locations` (0-based), if recorded. */
  closureLocation(node: number): { scriptId: number; line: number; column: number } | undefined {
    const at = this.findLocation(node);
    if (at < 0) return undefined;
    return { scriptId: this.locations[at + 1], line: this.locations[at + 2], column: this.locations[at + 3] };
  }

  /**
   * Index into `locations` of the node's row, or -1: a binary search over the rows in node order
   * (V8 writes them so; otherwise an order is sorted once). No map with an entry per closure.
   */
  private findLocation(node: number): number {
    const stride = this.locationFieldCount;
    const locations = this.locations;
    const rows = Math.floor(locations.length / stride);
    // Checked once: null means V8 wrote the rows in node order.
    if (this.locationIndex === undefined) {
      let sorted = true;
      for (let r = 1; r < rows && sorted; r++) sorted = locations[r * stride] > locations[(r - 1) * stride];
      this.locationIndex = sorted ? null : Uint32Array.from({ length: rows }, (_, r) => r).sort((a, b) => locations[a * stride] - locations[b * stride]);
    }
    const order = this.locationIndex;
    const key = node * this.nodeFieldCount;
    let lo = 0;
    let hi = rows - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const row = order ? order[mid] : mid;
      const value = locations[row * stride];
      if (value === key) return row * stride;
      if (value < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
