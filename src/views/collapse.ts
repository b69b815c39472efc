// Identical sibling subtrees (src/document/sibling-groups.ts) drawn once: every view that draws
// the forest for a person prints such siblings once, with a count. Pure.

import { awaitsIndex } from '../awaits/await-edges.js';
import { siblingGroups } from '../document/sibling-groups.js';
import type { AwaitGraphDocument, AwaitNode } from '../schema.js';

/**
 * For each node, how many frames in its subtree (itself included) have an exact location: the
 * member of a group with the most stands for the group, so the printed chain shows what V8
 * reported rather than what was inferred.
 */
export function exactScores(nodes: readonly AwaitNode[]): Map<number, number> {
  const children = awaitsIndex(nodes);
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
  const children = awaitsIndex(nodes);
  const counts = new Map<number, number>();
  const hidden = new Set<number>();
  const scores = exactScores(nodes);
  for (const group of siblingGroups(nodes)) {
    const members = group.members.map((id) => byId.get(id)!);
    const shown = representative(members, scores);
    counts.set(shown.id, members.length);
    // Members' subtrees are plain trees down to the shared nodes they all reach (see
    // subtreeSignatures): nothing else reaches into them, and the shared part stays.
    const work = members.filter((member) => member !== shown);
    while (work.length > 0) {
      const node = work.pop()!;
      if (hidden.has(node.id) || node.awaitedBy.length > 1) continue;
      hidden.add(node.id);
      work.push(...(children.get(node.id) ?? []));
    }
  }
  return { nodes: nodes.filter((node) => !hidden.has(node.id)), counts };
}
