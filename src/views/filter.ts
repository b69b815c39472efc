// `--no-internals`, `--filter <text>`, `--depth N`: what a person asked to see, as a transformation
// of the document that every output format then renders (JSON included: the document says what
// was left out in its `filter` field). Pure.

import { setKeyAfter } from './collapse.js';
import { findCycles } from '../awaits/cycles.js';
import { displayName } from '../document/order.js';
import type { AwaitGraphDocument, AwaitNode, DocumentFilter, SourceLocation, ViewCounts } from '../schema.js';
import { awaitsByPositionOf, nodesById } from '../awaits/await-edges.js';
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
  // The CLI asks up to three times for one view (--fail-on, the view, the nothing-matched note).
  const key = JSON.stringify([options.noInternals, options.text, options.depth]);
  let views = filteredOf.get(doc);
  if (!views) filteredOf.set(doc, (views = new Map()));
  let filtered = views.get(key);
  if (!filtered) views.set(key, (filtered = filterOnce(doc, options)));
  return filtered;
}

const filteredOf = new WeakMap<AwaitGraphDocument, Map<string, AwaitGraphDocument>>();

function filterOnce(doc: AwaitGraphDocument, options: FilterOptions): AwaitGraphDocument {
  let nodes = doc.nodes;
  if (options.noInternals) nodes = hideInternals(nodes);
  let matched: number | undefined;
  if (options.text) {
    const matches = textMatcher(options.text);
    const hits: number[] = [];
    for (let at = 0; at < nodes.length; at++) if (matches(nodes[at])) hits.push(at);
    matched = hits.length;
    nodes = keepPathsFrom(nodes, hits);
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
  let out = { ...doc, nodes, cycles: findCycles(nodes, awaitsByPositionOf(nodes)) };
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
  const byId = nodesById(nodes);
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
  return textMatcher(needle)(node);
}

/**
 * matchesText for one needle over many nodes: each distinct name, URL and location is looked
 * at once (nodes at one place share their strings and location object).
 */
function textMatcher(needle: string): (node: AwaitNode) => boolean {
  const lower = needle.toLowerCase();
  const textHits = new Map<string, boolean>();
  const mentions = (text: string) => {
    let hit = textHits.get(text);
    if (hit === undefined) textHits.set(text, (hit = text.toLowerCase().includes(lower)));
    return hit;
  };
  const paths = new Map<string, string>();
  const locationHits = new Map<object, boolean>();
  const placeMentions = (location: SourceLocation) => {
    let hit = locationHits.get(location);
    if (hit !== undefined) return hit;
    let url = paths.get(location.url);
    if (url === undefined) {
      url = location.url;
      try {
        if (url.startsWith('file:')) url = decodeURIComponent(new URL(url).pathname);
      } catch {
        // keep the URL as it is
      }
      paths.set(location.url, url);
    }
    hit = `${url}:${location.line}:${location.column}`.toLowerCase().includes(lower);
    locationHits.set(location, hit);
    return hit;
  };
  return (node) =>
    mentions(displayName(node)) ||
    mentions(node.name) ||
    mentions(node.qualifiedName ?? '') ||
    (!!node.location && placeMentions(node.location)) ||
    (!!node.generatedLocation && placeMentions(node.generatedLocation));
}

/** The matching nodes, everything that awaits them (up to the roots) and everything they await. */
export function keepPathsThrough(nodes: readonly AwaitNode[], needle: string): AwaitNode[] {
  const matches = textMatcher(needle);
  const hits: number[] = [];
  for (let at = 0; at < nodes.length; at++) if (matches(nodes[at])) hits.push(at);
  return keepPathsFrom(nodes, hits);
}

/** keepPathsThrough from the matching nodes' positions. */
function keepPathsFrom(nodes: readonly AwaitNode[], hits: readonly number[]): AwaitNode[] {
  const { position } = awaitsByPositionOf(nodes);
  const kept = new Kept(nodes.length, position);
  // Up: every awaiter, also one the list does not hold (its id stays in `awaitedBy`).
  const up = hits.map((at) => nodes[at].id);
  const upSeen = new Kept(nodes.length, position);
  while (up.length > 0) {
    const id = up.pop()!;
    if (upSeen.has(id)) continue;
    upSeen.add(id);
    kept.add(id);
    const at = position.get(id);
    if (at !== -1) for (const awaiter of nodes[at].awaitedBy) up.push(awaiter);
  }
  keepAwaited(nodes, hits, kept);
  return restrict(nodes, kept);
}

/** Keeps the nodes at `starts` and everything they await. */
function keepAwaited(nodes: readonly AwaitNode[], starts: readonly number[], kept: Kept): void {
  const { childStart, childList } = awaitsByPositionOf(nodes);
  const seen = new Uint8Array(nodes.length);
  const work = [...starts];
  while (work.length > 0) {
    const at = work.pop()!;
    if (seen[at] === 1) continue;
    seen[at] = 1;
    kept.add(nodes[at].id);
    for (let k = childStart[at]; k < childStart[at + 1]; k++) work.push(childList[k]);
  }
}

/**
 * The first `depth` levels: roots are level 1, what they await level 2… A node's level is its
 * shortest distance from a root (from the smallest id of its cycle, for nodes only a cycle reaches).
 * A kept node that awaits a dropped one is marked `truncated`.
 */
export function keepDepth(nodes: readonly AwaitNode[], depth: number): AwaitNode[] {
  const graph = awaitsByPositionOf(nodes);
  const { childStart, childList, position } = graph;
  // 0: not reached.
  const level = new Int32Array(nodes.length);
  const spread = (starts: number[]) => {
    let frontier = starts.filter((at) => level[at] === 0);
    for (const at of frontier) level[at] = 1;
    for (let current = 1; frontier.length > 0; current++) {
      const next: number[] = [];
      for (const at of frontier) {
        for (let k = childStart[at]; k < childStart[at + 1]; k++) {
          const child = childList[k];
          if (level[child] !== 0) continue;
          level[child] = current + 1;
          next.push(child);
        }
      }
      frontier = next;
    }
  };
  const roots: number[] = [];
  for (let at = 0; at < nodes.length; at++) if (nodes[at].awaitedBy.length === 0) roots.push(at);
  spread(roots);
  for (const cycle of findCycles(nodes, graph)) {
    const start = position.get(cycle[0]);
    if (start !== -1 && level[start] === 0) spread([start]);
  }
  const kept = new Kept(nodes.length, position);
  for (let at = 0; at < nodes.length; at++) if (level[at] !== 0 && level[at] <= depth) kept.add(nodes[at].id);
  const truncated = (at: number) => {
    for (let k = childStart[at]; k < childStart[at + 1]; k++) if (!kept.has(nodes[childList[k]].id)) return true;
    return false;
  };
  const out: AwaitNode[] = [];
  for (let at = 0; at < nodes.length; at++) {
    if (!kept.has(nodes[at].id)) continue;
    const node = restricted(nodes[at], kept);
    out.push(truncated(at) ? { ...node, truncated: true as const } : node);
  }
  return out;
}

/** The node and everything it awaits, down to the leaves; its own awaiters are left out. */
export function keepAwaitedFrom(nodes: readonly AwaitNode[], rootId: number): AwaitNode[] {
  const { position } = awaitsByPositionOf(nodes);
  const root = position.get(rootId);
  if (root === -1) return [];
  const kept = new Kept(nodes.length, position);
  keepAwaited(nodes, [root], kept);
  return restrict(nodes, kept);
}

/** A set of ids: by position for the list's own, in a Set for others. */
class Kept {
  private readonly atPosition: Uint8Array;
  private readonly others = new Set<number>();

  constructor(
    count: number,
    private readonly position: { get(id: number): number },
  ) {
    this.atPosition = new Uint8Array(count);
  }

  add(id: number): void {
    const at = this.position.get(id);
    if (at === -1) this.others.add(id);
    else this.atPosition[at] = 1;
  }

  has(id: number): boolean {
    const at = this.position.get(id);
    return at === -1 ? this.others.has(id) : this.atPosition[at] === 1;
  }
}

/** The kept nodes, in their order, with edges to dropped awaiters removed. */
function restrict(nodes: readonly AwaitNode[], kept: Kept): AwaitNode[] {
  const out: AwaitNode[] = [];
  for (const node of nodes) if (kept.has(node.id)) out.push(restricted(node, kept));
  return out;
}

/** The node without its edges to dropped awaiters. */
function restricted(node: AwaitNode, kept: Kept): AwaitNode {
  return node.awaitedBy.every((id) => kept.has(id)) ? node : { ...node, awaitedBy: node.awaitedBy.filter((id) => kept.has(id)) };
}
