import type { AwaitNode } from './types.js';

/**
 * Await cycles: strongly connected components of the awaited-by relation with more than one
 * node, or a node awaiting itself. Each is reported as one loop through its smallest id,
 * smallest id first. Iterative (Tarjan) so a deep graph cannot overflow the stack.
 */
export function findCycles(nodes: AwaitNode[]): number[][] {
  const successors = new Map<number, number[]>();
  for (const node of nodes) successors.set(node.id, node.awaitedBy);
  const index = new Map<number, number>();
  const lowLink = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;

  for (const start of [...successors.keys()].sort((a, b) => a - b)) {
    if (index.has(start)) continue;
    const frames: { id: number; next: number }[] = [{ id: start, next: 0 }];
    index.set(start, counter);
    lowLink.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const edges = successors.get(frame.id) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++];
        if (!successors.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          lowLink.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          frames.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          lowLink.set(frame.id, Math.min(lowLink.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].id;
        lowLink.set(parent, Math.min(lowLink.get(parent)!, lowLink.get(frame.id)!));
      }
      if (lowLink.get(frame.id) === index.get(frame.id)) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && edges.includes(frame.id);
        if (component.length > 1 || selfLoop) cycles.push(loopThrough(component, successors));
      }
    }
  }
  return cycles.sort((a, b) => a[0] - b[0]);
}

/** The shortest loop from the component's smallest id back to itself (breadth-first). */
function loopThrough(component: number[], successors: Map<number, number[]>): number[] {
  const members = new Set(component);
  const start = Math.min(...component);
  const cameFrom = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const to of [...(successors.get(id) ?? [])].sort((a, b) => a - b)) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) {
          at = cameFrom.get(at)!;
          path.push(at);
        }
        return path.reverse();
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}
