import { groupBy, IntList } from '../snapshot/csr.js';
import { IdIndex } from '../snapshot/id-index.js';
import type { AwaitNode } from '../schema.js';

/** How a node is named to a person: `.then(fn)`, `module app.mjs`, `async* gen`, `Class.method`. */
export function displayName(node: AwaitNode | undefined): string {
  if (!node) return '?';
  switch (node.kind) {
    case 'then':
      return `.${node.thenMethod ?? 'then'}(${node.name})${node.viaHandler ? ' via handler' : ''}`;
    case 'module':
      return `module ${node.name}`;
    case 'async-generator':
      return `async* ${node.qualifiedName ?? node.name}`;
    case 'promise':
      return 'Promise <pending>';
    default:
      return (node.qualifiedName ?? node.name) + (node.linkedBy === 'holder' ? ' (holds its resolve)' : '');
  }
}

/** Deterministic order, the same in every capture of the same program: place in the source, then name, then id. */
export function compareNodes(a: AwaitNode, b: AwaitNode): number {
  const la = a.location;
  const lb = b.location;
  if (la && !lb) return -1;
  if (!la && lb) return 1;
  if (la && lb) {
    if (la.url !== lb.url) return la.url < lb.url ? -1 : 1;
    if (la.line !== lb.line) return la.line - lb.line;
    if (la.column !== lb.column) return la.column - lb.column;
  }
  const na = displayName(a);
  const nb = displayName(b);
  if (na !== nb) return na < nb ? -1 : 1;
  return a.id - b.id;
}

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

/** Kinds of node that are suspended frames (not steps, combinators or promises). */
export const FRAME_KINDS: ReadonlySet<string> = new Set(['async-function', 'async-generator', 'module']);

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
