// `--no-internals`, `--filter <text>`, `--depth N`: what a person asked to see, as a transformation
// of the document that every output format then renders (JSON included: the document says what
// was left out in its `filter` field). Pure.

import { setKeyAfter } from './collapse.js';
import { findCycles } from '../awaits/cycles.js';
import { displayName } from '../document/order.js';
import type { AwaitGraphDocument, AwaitNode, DocumentFilter, ViewCounts } from '../schema.js';
import { awaitsIndex } from '../awaits/await-edges.js';
import { siblingGroups } from '../document/sibling-groups.js';

export interface FilterOptions {
  /** Hide Node's own frames (`node:` URLs), keeping the awaits through them as direct edges. */
  noInternals?: boolean;
  /** Keep only the paths through nodes whose name or location contains this text (case-insensitive). */
  text?: string;
  /** Keep only this many levels, counting the roots as level 1. */
  depth?: number;
}

export function isFiltering(options: FilterOptions): boolean {
  return !!options.noInternals || !!options.text || options.depth !== undefined;
}

/**
 * The document with the filters applied, in this order: internals hidden, then the text filter,
 * then the depth. Cycles and sibling groups are recomputed; `filter` records what was done. A
 * document passed with no filter is returned as it is.
 */
export function filterDocument(doc: AwaitGraphDocument, options: FilterOptions): AwaitGraphDocument {
  if (!isFiltering(options)) return doc;
  let nodes = doc.nodes;
  if (options.noInternals) nodes = hideInternals(nodes);
  let matched: number | undefined;
  if (options.text) {
    const text = options.text;
    matched = nodes.filter((node) => matchesText(node, text)).length;
    nodes = keepPathsThrough(nodes, text);
  }
  if (options.depth !== undefined) nodes = keepDepth(nodes, options.depth);
  const filter: DocumentFilter = {
    ...(options.noInternals ? { noInternals: true as const } : {}),
    ...(options.text ? { text: options.text } : {}),
    ...(options.depth !== undefined ? { depth: options.depth } : {}),
    hiddenNodes: doc.nodes.length - nodes.length,
    ...(matched !== undefined ? { matched } : {}),
    captured: viewCounts(doc),
  };
  let out = { ...doc, nodes, cycles: findCycles(nodes) };
  out = setKeyAfter(out, 'groups', siblingGroups(nodes), 'cycles');
  return setKeyAfter(out, 'filter', filter, 'groups');
}

/** How many nodes, suspended frames and pending promises a document holds (what a header counts). */
export function viewCounts(doc: Pick<AwaitGraphDocument, 'nodes' | 'execution'>): ViewCounts {
  let suspendedFrames = 0;
  let pendingPromises = 0;
  for (const node of doc.nodes) {
    if (node.kind === 'promise') pendingPromises++;
    // Generators on the running stack are not suspended (documents with `execution` only).
    else if ((node.kind === 'async-function' || node.kind === 'async-generator' || node.kind === 'module') && !(doc.execution && node.state === 'running')) {
      suspendedFrames++;
    }
  }
  return { nodes: doc.nodes.length, suspendedFrames, pendingPromises };
}

/** The view options as a person typed them: `--no-internals --filter query --depth 6`. */
export function filterText(filter: Pick<DocumentFilter, 'noInternals' | 'text' | 'depth'>): string {
  const parts: string[] = [];
  if (filter.noInternals) parts.push('--no-internals');
  if (filter.text !== undefined) parts.push(`--filter ${/^[\w./:@-]+$/.test(filter.text) ? filter.text : JSON.stringify(filter.text)}`);
  if (filter.depth !== undefined) parts.push(`--depth ${filter.depth}`);
  return parts.join(' ');
}

/** Internal nodes removed; a node awaited through internal ones is awaited by the nearest visible ones. */
export function hideInternals(nodes: readonly AwaitNode[]): AwaitNode[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const visibleAwaiters = (node: AwaitNode): number[] => {
    const found = new Set<number>();
    const seen = new Set<number>();
    const work = [...node.awaitedBy];
    while (work.length > 0) {
      const id = work.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const awaiter = byId.get(id);
      if (!awaiter) continue;
      if (awaiter.internal) work.push(...awaiter.awaitedBy);
      else found.add(id);
    }
    found.delete(node.id);
    return [...found].sort((a, b) => a - b);
  };
  return nodes
    .filter((node) => !node.internal)
    .map((node) => {
      if (!node.awaitedBy.some((id) => byId.get(id)?.internal)) return node;
      return { ...node, awaitedBy: visibleAwaiters(node) };
    });
}

