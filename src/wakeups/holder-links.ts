// Work that settles a leaf without awaiting it. undici's `fetch(url)` returns a promise `p` whose
// resolve function sits in `fetchParams.processResponse`'s scope; the fetch itself runs as a
// separate chain of async functions (mainFetch → httpFetch → … → the socket) that never awaits or
// returns into `p`, and which holds `fetchParams` in its locals. The await graph has two roots
// then: the caller's chain, ending in `p`, and the library's, ending at the socket. The wake-up
// search sees the library's suspended frames among the holders of `p`'s resolve function; when no
// variable holds it, that chain is what will settle `p`, and it is drawn under `p`.
// Pure.

import type { FoundNode } from '../awaits/await-graph.js';
import type { FoundSettlement } from './found-wakers.js';

/**
 * The nodes with each leaf's holder frames' root linked under it (its `awaitedBy` gets the leaf,
 * `linkedBy: 'holder'`). A root is linked only if it is not above the leaf already (no cycle), at
 * most once, and only when it is a root. Nodes not changed are the given objects; the order is kept.
 */
export function linkHolderFrames(nodes: readonly FoundNode[], settlements: ReadonlyMap<number, FoundSettlement>): FoundNode[] {
  let out: FoundNode[] | undefined;
  // Most captures have no such leaf: no index of every node for them.
  let anyHolderFrames = false;
  for (const settlement of settlements.values()) {
    if (settlement.holderFrames) {
      anyHolderFrames = true;
      break;
    }
  }
  if (!anyHolderFrames) return nodes as FoundNode[];
  const index = new Map<number, number>();
  for (let i = 0; i < nodes.length; i++) index.set(nodes[i].id, i);
  const current = (id: number) => (out ?? nodes)[index.get(id)!];
  for (const [leafId, settlement] of settlements) {
    if (!settlement.holderFrames || !index.has(leafId)) continue;
    const above = ancestors(leafId, current);
    for (const frameId of settlement.holderFrames) {
      if (!index.has(frameId) || above.has(frameId)) continue;
      const root = rootOf(frameId, current);
      if (root === undefined || root === leafId || above.has(root)) continue;
      out ??= [...nodes];
      const at = index.get(root)!;
      out[at] = { ...out[at], awaitedBy: [leafId], linkedBy: 'holder' };
      above.add(root);
    }
  }
  return out ?? (nodes as FoundNode[]);
}

/** Everything above a node (what awaits it, transitively), the node included. */
function ancestors(id: number, nodeOf: (id: number) => FoundNode): Set<number> {
  const seen = new Set<number>([id]);
  const work = [id];
  while (work.length > 0) {
    const node = nodeOf(work.pop()!);
    for (const awaiter of node?.awaitedBy ?? []) {
      if (seen.has(awaiter) || !nodeOf(awaiter)) continue;
      seen.add(awaiter);
      work.push(awaiter);
    }
  }
  return seen;
}

/** The root a frame hangs under, following its only awaiter; undefined when that is not a plain chain. */
function rootOf(id: number, nodeOf: (id: number) => FoundNode): number | undefined {
  let at = id;
  for (let guard = 0; guard < 10_000; guard++) {
    const awaitedBy = nodeOf(at)?.awaitedBy ?? [];
    if (awaitedBy.length === 0) return at;
    if (awaitedBy.length > 1 || !nodeOf(awaitedBy[0])) return undefined;
    at = awaitedBy[0];
  }
  return undefined;
}
