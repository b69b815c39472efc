// Identical sibling subtrees (src/document/sibling-groups.ts) drawn once: every view that draws
// the forest for a person prints such siblings once, with a count. Pure.

import { awaitsByPositionOf } from '../awaits/await-edges.js';
import { siblingGroups } from '../document/sibling-groups.js';
import type { AwaitGraphDocument, AwaitNode } from '../schema.js';

const scoresOf = new WeakMap<readonly AwaitNode[], Float64Array | null>();

/**
 * For each node by position, how many frames in its subtree (itself included) have an exact
 * location, counted once per path (a shared node for each of its awaiters): the member of a group
 * with the most stands for the group, so the printed chain shows what V8 reported rather than
 * what was inferred. Once per node list (see awaitsByPositionOf), on typed arrays; null when
 * no frame is exact (every score 0).
 */
export function exactScores(nodes: readonly AwaitNode[]): Float64Array | null {
  let scores = scoresOf.get(nodes);
  if (scores === undefined) scoresOf.set(nodes, (scores = nodes.some((node) => node.locationSource === 'exact') ? scoresByPosition(nodes) : null));
  return scores;
}

/** Iterative post-order from each node in list order; a node met again on the walk's path adds 0. */
function scoresByPosition(nodes: readonly AwaitNode[]): Float64Array {
  const { childStart, childList } = awaitsByPositionOf(nodes);
  const count = nodes.length;
  const score = new Float64Array(count);
  const seen = new Uint8Array(count);
  const stackNode = new Int32Array(count);
  const stackNext = new Int32Array(count);
  for (let start = 0; start < count; start++) {
    if (seen[start] === 1) continue;
    seen[start] = 1;
    let depth = 0;
    stackNode[0] = start;
    stackNext[0] = childStart[start];
    while (depth >= 0) {
      const at = stackNode[depth];
      if (stackNext[depth] < childStart[at + 1]) {
        const child = childList[stackNext[depth]++];
        if (seen[child] === 0) {
          seen[child] = 1;
          depth++;
          stackNode[depth] = child;
          stackNext[depth] = childStart[child];
        }
        continue;
      }
      depth--;
      let total = nodes[at].locationSource === 'exact' ? 1 : 0;
      for (let k = childStart[at]; k < childStart[at + 1]; k++) total += score[childList[k]];
      score[at] = total;
    }
  }
  return score;
}

/** The member to draw: the one with the most exact locations below it (in `nodes`), else the first. */
export function representative(members: readonly AwaitNode[], nodes: readonly AwaitNode[]): AwaitNode {
  const scores = exactScores(nodes);
  if (!scores) return members[0];
  const { position } = awaitsByPositionOf(nodes);
  const scoreOf = (node: AwaitNode) => scores[position.get(node.id)] ?? 0;
  let best = members[0];
  let bestScore = scoreOf(best);
  for (const member of members) {
    const score = scoreOf(member);
    if (score > bestScore) {
      best = member;
      bestScore = score;
    }
  }
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
export function collapseSiblings(
  siblings: readonly AwaitNode[],
  signatureOf: (node: AwaitNode) => number | undefined,
): CollapsedSibling[] {
  const out: CollapsedSibling[] = [];
  const bySignature = new Map<number, CollapsedSibling>();
  for (const node of siblings) {
    const signature = signatureOf(node);
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
export function foldGroups(nodes: readonly AwaitNode[]): { nodes: readonly AwaitNode[]; counts: Map<number, number> } {
  const { childStart, childList, position } = awaitsByPositionOf(nodes);
  const counts = new Map<number, number>();
  const hidden = new Uint8Array(nodes.length);
  let hiddenCount = 0;
  for (const group of siblingGroups(nodes)) {
    const members = group.members.map((id) => nodes[position.get(id)]);
    const shown = representative(members, nodes);
    counts.set(shown.id, members.length);
    // Members' subtrees are plain trees down to the shared nodes they all reach (see
    // subtreeSignatures): nothing else reaches into them, and the shared part stays.
    const work = members.filter((member) => member !== shown).map((member) => position.get(member.id));
    while (work.length > 0) {
      const at = work.pop()!;
      if (hidden[at] === 1 || nodes[at].awaitedBy.length > 1) continue;
      hidden[at] = 1;
      hiddenCount++;
      for (let k = childStart[at]; k < childStart[at + 1]; k++) work.push(childList[k]);
    }
  }
  // The same list when nothing is hidden: what is known of it is reused (see awaitsByPositionOf).
  if (hiddenCount === 0) return { nodes, counts };
  return { nodes: nodes.filter((node) => hidden[position.get(node.id)] === 0), counts };
}
