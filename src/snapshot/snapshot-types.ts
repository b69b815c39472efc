// Shapes of a V8 heap snapshot (the `.heapsnapshot` JSON format) once parsed into typed arrays.
// The format is described in V8's src/profiler/heap-snapshot-generator.cc (HeapSnapshotJSONSerializer).

/** `snapshot.meta` as V8 writes it. Field lists differ between V8 versions: always read them. */
export interface SnapshotMeta {
  node_fields: string[];
  /** node_types[0] is the list of type names for the `type` field; other entries are "string", "number"… */
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
  location_fields?: string[];
  [key: string]: unknown;
}

/**
 * A parsed snapshot, one typed array per field (columns) rather than V8's interleaved rows, and
 * only the fields asyncgraph reads: at a few million nodes and ten million edges every byte per
 * row counts. Nodes and edges are addressed by ordinal (0…count-1).
 *
 * Kept node fields: type, name, id, self_size; edge_count becomes the `firstEdge` prefix sums.
 * The other node fields (trace_node_id, detachedness…) are dropped unless the parser was created
 * with `keepAllNodeFields`, in which case they are in `otherNodeFields`.
 */
export interface RawSnapshot {
  meta: SnapshotMeta;
  nodeCount: number;
  edgeCount: number;
  /** Per node: index into meta.node_types[0]. */
  nodeType: Uint8Array;
  /** Per node: index into `strings` (a NameColumn: read it with nameAt). */
  nodeName: Uint16Array | Uint32Array;
  nodeNameOverflow: NameOverflow | null;
  /** Per node: V8's heap object id. */
  nodeId: Uint32Array;
  /** Per node: self_size (0 when the snapshot has no such field). */
  nodeSelfSize: Uint32Array;
  /** nodeCount + 1 values: node n's edges are firstEdge[n] … firstEdge[n + 1] - 1 (edges are stored in node order). */
  firstEdge: Uint32Array;
  /** Node fields other than the above, by name, only when asked for (`keepAllNodeFields`). */
  otherNodeFields: Map<string, Uint32Array>;
  /** Per edge: index into meta.edge_types[0]. */
  edgeType: Uint8Array;
  /**
   * Per edge: name_or_index as in the JSON, a string index or a number for element/hidden edges
   * (a NameColumn: read it with nameAt).
   */
  edgeName: Uint16Array | Uint32Array;
  edgeNameOverflow: NameOverflow | null;
  /** Per edge: the target's node ordinal (the JSON's `to_node` divided by the node field count). */
  edgeTo: Uint32Array;
  /** [node index, scriptId, line0, col0] × n, exactly as in the JSON (see meta.location_fields). */
  locations: Uint32Array;
  strings: string[];
}

/**
 * Name columns (nodeName, edgeName) take 16 bits per value unless too many values need more:
 * values from NAME_ESCAPE up are then stored as NAME_ESCAPE with the real value here, by row,
 * rows ascending. A 32-bit column has no overflow.
 */
export interface NameOverflow {
  rows: Uint32Array;
  values: Uint32Array;
}

export const NAME_ESCAPE = 0xffff;

/** The value of row `row` of a name column. */
export function nameAt(column: Uint16Array | Uint32Array, overflow: NameOverflow | null, row: number): number {
  const value = column[row];
  return value === NAME_ESCAPE && overflow ? overflowValue(overflow, row) : value;
}

/** The escaped value of a row (binary search). */
export function overflowValue(overflow: NameOverflow, row: number): number {
  const rows = overflow.rows;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] === row) return overflow.values[mid];
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return NAME_ESCAPE;
}
