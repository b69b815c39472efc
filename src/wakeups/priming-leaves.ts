import type { FoundNode } from '../awaits/await-graph.js';

// Which leaves the wake-up analysis settles first, while the target is idle: the first leaf awaited
// by each function (by its definition). The scope check asks for the sources of the scripts each
// kind of leaf's search climbs through (closure-names.ts); asked before the exact-location lookups
// start, they come back in milliseconds. Asked later, each waits in the target behind a lookup's
// heap scan (a service's 600 leaves: eight rounds, 0.4 s of waiting, measured).

/** Leaves looked at to find the kinds (spread over the whole list), at most. */
const SAMPLED_LEAVES = 4096;
/** Leaves settled first, at most: each is a search, made before the lookups start. */
const MAX_PRIMING_LEAVES = 64;

/** Positions in `leaves` of the first leaf awaited by each function (at most MAX_PRIMING_LEAVES), ascending. */
export function primingLeaves(leaves: readonly FoundNode[], nodes: readonly FoundNode[]): number[] {
  const stride = Math.max(1, Math.floor(leaves.length / SAMPLED_LEAVES));
  // The awaiters of the sampled leaves, found in one pass over the graph.
  const sampledAwaiter = new Map<number, FoundNode | null>();
  for (let i = 0; i < leaves.length; i += stride) {
    const awaiter = leaves[i].awaitedBy[0];
    if (awaiter !== undefined) sampledAwaiter.set(awaiter, null);
  }
  for (const node of nodes) if (sampledAwaiter.has(node.id)) sampledAwaiter.set(node.id, node);
  const kinds = new Set<string>();
  const first: number[] = [];
  for (let i = 0; i < leaves.length && first.length < MAX_PRIMING_LEAVES; i += stride) {
    const awaiter = sampledAwaiter.get(leaves[i].awaitedBy[0] ?? -1);
    const kind = !awaiter ? 'none' : awaiter.definition ? `${awaiter.definition.scriptId}:${awaiter.definition.line}:${awaiter.definition.column}` : `${awaiter.kind} ${awaiter.name}`;
    if (kinds.has(kind)) continue;
    kinds.add(kind);
    first.push(i);
  }
  return first;
}
