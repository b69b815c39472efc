import type { AwaitNode } from '../schema.js';
import { awaitsByPositionOf } from '../awaits/await-edges.js';

const NONE: ReadonlyMap<number, readonly AwaitNode[]> = new Map();
const stepsOf = new WeakMap<readonly AwaitNode[], ReadonlyMap<number, readonly AwaitNode[]>>();

/**
 * `.then`/`.catch`/`.finally` steps that only observe a promise others await: nothing awaits the
 * step's own promise, and every promise it waits for has another awaiter (generic-pool attaches
 * `.catch(() => {})` to each request's promise to keep it from being unhandled). They are drawn
 * with the promise they observe, not as roots of their own. Found once per node list (see
 * awaitsByPositionOf): the views ask several times.
 */
export function observerSteps(nodes: readonly AwaitNode[]): ReadonlyMap<number, readonly AwaitNode[]> {
  let found = stepsOf.get(nodes);
  if (!found) stepsOf.set(nodes, (found = findObserverSteps(nodes)));
  return found;
}

function findObserverSteps(nodes: readonly AwaitNode[]): ReadonlyMap<number, readonly AwaitNode[]> {
  const candidates: AwaitNode[] = [];
  for (const node of nodes) if (node.kind === 'then' && node.awaitedBy.length === 0) candidates.push(node);
  if (candidates.length === 0) return NONE;
  const observed = new Map<number, AwaitNode[]>();
  const { childStart, childList, position } = awaitsByPositionOf(nodes);
  for (const step of candidates) {
    const at = position.get(step.id);
    const from = childStart[at];
    const to = childStart[at + 1];
    let observes = to > from;
    for (let k = from; observes && k < to; k++) {
      observes = nodes[childList[k]].awaitedBy.some((id) => id !== step.id && position.get(id) !== -1);
    }
    if (!observes) continue;
    for (let k = from; k < to; k++) {
      const target = nodes[childList[k]];
      const list = observed.get(target.id);
      if (list) list.push(step);
      else observed.set(target.id, [step]);
    }
  }
  return observed;
}
