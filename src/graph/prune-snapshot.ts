import { HeapGraph } from './heap-graph.js';
import type { RawSnapshot } from './snapshot-types.js';

// Edges the await graph never follows; dropping them keeps a pruned snapshot small.
const IGNORED_EDGES = new Set([
  'map',
  'feedback_cell',
  'shared',
  'scope_info',
  'previous',
  'native_context',
  'properties',
  'elements',
  'prototype',
  'initial_map',
  'constructor',
  'global_proxy_object',
]);

const SEED_NAMES = new Set([
  'Promise',
  'system / PromiseReaction',
  'system / PromiseCapability',
  'system / AsyncGeneratorRequest',
  'system / SourceTextModule',
]);

/**
 * A small snapshot holding only what await-graph reconstruction reads: generators, promises,
 * reactions and the closures, contexts and code names around them. Used to record real
 * snapshots from each Node version as compact test inputs.
 */
export function pruneSnapshot(raw: RawSnapshot, depth = 3): RawSnapshot {
  const heap = new HeapGraph(raw);
  const functionName = heap.stringIndex('function');
  const reactionsName = heap.stringIndex('reactions_or_result');
  const keep = new Uint8Array(heap.nodeCount);
  let frontier: number[] = [];
  for (let n = 0; n < heap.nodeCount; n++) {
    const seed =
      SEED_NAMES.has(heap.nameOf(n)) ||
      heap.namedEdgeTarget(n, functionName) >= 0 ||
      heap.namedEdgeTarget(n, reactionsName) >= 0;
    if (seed) {
      keep[n] = 1;
      frontier.push(n);
    }
  }
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: number[] = [];
    for (const n of frontier) {
      for (let e = heap.firstEdgeOf(n), end = heap.endEdgeOf(n); e < end; e++) {
        const name = heap.edgeName(e);
        if (typeof name === 'string' && IGNORED_EDGES.has(name)) continue;
        if (heap.typeName(n) === 'object' && name === '__proto__') continue;
        const to = heap.edgeTo(e);
        if (!keep[to]) {
          keep[to] = 1;
          next.push(to);
        }
      }
    }
    frontier = next;
  }

  const nodeFields = raw.meta.node_fields.length;
  const edgeFields = raw.meta.edge_fields.length;
  const edgeCountOffset = raw.meta.node_fields.indexOf('edge_count');
  const nameOffset = raw.meta.node_fields.indexOf('name');
  const edgeNameOffset = raw.meta.edge_fields.indexOf('name_or_index');
  const edgeToOffset = raw.meta.edge_fields.indexOf('to_node');
  const edgeTypeOffset = raw.meta.edge_fields.indexOf('type');
  const numericEdgeTypes = new Set(['element', 'hidden'].map((t) => raw.meta.edge_types[0].indexOf(t)));

  const newOrdinal = new Int32Array(heap.nodeCount).fill(-1);
  let kept = 0;
  for (let n = 0; n < heap.nodeCount; n++) if (keep[n]) newOrdinal[n] = kept++;

  const strings: string[] = [];
  const stringIndex = new Map<number, number>();
  const internString = (old: number) => {
    let index = stringIndex.get(old);
    if (index === undefined) {
      index = strings.length;
      strings.push(raw.strings[old]);
      stringIndex.set(old, index);
    }
    return index;
  };

  const nodes: number[] = [];
  const edges: number[] = [];
  for (let n = 0; n < heap.nodeCount; n++) {
    if (!keep[n]) continue;
    const row = Array.from(raw.nodes.subarray(n * nodeFields, (n + 1) * nodeFields));
    row[nameOffset] = internString(row[nameOffset]);
    let edgeCount = 0;
    for (let e = heap.firstEdgeOf(n), end = heap.endEdgeOf(n); e < end; e++) {
      const to = heap.edgeTo(e);
      if (!keep[to]) continue;
      const edge = Array.from(raw.edges.subarray(e * edgeFields, (e + 1) * edgeFields));
      if (!numericEdgeTypes.has(edge[edgeTypeOffset])) edge[edgeNameOffset] = internString(edge[edgeNameOffset]);
      edge[edgeToOffset] = newOrdinal[to] * nodeFields;
      edges.push(...edge);
      edgeCount++;
    }
    row[edgeCountOffset] = edgeCount;
    nodes.push(...row);
  }

  const locationFields = raw.meta.location_fields?.length ?? 4;
  const locations: number[] = [];
  for (let i = 0; i + locationFields <= raw.locations.length; i += locationFields) {
    const ordinal = newOrdinal[raw.locations[i] / nodeFields];
    if (ordinal < 0) continue;
    locations.push(ordinal * nodeFields, ...raw.locations.subarray(i + 1, i + locationFields));
  }

  return {
    meta: raw.meta,
    nodeCount: kept,
    edgeCount: edges.length / edgeFields,
    nodes: Uint32Array.from(nodes),
    edges: Uint32Array.from(edges),
    locations: Uint32Array.from(locations),
    strings,
  };
}

/** The snapshot as V8's JSON format, so recorded inputs go through the real parser. */
export function serializeSnapshot(raw: RawSnapshot): string {
  return JSON.stringify({
    snapshot: { meta: raw.meta, node_count: raw.nodeCount, edge_count: raw.edgeCount, trace_function_count: 0 },
    nodes: Array.from(raw.nodes),
    edges: Array.from(raw.edges),
    trace_function_infos: [],
    trace_tree: [],
    samples: [],
    locations: Array.from(raw.locations),
    strings: raw.strings,
  });
}
