import type { AwaitNode } from './types.js';

/**
 * Await cycles: strongly connected components of the awaited-by relation with more than one
 * node, or a node awaiting itself. Each is reported as one loop through its smallest id,
 * smallest id first. Iterative (Tarjan) so a deep graph cannot overflow the stack; nodes are
 * numbered once and the walk runs on typed arrays, as graphs reach millions of nodes.
 */
export function findCycles(nodes: AwaitNode[]): number[][] {
  // Each distinct id gets a slot, in order of first appearance; its node is the last one with
  // that id (as a Map built in order would keep).
  const slot = new Map<number, number>();
  const ids: number[] = [];
  const nodeOf: number[] = [];
  for (let k = 0; k < nodes.length; k++) {
    const id = nodes[k].id;
    const known = slot.get(id);
    if (known === undefined) {
      slot.set(id, ids.length);
      ids.push(id);
      nodeOf.push(k);
    } else nodeOf[known] = k;
  }
  const count = ids.length;
  // Successors of slot k: targets[first[k] .. first[k + 1]), edges to unknown ids dropped.
  const first = new Int32Array(count + 1);
  const targets: number[] = [];
  for (let k = 0; k < count; k++) {
    first[k] = targets.length;
    for (const to of nodes[nodeOf[k]].awaitedBy) {
      const s = slot.get(to);
      if (s !== undefined) targets.push(s);
    }
  }
  first[count] = targets.length;

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
  const sortedIds = Float64Array.from(ids).sort();
  for (let k = 0; k < count; k++) {
    const start = slot.get(sortedIds[k])!;
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
function loopThrough(component: number[], ids: number[], first: Int32Array, targets: number[]): number[] {
  const members = new Set(component);
  const start = component.reduce((best, slot) => (ids[slot] < ids[best] ? slot : best));
  const cameFrom = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const slot = queue[head];
    const successors = targets.slice(first[slot], first[slot + 1]).sort((a, b) => ids[a] - ids[b]);
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
