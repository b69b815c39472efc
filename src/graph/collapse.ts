// Identical sibling subtrees: a server with 10 000 requests stuck at the same await has 10 000
// identical chains under one `Promise.all` (or 10 000 identical roots). Every view that draws the
// forest for a person prints such siblings once, with a count; the JSON keeps every node and lists
// the groups. Pure.

import { wakeupKey } from './wakeup-document.js';
import { displayName } from './order.js';
import type { AwaitGraphDocument, AwaitNode, SiblingGroup } from './types.js';

/**
 * A number per node: two nodes get the same number exactly when their whole subtrees (what they
 * await, transitively) are identical — the same kinds and names at the same locations, in the same
 * shape. Only plain trees compare equal: a node awaited from more than one place, on an await
 * cycle, or with such a node below it gets a number of its own (negative), because the tree draws
 * it differently (`(shown above)`, `↻`) the second time.
 */
export function subtreeSignatures(nodes: readonly AwaitNode[]): Map<number, number> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = childrenOf(nodes);
  const signature = new Map<number, number>();
  const keys = new Map<string, number>();
  const unique = (node: AwaitNode) => -node.id - 1;
  const IN_PROGRESS = 0;

  for (const start of nodes) {
    if (signature.has(start.id)) continue;
    // Iterative post-order, so chains thousands deep do not overflow the stack.
    const stack: { node: AwaitNode; next: number; tainted: boolean }[] = [{ node: start, next: 0, tainted: false }];
    signature.set(start.id, IN_PROGRESS);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const kids = children.get(frame.node.id) ?? [];
      if (frame.next < kids.length) {
        const child = kids[frame.next++];
        const known = signature.get(child.id);
        if (known === undefined) {
          signature.set(child.id, IN_PROGRESS);
          stack.push({ node: child, next: 0, tainted: false });
        } else if (known === IN_PROGRESS) {
          // A cycle: everything on it (and above it) is one of a kind.
          frame.tainted = true;
        }
        continue;
      }
      stack.pop();
      const node = frame.node;
      const kidSignatures = kids.map((kid) => signature.get(kid.id)!);
      let value: number;
      if (frame.tainted || node.awaitedBy.length > 1 || node.awaitedBy.some((id) => !byId.has(id)) || kidSignatures.some((s) => s <= 0)) {
        value = unique(node);
      } else {
        const key = `${nodeKey(node)}\u0000${runLength(kidSignatures)}`;
        value = keys.get(key) ?? keys.size + 1;
        keys.set(key, value);
      }
      signature.set(node.id, value);
    }
  }
  return signature;
}

/** What must be equal for two nodes to print the same line. */
function nodeKey(node: AwaitNode): string {
  const where = node.location ? `${node.location.url}:${node.location.line}:${node.location.column}` : '-';
  return [
    node.kind,
    displayName(node),
    where,
    node.locationSource === 'definition' ? 'definition' : '',
    // `suspended` is only known for frames V8 was asked about; `running` is worth telling apart.
    node.state === 'suspended' ? '' : (node.state ?? ''),
    node.truncated ? 'truncated' : '',
    wakeupKey(node),
  ].join('\u0000');
}

/** Sorted child signatures as `sig*count` runs: ten thousand identical children stay one short key. */
function runLength(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    runs.push(`${sorted[i]}*${j - i}`);
    i = j;
  }
  return runs.join(',');
}

/** For each node, the nodes it awaits, in document order. */
export function childrenOf(nodes: readonly AwaitNode[]): Map<number, AwaitNode[]> {
  const children = new Map<number, AwaitNode[]>();
  for (const node of nodes) {
    for (const awaiter of node.awaitedBy) {
      const list = children.get(awaiter);
      if (list) list.push(node);
      else children.set(awaiter, [node]);
    }
  }
  return children;
}

/**
 * For each node, how many frames in its subtree (itself included) have an exact location: the
 * member of a group with the most stands for the group, so the printed chain shows what V8
 * reported rather than what was inferred.
 */
export function exactScores(nodes: readonly AwaitNode[]): Map<number, number> {
  const children = childrenOf(nodes);
  const score = new Map<number, number>();
  for (const start of nodes) {
    if (score.has(start.id)) continue;
    const stack: { node: AwaitNode; next: number }[] = [{ node: start, next: 0 }];
    score.set(start.id, 0);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const kids = children.get(frame.node.id) ?? [];
      if (frame.next < kids.length) {
        const child = kids[frame.next++];
        if (!score.has(child.id)) {
          score.set(child.id, 0);
          stack.push({ node: child, next: 0 });
        }
        continue;
      }
      stack.pop();
      let total = frame.node.locationSource === 'exact' ? 1 : 0;
      for (const kid of kids) total += score.get(kid.id) ?? 0;
      score.set(frame.node.id, total);
    }
  }
  return score;
}

