// What the graph drawings (dot, mermaid) share. Pure.

import { foldGroups } from '../views/collapse.js';
import { compareNodes, displayName } from '../document/order.js';
import { nodeLocationText, type LocationStyle } from './location.js';
import type { AwaitGraphDocument, AwaitNode } from '../schema.js';
import { awaitsByPositionOf, nodesById } from '../awaits/await-edges.js';

/** `awaiter>awaited` for every edge between two nodes of the same await cycle. */
export function cycleEdges(doc: AwaitGraphDocument): Set<string> {
  const edges = new Set<string>();
  if (doc.cycles.length === 0) return edges;
  const byId = nodesById(doc.nodes);
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
  let frames = 0;
  let pending = 0;
  for (const n of doc.nodes) {
    if (n.kind === 'async-function' || n.kind === 'async-generator' || n.kind === 'module') frames++;
    else if (n.kind === 'promise') pending++;
  }
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
  return readingPositions(nodes).map((at) => nodes[at]);
}

/** readingOrder as positions in `nodes`. */
export function readingPositions(nodes: readonly AwaitNode[]): number[] {
  const { childStart, childList } = awaitsByPositionOf(nodes);
  const byTreeOrder = (a: number, b: number) => compareNodes(nodes[a], nodes[b]);
  const seen = new Uint8Array(nodes.length);
  const out: number[] = [];
  const stack: number[] = [];
  const visit = (start: number) => {
    stack.push(start);
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen[at] === 1) continue;
      seen[at] = 1;
      out.push(at);
      const from = childStart[at];
      const to = childStart[at + 1];
      if (to - from === 1) {
        if (seen[childList[from]] === 0) stack.push(childList[from]);
        continue;
      }
      const kids = Array.from(childList.subarray(from, to)).sort(byTreeOrder);
      for (let i = kids.length - 1; i >= 0; i--) if (seen[kids[i]] === 0) stack.push(kids[i]);
    }
  };
  const roots: number[] = [];
  for (let at = 0; at < nodes.length; at++) if (nodes[at].awaitedBy.length === 0) roots.push(at);
  for (const root of roots.sort(byTreeOrder)) visit(root);
  for (let at = 0; at < nodes.length; at++) visit(at);
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
