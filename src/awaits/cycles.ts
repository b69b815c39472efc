import { groupBy, IntList } from '../snapshot/csr.js';
import { IdIndex } from '../snapshot/id-index.js';
import type { AwaitNode } from '../schema.js';
import type { AwaitsByPosition } from './await-edges.js';

/**
 * Await cycles: strongly connected components of the awaited-by relation with more than one
 * node, or a node awaiting itself. Each is reported as one loop through its smallest id,
 * smallest id first. Iterative (Tarjan) so a deep graph cannot overflow the stack; nodes are
 * numbered once and the walk runs on typed arrays, as graphs reach millions of nodes.
 */
export function findCycles(nodes: readonly AwaitNode[], graph?: AwaitsByPosition): number[][] {
  const { ids, slot, first, targets, edgeCount } = graph && graph.position.size === nodes.length ? fromPositions(nodes, graph) : slotsOf(nodes);
  const count = ids.length;
  const onCycle = mayBeOnCycle(count, first, targets, edgeCount);

  const index = new Int32Array(count).fill(-1);
  const lowLink = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack = new Int32Array(count);
  let stackSize = 0;
  // The DFS path: slots and the next successor to try of each.
  const pathNode = new Int32Array(count);
  const pathNext = new Int32Array(count);
  const cycles: number[][] = [];
  let counter = 0;

  // Walks start at each id in ascending order (a numeric typed-array sort, no comparator).
  const sortedIds = Float64Array.from(ids.filter((_, k) => onCycle[k] === 1)).sort();
  for (let k = 0; k < sortedIds.length; k++) {
    const start = slot.get(sortedIds[k]);
    if (index[start] >= 0) continue;
    let depth = 0;
    pathNode[0] = start;
    pathNext[0] = first[start];
    index[start] = lowLink[start] = counter++;
    stack[stackSize++] = start;
    onStack[start] = 1;
    while (depth >= 0) {
      const node = pathNode[depth];
      if (pathNext[depth] < first[node + 1]) {
        const to = targets[pathNext[depth]++];
        if (onCycle[to] === 0) continue;
        if (index[to] < 0) {
          index[to] = lowLink[to] = counter++;
          stack[stackSize++] = to;
          onStack[to] = 1;
          depth++;
          pathNode[depth] = to;
          pathNext[depth] = first[to];
        } else if (onStack[to]) {
          lowLink[node] = Math.min(lowLink[node], index[to]);
        }
        continue;
      }
      depth--;
      if (depth >= 0) {
        const parent = pathNode[depth];
        lowLink[parent] = Math.min(lowLink[parent], lowLink[node]);
      }
      if (lowLink[node] === index[node]) {
        if (stack[stackSize - 1] === node) {
          // A component of one node (the usual case): a cycle only if it awaits itself.
          stackSize--;
          onStack[node] = 0;
          for (let e = first[node]; e < first[node + 1]; e++) {
            if (targets[e] === node) {
              cycles.push([ids[node]]);
              break;
            }
          }
          continue;
        }
        const component: number[] = [];
        let member: number;
        do {
          member = stack[--stackSize];
          onStack[member] = 0;
          component.push(member);
        } while (member !== node);
        cycles.push(loopThrough(component, ids, first, targets));
      }
    }
  }
  return cycles.sort((a, b) => a[0] - b[0]);
}

/** The shortest loop from the component's smallest id back to itself (breadth-first), as ids. */
function loopThrough(component: number[], ids: number[], first: Int32Array, targets: Int32Array): number[] {
  const members = new Set(component);
  const start = component.reduce((best, slot) => (ids[slot] < ids[best] ? slot : best));
  const cameFrom = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const slot = queue[head];
    const successors = Array.from(targets.subarray(first[slot], first[slot + 1])).sort((a, b) => ids[a] - ids[b]);
    for (const to of successors) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [ids[slot]];
        for (let at = slot; at !== start; ) {
          at = cameFrom.get(at)!;
          path.push(ids[at]);
        }
        return path.reverse();
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, slot);
        queue.push(to);
      }
    }
  }
  return [ids[start]];
}

/** The walk's input: distinct ids as slots, and each slot's successors (its awaiters' slots). */
interface Slots {
  ids: number[];
  slot: IdIndex;
  /** Successors of slot k: targets[first[k] .. first[k + 1]), edges to unknown ids dropped. */
  first: Int32Array;
  targets: Int32Array;
  edgeCount: number;
}

/** Slots for a list with distinct ids, from an index already built: slot = position. */
function fromPositions(nodes: readonly AwaitNode[], graph: AwaitsByPosition): Slots {
  const ids = nodes.map((node) => node.id);
  return { ids, slot: graph.position, first: graph.awaiterStart, targets: graph.awaiterList, edgeCount: graph.awaiterList.length };
}

/**
 * Each distinct id gets a slot, in order of first appearance; its node is the last one with that
 * id (as a Map built in order would keep).
 */
function slotsOf(nodes: readonly AwaitNode[]): Slots {
  const slot = new IdIndex(nodes.length);
  const ids: number[] = [];
  const nodeOf: number[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const known = slot.add(nodes[k].id, ids.length);
    if (known === ids.length) {
      ids.push(nodes[k].id);
      nodeOf.push(k);
    } else nodeOf[known] = k;
  }
  const count = ids.length;
  const first = new Int32Array(count + 1);
  const edges = new IntList(count);
  for (let k = 0; k < count; k++) {
    first[k] = edges.length;
    for (const to of nodes[nodeOf[k]].awaitedBy) {
      const s = slot.get(to);
      if (s !== -1) edges.push(s);
    }
  }
  first[count] = edges.length;
  return { ids, slot, first, targets: edges.data, edgeCount: edges.length };
}

/**
 * 1 for the slots that can be on a cycle: what is left after repeatedly dropping slots with no
 * successor or no predecessor among those left. A forest of chains (the usual graph) drops
 * entirely, so the walk that finds components only sees the rest.
 */
function mayBeOnCycle(count: number, first: Int32Array, targets: Int32Array, edgeCount: number): Uint8Array {
  const outDegree = new Int32Array(count);
  const inDegree = new Int32Array(count);
  for (let k = 0; k < count; k++) outDegree[k] = first[k + 1] - first[k];
  for (let e = 0; e < edgeCount; e++) inDegree[targets[e]]++;
  const predecessors = groupBy(targets, sourcesOf(count, first, edgeCount), edgeCount, count);
  const alive = new Uint8Array(count).fill(1);
  const queue = new Int32Array(count);
  let tail = 0;
  for (let k = 0; k < count; k++) {
    if (outDegree[k] === 0 || inDegree[k] === 0) {
      alive[k] = 0;
      queue[tail++] = k;
    }
  }
  for (let head = 0; head < tail; head++) {
    const gone = queue[head];
    for (let e = first[gone]; e < first[gone + 1]; e++) {
      const to = targets[e];
      if (alive[to] === 1 && --inDegree[to] === 0) {
        alive[to] = 0;
        queue[tail++] = to;
      }
    }
    for (let e = predecessors.start[gone]; e < predecessors.start[gone + 1]; e++) {
      const from = predecessors.list[e];
      if (alive[from] === 1 && --outDegree[from] === 0) {
        alive[from] = 0;
        queue[tail++] = from;
      }
    }
  }
  return alive;
}

/** The source slot of each edge (edges are grouped by source in `first`). */
function sourcesOf(count: number, first: Int32Array, edgeCount: number): Int32Array {
  const sources = new Int32Array(edgeCount);
  for (let k = 0; k < count; k++) sources.fill(k, first[k], first[k + 1]);
  return sources;
}