/** The member to draw: the one with the most exact locations below it, else the first. */
export function representative(members: readonly AwaitNode[], scores: ReadonlyMap<number, number>): AwaitNode {
  let best = members[0];
  for (const member of members) if ((scores.get(member.id) ?? 0) > (scores.get(best.id) ?? 0)) best = member;
  return best;
}

export interface CollapsedSibling {
  /** The member that is drawn (the first in the given order). */
  node: AwaitNode;
  /** Every sibling with the same subtree, `node` first; length 1 when it has no twin. */
  members: AwaitNode[];
}

/**
 * Siblings with identical subtrees folded into one entry, at the place of the first of them;
 * the order is otherwise kept.
 */
export function collapseSiblings(siblings: readonly AwaitNode[], signatures: ReadonlyMap<number, number>): CollapsedSibling[] {
  const out: CollapsedSibling[] = [];
  const bySignature = new Map<number, CollapsedSibling>();
  for (const node of siblings) {
    const signature = signatures.get(node.id);
    const entry = signature !== undefined && signature > 0 ? bySignature.get(signature) : undefined;
    if (entry) {
      entry.members.push(node);
      continue;
    }
    const fresh = { node, members: [node] };
    if (signature !== undefined && signature > 0) bySignature.set(signature, fresh);
    out.push(fresh);
  }
  return out;
}

/**
 * The document's sibling groups (two or more siblings with identical subtrees), numbered in the
 * order of their first member in `nodes`.
 */
export function siblingGroups(nodes: readonly AwaitNode[]): SiblingGroup[] {
  const signatures = subtreeSignatures(nodes);
  const position = new Map(nodes.map((node, index) => [node.id, index]));
  const found: { awaiter: number | null; members: AwaitNode[] }[] = [];
  const collect = (awaiter: number | null, siblings: AwaitNode[]) => {
    for (const entry of collapseSiblings(siblings, signatures)) {
      if (entry.members.length > 1) found.push({ awaiter, members: entry.members });
    }
  };
  collect(null, nodes.filter((node) => node.awaitedBy.length === 0));
  for (const [awaiter, kids] of childrenOf(nodes)) collect(awaiter, kids);
  found.sort((a, b) => position.get(a.members[0].id)! - position.get(b.members[0].id)!);
  return found.map((group, index) => ({
    id: index + 1,
    awaiter: group.awaiter,
    members: group.members.map((member) => member.id).sort((a, b) => a - b),
  }));
}

/** The document with its `groups` (re)computed, right after `cycles`; other keys keep their order. */
export function withGroups(doc: AwaitGraphDocument): AwaitGraphDocument {
  return setKeyAfter(doc, 'groups', siblingGroups(doc.nodes), 'cycles');
}

/**
 * A copy of `doc` with `key` set: in its place if `doc` has it, else after `after` (else last).
 * Keeps fields this module does not know about, in their order.
 */
export function setKeyAfter<K extends keyof AwaitGraphDocument>(
  doc: AwaitGraphDocument,
  key: K,
  value: AwaitGraphDocument[K],
  after: keyof AwaitGraphDocument,
): AwaitGraphDocument {
  const entries = Object.entries(doc).filter(([name]) => name !== key);
  const at = key in doc ? Object.keys(doc).indexOf(key) : entries.findIndex(([name]) => name === after) + 1 || entries.length;
  entries.splice(at, 0, [key, value]);
  return Object.fromEntries(entries) as unknown as AwaitGraphDocument;
}

/**
 * The graph with each sibling group drawn once: the nodes left after dropping every group member
 * but one (see `representative`) together with its subtree, and for each kept
 * member the size of its group. For views that draw the graph (dot, mermaid).
 */
export function foldGroups(nodes: readonly AwaitNode[]): { nodes: AwaitNode[]; counts: Map<number, number> } {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = childrenOf(nodes);
  const counts = new Map<number, number>();
  const hidden = new Set<number>();
  const scores = exactScores(nodes);
  for (const group of siblingGroups(nodes)) {
    const members = group.members.map((id) => byId.get(id)!);
    const shown = representative(members, scores);
    counts.set(shown.id, members.length);
    // Members' subtrees are plain trees (see subtreeSignatures): nothing else reaches into them.
    const work = members.filter((member) => member !== shown);
    while (work.length > 0) {
      const node = work.pop()!;
      if (hidden.has(node.id)) continue;
      hidden.add(node.id);
      work.push(...(children.get(node.id) ?? []));
    }
  }
  return { nodes: nodes.filter((node) => !hidden.has(node.id)), counts };
}
