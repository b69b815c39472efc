import { describe, expect, it } from 'vitest';
import { findCycles } from '../../src/awaits/cycles.js';
import type { AwaitNode } from '../../src/schema.js';
import { awaitsByPosition } from '../../src/awaits/await-edges.js';

function graph(edges: Record<number, number[]>): AwaitNode[] {
  return Object.entries(edges).map(([id, awaitedBy]) => ({
    id: Number(id),
    kind: 'async-function',
    name: `f${id}`,
    location: null,
    locationSource: 'none',
    awaitedBy,
  }));
}

/**
 * The definition, computed the slow way: components of mutual reachability with more than one
 * node or a self-edge, each as the shortest loop from its smallest id (successors tried in id
 * order), sorted by that id.
 */
function reference(nodes: AwaitNode[]): number[][] {
  const successors = new Map<number, number[]>();
  for (const node of nodes) successors.set(node.id, node.awaitedBy.filter((to) => nodes.some((n) => n.id === to)));
  const reach = (from: number) => {
    const seen = new Set<number>();
    const work = [...(successors.get(from) ?? [])];
    while (work.length > 0) {
      const id = work.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      work.push(...(successors.get(id) ?? []));
    }
    return seen;
  };
  const reachable = new Map([...successors.keys()].map((id) => [id, reach(id)]));
  const done = new Set<number>();
  const cycles: number[][] = [];
  for (const id of [...successors.keys()].sort((a, b) => a - b)) {
    if (done.has(id) || !reachable.get(id)!.has(id)) continue;
    const members = [...successors.keys()].filter((other) => reachable.get(id)!.has(other) && reachable.get(other)!.has(id));
    members.forEach((member) => done.add(member));
    const cameFrom = new Map<number, number>();
    const queue = [id];
    let loop: number[] | undefined;
    for (let head = 0; head < queue.length && !loop; head++) {
      const at = queue[head];
      for (const to of [...successors.get(at)!].sort((a, b) => a - b)) {
        if (!members.includes(to)) continue;
        if (to === id) {
          loop = [at];
          for (let back = at; back !== id; ) loop.push((back = cameFrom.get(back)!));
          loop.reverse();
          break;
        }
        if (!cameFrom.has(to)) {
          cameFrom.set(to, at);
          queue.push(to);
        }
      }
    }
    cycles.push(loop!);
  }
  return cycles.sort((a, b) => a[0] - b[0]);
}

describe('findCycles', () => {
  it('finds loops, self-awaits and nothing in trees', () => {
    expect(findCycles(graph({ 1: [2], 2: [3], 3: [] }))).toEqual([]);
    expect(findCycles(graph({ 5: [5], 1: [2], 2: [1], 3: [4] }))).toEqual([[1, 2], [5]]);
    expect(findCycles(graph({ 9: [7], 7: [8, 3], 8: [9], 3: [] }))).toEqual([[7, 8, 9]]);
  });

  it('matches the definition on random graphs', () => {
    let seed = 1;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 500; round++) {
      const count = 1 + Math.floor(random() * 25);
      const ids = Array.from({ length: count }, (_, k) => 2 * k + 1 + Math.floor(random() * 2) * 1000);
      const edges: Record<number, number[]> = {};
      for (const id of ids) {
        edges[id] = Array.from({ length: Math.floor(random() * 3) }, () => (random() < 0.9 ? ids[Math.floor(random() * count)] : 99_999));
      }
      const nodes = graph(edges);
      const expected = reference(nodes);
      expect(findCycles(nodes)).toEqual(expected);
      // The document's way: with its awaiters already indexed by position.
      expect(findCycles(nodes, awaitsByPosition(nodes))).toEqual(expected);
    }
  });

  it('walks a deep graph without recursion', () => {
    const nodes = graph(Object.fromEntries(Array.from({ length: 200_000 }, (_, k) => [k + 1, k + 1 < 200_000 ? [k + 2] : [1]])));
    const [cycle] = findCycles(nodes);
    expect(cycle).toHaveLength(200_000);
    expect(cycle[0]).toBe(1);
    expect(findCycles(nodes, awaitsByPosition(nodes))).toEqual([cycle]);
  });
});
