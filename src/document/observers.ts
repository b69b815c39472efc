import type { AwaitNode } from '../schema.js';
import { awaitsIndex } from '../awaits/await-edges.js';

/**
 * `.then`/`.catch`/`.finally` steps that only observe a promise others await: nothing awaits the
 * step's own promise, and every promise it waits for has another awaiter (generic-pool attaches
 * `.catch(() => {})` to each request's promise to keep it from being unhandled). They are drawn
 * with the promise they observe, not as roots of their own.
 */
export function observerSteps(nodes: readonly AwaitNode[]): Map<number, AwaitNode[]> {
  const observed = new Map<number, AwaitNode[]>();
  const byId = new Map<number, AwaitNode>();
  const candidates: AwaitNode[] = [];
  for (const node of nodes) {
    byId.set(node.id, node);
    if (node.kind === 'then' && node.awaitedBy.length === 0) candidates.push(node);
  }
  if (candidates.length === 0) return observed;
  const awaits = awaitsIndex(nodes);
  for (const step of candidates) {
    const targets = awaits.get(step.id) ?? [];
    if (targets.length === 0 || !targets.every((target) => target.awaitedBy.some((id) => id !== step.id && byId.has(id)))) continue;
    for (const target of targets) {
      const list = observed.get(target.id);
      if (list) list.push(step);
      else observed.set(target.id, [step]);
    }
  }
  return observed;
}
