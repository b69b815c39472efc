import type { AwaitNode } from './types.js';

/** How a node is named to a person: `.then(fn)`, `module app.mjs`, `async* gen`, `Class.method`. */
export function displayName(node: AwaitNode | undefined): string {
  if (!node) return '?';
  switch (node.kind) {
    case 'then':
      return `.${node.thenMethod ?? 'then'}(${node.name})`;
    case 'module':
      return `module ${node.name}`;
    case 'async-generator':
      return `async* ${node.qualifiedName ?? node.name}`;
    case 'promise':
      return 'Promise <pending>';
    default:
      return node.qualifiedName ?? node.name;
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
