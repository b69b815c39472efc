import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { FoundSettlement } from './found-wakers.js';
import type { HitWakers } from './hit-wakers.js';
import type { HolderSearch } from './holder-search.js';
import type { PromiseHolders, PromiseHolderIndex } from './promise-holders.js';
import { dedupe } from './waker-order.js';

// A leaf promise's settlement: can something alive settle it (and what: its resolving functions'
// holders, or native code holding the promise), can nothing (never), or neither can be shown
// (unknown). The rule is in wakers.ts.

export class LeafSettlements {
  constructor(
    private readonly heap: HeapGraph,
    private readonly holderIndex: PromiseHolderIndex,
    private readonly search: HolderSearch,
    private readonly hitWakers: HitWakers,
    private readonly maxWakers: number,
  ) {}

  /**
   * A leaf's settlement. Its holders are not kept (seven objects per leaf, a hundred thousand
   * leaves, all surviving into the old generation): the never-settles pass reads the verdict.
   */
  settle(promise: number): FoundSettlement {
    return this.settleFrom(this.holderIndex.holders(promise, false));
  }

  private settleFrom(holders: PromiseHolders): FoundSettlement {
    if (holders.resolvers.length > 0) {
      const { wakers, frames } = this.search.wakersOf(holders.resolvers);
      return {
        verdict: 'can-settle',
        reason: holders.resolvers.length === 1 ? 'its resolve or reject function is alive' : 'its resolve and reject functions are alive',
        wakers,
        ...(frames.length > 0 ? { holderFrames: frames } : {}),
      };
    }
    const native = holders.native.map(({ node, what }) => this.hitWakers.nativeWaker(node, what));
    if (native.length > 0) {
      return { verdict: 'can-settle', reason: 'native code holds the promise', wakers: dedupe(native).slice(0, this.maxWakers) };
    }
    const others = [
      ...holders.unknown.map(({ what }) => what),
      ...holders.reactions.map(() => 'a promise reaction'),
      ...holders.generators.map(() => "an async function's own promise slot"),
      ...holders.plumbing.map((node) => this.heap.nameOf(node).replace('system / ', '')),
    ];
    if (others.length > 0) {
      return { verdict: 'unknown', reason: `no resolve function is alive, but it is held by ${[...new Set(others)].join(', ')}`, wakers: [] };
    }
    return { verdict: 'never', reason: 'no resolve function is alive and nothing native holds it', wakers: [] };
  }
}
