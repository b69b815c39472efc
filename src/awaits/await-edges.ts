// The await edges read both ways: each node's `awaitedBy` is stored, the nodes it awaits are
// derived here (as a map for small views, as typed arrays by position for whole graphs).

import { groupBy, IntList } from '../snapshot/csr.js';
import { IdIndex } from '../snapshot/id-index.js';

/** The inverse of `awaitedBy`: for each node id, the nodes it awaits (in input order). */
export function awaitsIndex<T extends { awaitedBy: readonly number[] }>(nodes: readonly T[]): Map<number, T[]> {
  const awaits = new Map<number, T[]>();
  for (const node of nodes) {
    for (const awaiter of node.awaitedBy) {
      const list = awaits.get(awaiter);
      if (list) list.push(node);
      else awaits.set(awaiter, [node]);
    }
  }
  return awaits;
}

/** awaitsIndex by position in the node list, on typed arrays (for graphs of hundreds of thousands of nodes). */
export interface AwaitsByPosition {
  /** The nodes node i awaits: childList[childStart[i] .. childStart[i + 1]), in input order. */
  childStart: Int32Array;
  childList: Int32Array;
  /** Node i's awaiters that are in the list: awaiterList[awaiterStart[i] .. awaiterStart[i + 1]), in `awaitedBy` order. */
  awaiterStart: Int32Array;
  awaiterList: Int32Array;
  /** 1 for a node awaited by an id that is not in the list. */
  danglingAwaiter: Uint8Array;
  /** Each id's position (the first, for a repeated id). */
  position: IdIndex;
}

export function awaitsByPosition(nodes: readonly { id: number; awaitedBy: readonly number[] }[]): AwaitsByPosition {
  const count = nodes.length;
  const position = IdIndex.positionsOf(nodes);
  const awaiters = new IntList(count);
  const children = new IntList(count);
  const awaiterStart = new Int32Array(count + 1);
  const danglingAwaiter = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    awaiterStart[i] = awaiters.length;
    for (const awaiter of nodes[i].awaitedBy) {
      const at = position.get(awaiter);
      if (at === -1) {
        danglingAwaiter[i] = 1;
        continue;
      }
      awaiters.push(at);
      children.push(i);
    }
  }
  awaiterStart[count] = awaiters.length;
  const { start, list } = groupBy(awaiters.data, children.data, awaiters.length, count);
  return {
    childStart: start,
    childList: list,
    awaiterStart,
    awaiterList: awaiters.data.subarray(0, awaiters.length),
    danglingAwaiter,
    position,
  };
}

const byPositionOf = new WeakMap<readonly object[], AwaitsByPosition>();

/**
 * awaitsByPosition once per node list: a view reads it many times (tree, groups, observers,
 * wake-up marks, filters). A node list is a value: nothing changes it once it is read (documents
 * are built whole, and filters make new lists). `known`: one already computed for this list.
 */
export function awaitsByPositionOf(
  nodes: readonly { id: number; awaitedBy: readonly number[] }[],
  known?: AwaitsByPosition,
): AwaitsByPosition {
  let graph = byPositionOf.get(nodes);
  if (!graph) byPositionOf.set(nodes, (graph = known ?? awaitsByPosition(nodes)));
  return graph;
}

/** Node i's children (the nodes it awaits), in input order. */
export function childrenAt<T>(nodes: readonly T[], graph: AwaitsByPosition, at: number): T[] {
  const out: T[] = [];
  for (let k = graph.childStart[at]; k < graph.childStart[at + 1]; k++) out.push(nodes[graph.childList[k]]);
  return out;
}

/** Nodes by id (the first, for a repeated id), on the list's cached positions. */
export function nodesById<T extends { id: number; awaitedBy: readonly number[] }>(nodes: readonly T[]): { get(id: number): T | undefined } {
  const { position } = awaitsByPositionOf(nodes);
  return {
    get(id) {
      const at = position.get(id);
      return at === -1 ? undefined : nodes[at];
    },
  };
}