/** Whether a node's name or location mentions the text. */
export function matchesText(node: AwaitNode, needle: string): boolean {
  const lower = needle.toLowerCase();
  const haystack = [displayName(node), node.name, node.qualifiedName ?? ''];
  for (const location of [node.location, node.generatedLocation]) {
    if (!location) continue;
    let url = location.url;
    try {
      if (url.startsWith('file:')) url = decodeURIComponent(new URL(url).pathname);
    } catch {
      // keep the URL as it is
    }
    haystack.push(`${url}:${location.line}:${location.column}`);
  }
  return haystack.some((text) => text.toLowerCase().includes(lower));
}

/** The matching nodes, everything that awaits them (up to the roots) and everything they await. */
export function keepPathsThrough(nodes: readonly AwaitNode[], needle: string): AwaitNode[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = awaitsIndex(nodes);
  const matched = nodes.filter((node) => matchesText(node, needle));
  const keep = new Set<number>();
  const up = matched.map((node) => node.id);
  const upSeen = new Set<number>();
  while (up.length > 0) {
    const id = up.pop()!;
    if (upSeen.has(id)) continue;
    upSeen.add(id);
    keep.add(id);
    up.push(...(byId.get(id)?.awaitedBy ?? []));
  }
  const down = matched.map((node) => node.id);
  const downSeen = new Set<number>();
  while (down.length > 0) {
    const id = down.pop()!;
    if (downSeen.has(id)) continue;
    downSeen.add(id);
    keep.add(id);
    down.push(...(children.get(id) ?? []).map((child) => child.id));
  }
  return restrict(nodes, keep);
}

/**
 * The first `depth` levels: roots are level 1, what they await level 2… A node's level is its
 * shortest distance from a root (from the smallest id of its cycle, for nodes only a cycle reaches).
 * A kept node that awaits a dropped one is marked `truncated`.
 */
export function keepDepth(nodes: readonly AwaitNode[], depth: number): AwaitNode[] {
  const children = awaitsIndex(nodes);
  const level = new Map<number, number>();
  const spread = (starts: AwaitNode[]) => {
    let frontier = starts.filter((node) => !level.has(node.id));
    for (const node of frontier) level.set(node.id, 1);
    for (let current = 1; frontier.length > 0; current++) {
      const next: AwaitNode[] = [];
      for (const node of frontier) {
        for (const child of children.get(node.id) ?? []) {
          if (level.has(child.id)) continue;
          level.set(child.id, current + 1);
          next.push(child);
        }
      }
      frontier = next;
    }
  };
  spread(nodes.filter((node) => node.awaitedBy.length === 0));
  const byId = new Map(nodes.map((node) => [node.id, node]));
  for (const cycle of findCycles([...nodes])) {
    const start = byId.get(cycle[0]);
    if (start && !level.has(start.id)) spread([start]);
  }
  const keep = new Set([...level].filter(([, at]) => at <= depth).map(([id]) => id));
  return restrict(nodes, keep).map((node) =>
    (children.get(node.id) ?? []).some((child) => !keep.has(child.id)) ? { ...node, truncated: true as const } : node,
  );
}

/** The node and everything it awaits, down to the leaves; its own awaiters are left out. */
export function keepAwaitedFrom(nodes: readonly AwaitNode[], rootId: number): AwaitNode[] {
  const children = awaitsIndex(nodes);
  const keep = new Set<number>();
  const work = [rootId];
  while (work.length > 0) {
    const id = work.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    work.push(...(children.get(id) ?? []).map((child) => child.id));
  }
  return restrict(nodes, keep);
}

/** The kept nodes, in their order, with edges to dropped awaiters removed. */
function restrict(nodes: readonly AwaitNode[], keep: ReadonlySet<number>): AwaitNode[] {
  return nodes
    .filter((node) => keep.has(node.id))
    .map((node) => (node.awaitedBy.every((id) => keep.has(id)) ? node : { ...node, awaitedBy: node.awaitedBy.filter((id) => keep.has(id)) }));
}
