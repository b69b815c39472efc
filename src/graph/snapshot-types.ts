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

/** A parsed snapshot: flat typed arrays exactly as in the JSON, plus the string table. */
export interface RawSnapshot {
  meta: SnapshotMeta;
  nodeCount: number;
  edgeCount: number;
  /** nodeCount × meta.node_fields.length values */
  nodes: Uint32Array;
  /** edgeCount × meta.edge_fields.length values; `to_node` is an index into `nodes` */
  edges: Uint32Array;
  /** [node index, scriptId, line0, col0] × n (see meta.location_fields) */
  locations: Uint32Array;
  strings: string[];
}
