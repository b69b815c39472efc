// Which variables of the await graph can never settle: the graph's nodes and the promises between
// them as variables with dependency lists, and a greatest fixpoint over those lists. Pure: the
// caller (src/wakeups/graph-never-settles.ts) answers `possible` from the heap.

import type { AwaitGraphTrace, FoundNode } from '../awaits/await-graph.js';
import { groupBy, IntList } from '../snapshot/csr.js';
import { KNOWN_NO, KNOWN_YES, NOT_KNOWN } from './known-flags.js';

/** How a variable with dependencies settles. */
export const WAITS_FOR_ALL = 0;
/** Promise.allSettled's "any": it settles once one dependency can. */
export const WAITS_FOR_ANY = 1;
export type Waiting = typeof WAITS_FOR_ALL | typeof WAITS_FOR_ANY;

/** neverSettlingVariables' marks: a variable that can never settle, and one that may. */
export const NEVER = 1;
export const MAY_SETTLE = 0;

/** Dependencies in CSR form: variable v depends on list[start[v]] … list[start[v + 1] - 1]. */
export interface DependencyLists {
  count: number;
  start: ArrayLike<number>;
  list: ArrayLike<number>;
}

/**
 * A variable stays "never" while its dependencies say so (all of them stay for WAITS_FOR_ALL,
 * at least one for WAITS_FOR_ANY; a variable without dependencies asks `possible` alone) and
 * `possible(v)` holds: nothing outside the graph settles it. `possible` is asked only when the
 * dependencies alone say "never" (it reads the heap), at most once per variable. Returns, per
 * variable, NEVER or MAY_SETTLE.
 */
export function neverSettlingVariables(
  dependencies: DependencyLists,
  waiting: (v: number) => Waiting,
  possible: (v: number) => boolean,
): Uint8Array {
  const { count, start, list } = dependencies;
  const depCount = start[count];
  // Who depends on each variable, for the worklist.
  const dependentOf = new Int32Array(depCount);
  for (let v = 0; v < count; v++) dependentOf.fill(v, start[v], start[v + 1]);
  const { start: dependentStart, list: dependents } = groupBy(list, dependentOf, depCount, count);

  const possibleFlag = new Uint8Array(count); // NOT_KNOWN, KNOWN_NO or KNOWN_YES
  const isPossible = (v: number): boolean => {
    if (possibleFlag[v] === NOT_KNOWN) possibleFlag[v] = possible(v) ? KNOWN_YES : KNOWN_NO;
    return possibleFlag[v] === KNOWN_YES;
  };

  // Everything starts as "never" and is cleared by evidence.
  const never = new Uint8Array(count).fill(NEVER);
  const work = new Int32Array(count + depCount); // each variable once, plus one push per dependency at most
  let top = 0;
  // Variables without dependencies on top: clearing those first clears what waits on them before
  // its `possible` is ever needed (the result does not depend on the order).
  for (let v = 0; v < count; v++) if (start[v] !== start[v + 1]) work[top++] = v;
  for (let v = 0; v < count; v++) if (start[v] === start[v + 1]) work[top++] = v;
  while (top > 0) {
    const v = work[--top];
    if (never[v] === MAY_SETTLE) continue;
    const from = start[v];
    const end = start[v + 1];
    let stays: boolean;
    if (from === end) {
      stays = isPossible(v);
    } else {
      const any = waiting(v) === WAITS_FOR_ANY;
      stays = !any;
      for (let j = from; j < end; j++) {
        if ((never[list[j]] === NEVER) === any) {
          stays = any;
          break;
        }
      }
      stays = stays && isPossible(v);
    }
    if (stays) continue;
    never[v] = MAY_SETTLE;
    for (let j = dependentStart[v], jEnd = dependentStart[v + 1]; j < jEnd; j++) {
      const dependent = dependents[j];
      if (never[dependent] === NEVER) work[top++] = dependent;
    }
  }
  return never;
}

/** How a promise variable is settled. */
export const SETTLED_BY_PRODUCER = 0; // an async function's, a combinator's, a `.then` step's own promise
export const SETTLED_BY_SOURCES = 1; // resolved with other pending promises (looked through)
export const SETTLED_BY_ITSELF = 2; // a bare leaf: by whoever holds its resolving functions

export interface AwaitVariables {
  /** Node i is variable i; promise variables follow, in the order first met. */
  lists: DependencyLists;
  /** Per node: how it waits for its dependencies (Promise.allSettled waits for any). */
  nodeWaiting: ArrayLike<Waiting>;
  /** Per promise variable (index v - nodes.length): its heap ordinal, and how it is settled. */
  promises: ArrayLike<number>;
  promiseSettledBy: ArrayLike<number>;
  /** The promises each node produces (its own, a step's derived one, a combinator's). */
  owned: { start: ArrayLike<number>; list: ArrayLike<number> };
}

