import type { RawSnapshot } from './snapshot-types.js';

/**
 * Indexed, read-only view over a parsed heap snapshot. Nodes are addressed by ordinal
 * (0..nodeCount-1) and edges by ordinal too; no per-node objects are created, so this
 * scales to millions of nodes.
 */
export class HeapGraph {
  readonly nodeCount: number;
  readonly strings: string[];
  /** firstEdge[n]..firstEdge[n+1] are the edge ordinals of node n. */
  private readonly firstEdge: Uint32Array;
  private readonly nodes: Uint32Array;
  private readonly edges: Uint32Array;
  private readonly nodeFieldCount: number;
  private readonly edgeFieldCount: number;
  private readonly typeOffset: number;
  private readonly nameOffset: number;
  private readonly idOffset: number;
  private readonly selfSizeOffset: number;
  private readonly edgeTypeOffset: number;
  private readonly edgeNameOffset: number;
  private readonly edgeToOffset: number;
  readonly nodeTypeNames: string[];
  readonly edgeTypeNames: string[];
  /** Edge types whose name_or_index is a number rather than a string index. */
  private readonly numericEdgeType: Uint8Array;
  /** Closure node ordinal → [scriptId, line0, col0] index into `locations`, built lazily. */
  private locationIndex: Map<number, number> | undefined;
  private readonly locations: Uint32Array;
  private readonly locationFieldCount: number;

  constructor(raw: RawSnapshot) {
    const meta = raw.meta;
    this.nodes = raw.nodes;
    this.edges = raw.edges;
    this.strings = raw.strings;
    this.locations = raw.locations;
    this.nodeCount = raw.nodeCount;
    this.nodeFieldCount = meta.node_fields.length;
    this.edgeFieldCount = meta.edge_fields.length;
    this.typeOffset = requireField(meta.node_fields, 'type');
    this.nameOffset = requireField(meta.node_fields, 'name');
    this.idOffset = requireField(meta.node_fields, 'id');
    this.selfSizeOffset = requireField(meta.node_fields, 'self_size');
    const edgeCountOffset = requireField(meta.node_fields, 'edge_count');
    this.edgeTypeOffset = requireField(meta.edge_fields, 'type');
    this.edgeNameOffset = requireField(meta.edge_fields, 'name_or_index');
    this.edgeToOffset = requireField(meta.edge_fields, 'to_node');
    this.nodeTypeNames = meta.node_types[0];
    this.edgeTypeNames = meta.edge_types[0];
    this.numericEdgeType = new Uint8Array(this.edgeTypeNames.length);
    for (const numeric of ['element', 'hidden']) {
      const t = this.edgeTypeNames.indexOf(numeric);
      if (t >= 0) this.numericEdgeType[t] = 1;
    }
    this.locationFieldCount = meta.location_fields?.length ?? 4;

    // Edges are stored in node order, so one prefix sum gives each node's first edge.
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    let edge = 0;
    for (let n = 0; n < this.nodeCount; n++) {
      this.firstEdge[n] = edge;
      edge += this.nodes[n * this.nodeFieldCount + edgeCountOffset];
    }
    this.firstEdge[this.nodeCount] = edge;
    if (edge !== raw.edgeCount) {
      throw new Error(`heap snapshot is inconsistent: nodes declare ${edge} edges, ${raw.edgeCount} present`);
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
    return this.nodes[node * this.nodeFieldCount + this.typeOffset];
  }

  typeName(node: number): string {
    return this.nodeTypeNames[this.typeOf(node)] ?? 'unknown';
  }

  nameIndexOf(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.nameOffset];
  }

  nameOf(node: number): string {
    return this.strings[this.nameIndexOf(node)] ?? '';
  }

  idOf(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.idOffset];
  }

  selfSizeOf(node: number): number {
    return this.nodes[node * this.nodeFieldCount + this.selfSizeOffset];
  }

  firstEdgeOf(node: number): number {
    return this.firstEdge[node];
  }

  endEdgeOf(node: number): number {
    return this.firstEdge[node + 1];
  }

  edgeType(edge: number): number {
    return this.edges[edge * this.edgeFieldCount + this.edgeTypeOffset];
  }

  /** String-table index of a named edge's name, or -1 for element/hidden edges. */
  edgeNameIndex(edge: number): number {
    if (this.numericEdgeType[this.edgeType(edge)]) return -1;
    return this.edges[edge * this.edgeFieldCount + this.edgeNameOffset];
  }

  edgeName(edge: number): string | number {
    const raw = this.edges[edge * this.edgeFieldCount + this.edgeNameOffset];
    return this.numericEdgeType[this.edgeType(edge)] ? raw : (this.strings[raw] ?? '');
  }

  /** Target node ordinal of an edge (the JSON stores a flat index into `nodes`). */
  edgeTo(edge: number): number {
    return this.edges[edge * this.edgeFieldCount + this.edgeToOffset] / this.nodeFieldCount;
  }

  /** First target of an edge of this node whose name is the given string index, or -1. */
  namedEdgeTarget(node: number, nameIndex: number): number {
    if (nameIndex < 0) return -1;
    for (let e = this.firstEdge[node], end = this.firstEdge[node + 1]; e < end; e++) {
      if (this.edgeNameIndex(e) === nameIndex) return this.edgeTo(e);
    }
    return -1;
  }

  /** Definition site of a closure node from `snapshot.locations` (0-based), if recorded. */
  closureLocation(node: number): { scriptId: number; line: number; column: number } | undefined {
    if (!this.locationIndex) {
      this.locationIndex = new Map();
      const stride = this.locationFieldCount;
      for (let i = 0; i + stride <= this.locations.length; i += stride) {
        this.locationIndex.set(this.locations[i] / this.nodeFieldCount, i);
      }
    }
    const at = this.locationIndex.get(node);
    if (at === undefined) return undefined;
    return { scriptId: this.locations[at + 1], line: this.locations[at + 2], column: this.locations[at + 3] };
  }
}

function requireField(fields: string[], name: string): number {
  const index = fields.indexOf(name);
  if (index < 0) throw new Error(`heap snapshot meta lacks the "${name}" field`);
  return index;
}
