// How a node is named to a person, and the one order nodes are listed in.

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
