// Used only by scripts/record-snapshots.js, on the built stages (`npm run build` first).
import { HeapGraph } from '../../dist/snapshot/heap-graph.js';
import { nameAt } from '../../dist/snapshot/snapshot-types.js';
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
 * A small snapshot holding only what await-graph reconstruction reads (plus `extraKeep`): generators, promises,
 * reactions and the closures, contexts and code names around them. Used to record real
 * snapshots from each Node version as compact test inputs.
 */
export function pruneSnapshot(raw, depth = 3, extraKeep) {
  const heap = new HeapGraph(raw);
  const functionName = heap.stringIndex('function');
  const reactionsName = heap.stringIndex('reactions_or_result');
  const keep = new Uint8Array(heap.nodeCount);
  let frontier = [];
  for (let n = 0; n < heap.nodeCount; n++) {
    const seed = SEED_NAMES.has(heap.nameOf(n)) ||
      heap.namedEdgeTarget(n, functionName) >= 0 ||
      heap.namedEdgeTarget(n, reactionsName) >= 0;
    if (seed) {
      keep[n] = 1;
      frontier.push(n);
    }
  }
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next = [];
    for (const n of frontier) {
      for (let e = heap.firstEdgeOf(n), end = heap.endEdgeOf(n); e < end; e++) {
        const name = heap.edgeName(e);
        if (typeof name === 'string' && IGNORED_EDGES.has(name))
          continue;
        if (heap.typeName(n) === 'object' && name === '__proto__')
          continue;
        const to = heap.edgeTo(e);
        if (!keep[to]) {
          keep[to] = 1;
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  // Whatever else an analysis reads (wake-up analysis: scripts/lib/prune-wakeups.js), kept as is.
  if (extraKeep)
    for (const n of extraKeep)
      keep[n] = 1;
  const nodeFields = raw.meta.node_fields.length;
  const newOrdinal = new Int32Array(heap.nodeCount).fill(-1);
  let kept = 0;
  for (let n = 0; n < heap.nodeCount; n++)
    if (keep[n])
      newOrdinal[n] = kept++;
  const strings = [];
  const stringIndex = new Map();
  const internString = (old) => {
    let index = stringIndex.get(old);
    if (index === undefined) {
      index = strings.length;
      strings.push(raw.strings[old]);
      stringIndex.set(old, index);
    }
    return index;
  };
  const keptNodes = [];
  const keptEdges = [];
  const firstEdge = [0];
  for (let n = 0; n < heap.nodeCount; n++) {
    if (!keep[n])
      continue;
    keptNodes.push(n);
    for (let e = heap.firstEdgeOf(n), end = heap.endEdgeOf(n); e < end; e++) {
      if (keep[heap.edgeTo(e)])
        keptEdges.push(e);
    }
    firstEdge.push(keptEdges.length);
  }
  const pick = (column, rows, value = (row) => column[row], make = (length) => new column.constructor(length)) => {
    const out = make(rows.length);
    rows.forEach((row, k) => (out[k] = value(row)));
    return out;
  };
  const wide = (length) => new Uint32Array(length);
  const otherNodeFields = new Map();
  for (const [name, column] of raw.otherNodeFields)
    otherNodeFields.set(name, pick(column, keptNodes));
  const locationFields = raw.meta.location_fields?.length ?? 4;
  const locations = [];
  for (let i = 0; i + locationFields <= raw.locations.length; i += locationFields) {
    const ordinal = newOrdinal[raw.locations[i] / nodeFields];
    if (ordinal < 0)
      continue;
    locations.push(ordinal * nodeFields, ...raw.locations.subarray(i + 1, i + locationFields));
  }
  return {
    meta: raw.meta,
    nodeCount: kept,
    edgeCount: keptEdges.length,
    nodeType: pick(raw.nodeType, keptNodes),
    nodeName: pick(raw.nodeName, keptNodes, (n) => internString(heap.nameIndexOf(n)), wide),
    nodeNameOverflow: null,
    nodeId: pick(raw.nodeId, keptNodes),
    nodeSelfSize: pick(raw.nodeSelfSize, keptNodes),
    firstEdge: Uint32Array.from(firstEdge),
    otherNodeFields,
    edgeType: pick(raw.edgeType, keptEdges),
    edgeName: pick(raw.edgeName, keptEdges, (e) => {
      const name = heap.edgeName(e);
      return typeof name === 'number' ? name : internString(heap.edgeNameIndex(e));
    }, wide),
    edgeNameOverflow: null,
    edgeTo: pick(raw.edgeTo, keptEdges, (e) => newOrdinal[raw.edgeTo[e]]),
    locations: Uint32Array.from(locations),
    strings,
  };
}
/**
 * The snapshot as V8's JSON format, so recorded inputs go through the real parser. Node fields
 * the parser did not keep (trace_node_id, detachedness unless `keepAllNodeFields`) are written as 0.
 */
export function serializeSnapshot(raw) {
  const { meta } = raw;
  const nodeFields = meta.node_fields.map((field) => {
    switch (field) {
      case 'type':
        return (n) => raw.nodeType[n];
      case 'name':
        return (n) => nameAt(raw.nodeName, raw.nodeNameOverflow, n);
      case 'id':
        return (n) => raw.nodeId[n];
      case 'self_size':
        return (n) => raw.nodeSelfSize[n];
      case 'edge_count':
        return (n) => raw.firstEdge[n + 1] - raw.firstEdge[n];
      default: {
        const column = raw.otherNodeFields.get(field);
        return (n) => (column ? column[n] : 0);
      }
    }
  });
  const edgeFields = meta.edge_fields.map((field) => {
    if (field === 'type')
      return (e) => raw.edgeType[e];
    if (field === 'name_or_index')
      return (e) => nameAt(raw.edgeName, raw.edgeNameOverflow, e);
    if (field === 'to_node')
      return (e) => raw.edgeTo[e] * meta.node_fields.length;
    return () => 0;
  });
  const nodes = [];
  for (let n = 0; n < raw.nodeCount; n++)
    for (const field of nodeFields)
      nodes.push(field(n));
  const edges = [];
  for (let e = 0; e < raw.edgeCount; e++)
    for (const field of edgeFields)
      edges.push(field(e));
  return JSON.stringify({
    snapshot: { meta, node_count: raw.nodeCount, edge_count: raw.edgeCount, trace_function_count: 0 },
    nodes,
    edges,
    trace_function_infos: [],
    trace_tree: [],
    samples: [],
    locations: Array.from(raw.locations),
    strings: raw.strings,
  });
}
