// What the graph drawings (dot, mermaid) share. Pure.

import { foldGroups } from '../views/collapse.js';
import { compareNodes, displayName } from '../document/order.js';
import { nodeLocationText, type LocationStyle } from './location.js';
import type { AwaitGraphDocument, AwaitNode } from '../schema.js';
import { awaitsIndex } from '../awaits/await-edges.js';

/** `awaiter>awaited` for every edge between two nodes of the same await cycle. */
export function cycleEdges(doc: AwaitGraphDocument): Set<string> {
  const edges = new Set<string>();
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  for (const cycle of doc.cycles) {
    const members = new Set(cycle);
    for (const id of cycle) {
      for (const awaiter of byId.get(id)?.awaitedBy ?? []) if (members.has(awaiter)) edges.add(`${awaiter}>${id}`);
    }
  }
  return edges;
}

/** `pid 42, node v20.0.0 — 3 suspended frames, 1 pending promise[, 1 await cycle]` */
export function graphTitle(doc: AwaitGraphDocument): string {
  const frames = doc.nodes.filter((n) => n.kind === 'async-function' || n.kind === 'async-generator' || n.kind === 'module').length;
  const pending = doc.nodes.filter((n) => n.kind === 'promise').length;
  const who = [doc.target.pid !== null ? `pid ${doc.target.pid}` : doc.target.url, doc.target.nodeVersion ? `node ${doc.target.nodeVersion}` : undefined]
    .filter(Boolean)
    .join(', ');
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const counts = [plural(frames, 'suspended frame'), plural(pending, 'pending promise')];
  if (doc.cycles.length > 0) counts.push(plural(doc.cycles.length, 'await cycle'));
  return `${who} — ${counts.join(', ')}`;
}

/** Every node once, depth first from the roots in tree order, then what only cycles reach. */
export function readingOrder(nodes: readonly AwaitNode[]): AwaitNode[] {
  const children = awaitsIndex(nodes);
  for (const list of children.values()) list.sort(compareNodes);
  const seen = new Set<number>();
  const out: AwaitNode[] = [];
  const visit = (start: AwaitNode) => {
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      out.push(node);
      const kids = children.get(node.id) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) if (!seen.has(kids[i].id)) stack.push(kids[i]);
    }
  };
  for (const root of nodes.filter((node) => node.awaitedBy.length === 0).sort(compareNodes)) visit(root);
  for (const node of nodes) visit(node);
  return out;
}

/** What both picture formats draw: groups folded, nodes in reading order, cycle marks. */
export interface DrawableGraph {
  nodes: AwaitNode[];
  /** Member count of each folded group's representative. */
  counts: Map<number, number>;
  visible: Set<number>;
  /** `awaiter>awaited` keys of edges on a cycle. */
  cycleEdges: Set<string>;
  onCycle: Set<number>;
}

export function drawableGraph(doc: AwaitGraphDocument): DrawableGraph {
  const folded = foldGroups(doc.nodes);
  // In the tree's reading order, which Graphviz and Mermaid keep left to right.
  const nodes = readingOrder(folded.nodes);
  return {
    nodes,
    counts: folded.counts,
    visible: new Set(nodes.map((node) => node.id)),
    cycleEdges: cycleEdges(doc),
    onCycle: new Set(doc.cycles.flat()),
  };
}

/** A node's label lines: its name, where it waits, its group count, a depth cut. */
export function nodeLabelLines(node: AwaitNode, counts: Map<number, number>, style: Pick<LocationStyle, 'cwd'>): string[] {
  const lines = [displayName(node)];
  const where = nodeLocationText(node, style);
  if (where) lines.push(where);
  const count = counts.get(node.id);
  if (count) lines.push(`× ${count}`);
  if (node.truncated) lines.push('…');
  return lines;
}