/**
 * The variables of the never-settles pass. Flat typed arrays, no object or array per variable:
 * 100k pending chains make about 800k variables. `heapCount` bounds the trace's promise ordinals.
 */
export function awaitVariables(nodes: readonly FoundNode[], trace: AwaitGraphTrace, heapCount: number): AwaitVariables {
  const nodeCount = nodes.length;
  const isLeaf = new Uint8Array(nodeCount);
  const nodeWaiting = new Uint8Array(nodeCount) as Uint8Array & ArrayLike<Waiting>;
  for (let i = 0; i < nodeCount; i++) {
    const node = nodes[i];
    isLeaf[i] = node.kind === 'promise' ? 1 : 0;
    nodeWaiting[i] = node.combinator === 'allSettled' ? WAITS_FOR_ANY : WAITS_FOR_ALL;
  }

  // The promises each node produces (its own, a step's derived one, a combinator's), in trace
  // order; and every promise's producer by heap ordinal (the trace's promises are ordinals of
  // this heap), read below once per promise variable: cheaper than Map lookups.
  const ownerPlusOne = new Int32Array(heapCount); // 0: no producer
  const ownedNode = new IntList(trace.promiseNode.size);
  const ownedPromise = new IntList(trace.promiseNode.size);
  // forEach, not for-of: no [key, value] array per entry.
  trace.promiseNode.forEach((index, promise) => {
    ownerPlusOne[promise] = index + 1;
    if (isLeaf[index] === 1) return;
    ownedNode.push(index);
    ownedPromise.push(promise);
  });
  const owned = groupBy(ownedNode.data, ownedPromise.data, ownedNode.length, nodeCount);

  // Promise variables in the order first met.
  const promises = new IntList(1024);
  const varPlusOne = new Int32Array(heapCount); // 0: no variable yet
  const varOfPromise = (promise: number): number => {
    const known = varPlusOne[promise];
    if (known !== 0) return known - 1;
    const v = nodeCount + promises.length;
    promises.push(promise);
    varPlusOne[promise] = v + 1;
    return v;
  };

  // What each node waits for, as (node, variable) pairs, then grouped by node.
  const consumedCount = trace.consumedPromise.length;
  const inputNode = new IntList(consumedCount + trace.resolvedBy.size);
  const inputVar = new IntList(consumedCount + trace.resolvedBy.size);
  for (let k = 0; k < consumedCount; k++) {
    inputNode.push(trace.consumedBy[k]);
    inputVar.push(varOfPromise(trace.consumedPromise[k]));
  }
  trace.resolvedBy.forEach((sources, promise) => {
    const owner = ownerPlusOne[promise] - 1;
    if (owner < 0 || isLeaf[owner] === 1) return;
    for (const { source } of sources) {
      inputNode.push(owner);
      inputVar.push(varOfPromise(source));
    }
  });
  const inputs = groupBy(inputNode.data, inputVar.data, inputNode.length, nodeCount);

  // Dependencies of every variable, in variable order (CSR: depStart[v]..depStart[v + 1]).
  const depStart = new IntList(2 * nodeCount + promises.length + 1);
  const deps = new IntList(inputVar.length + nodeCount + promises.length);
  const seen = new Int32Array(nodeCount + promises.length); // node i + 1: already a dep of node i
  for (let i = 0; i < nodeCount; i++) {
    depStart.push(deps.length);
    if (isLeaf[i] === 1) {
      deps.push(varOfPromise(nodes[i].heapNode));
      continue;
    }
    for (let j = inputs.start[i], end = inputs.start[i + 1]; j < end; j++) {
      const dep = inputs.list[j];
      if (seen[dep] === i + 1) continue;
      seen[dep] = i + 1;
      deps.push(dep);
    }
  }
  // Promises (the list grows meanwhile: sources of looked-through promises get variables too).
  const promiseKind = new IntList(promises.length);
  for (let k = 0; k < promises.length; k++) {
    const promise = promises.data[k];
    depStart.push(deps.length);
    const owner = ownerPlusOne[promise] - 1;
    if (owner >= 0 && isLeaf[owner] === 0) {
      promiseKind.push(SETTLED_BY_PRODUCER);
      deps.push(owner);
      continue;
    }
    const sources = trace.resolvedBy.get(promise);
    if (sources !== undefined && sources.length > 0) {
      promiseKind.push(SETTLED_BY_SOURCES);
      for (const { source } of sources) deps.push(varOfPromise(source));
    } else {
      promiseKind.push(SETTLED_BY_ITSELF);
    }
  }
  depStart.push(deps.length);
  return {
    lists: { count: nodeCount + promises.length, start: depStart.data, list: deps.data },
    nodeWaiting,
    promises: promises.data,
    promiseSettledBy: promiseKind.data,
    owned,
  };
}
