import type { AwaitGraphTrace, FoundNode } from '../awaits/await-graph.js';
import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { SettleVerdict } from './found-wakers.js';
import { awaitVariables, NEVER, neverSettlingVariables, SETTLED_BY_PRODUCER, SETTLED_BY_SOURCES, WAITS_FOR_ALL } from './never-settles.js';
import type { PromiseHolders, PromiseHolderIndex } from './promise-holders.js';

// Which nodes of the await graph can provably never settle: the greatest fixpoint of
// never-settles.ts over the graph's variables, with what only the heap can tell (can anything
// outside the graph settle this promise?) read from the promises' holders and the leaves'
// verdicts. The rule is in wakers.ts.

const VERDICTS: readonly SettleVerdict[] = ['can-settle', 'never', 'unknown'];
/** leafVerdicts' code for a node whose verdict is not recorded; else 1 + the index in VERDICTS. */
const NO_VERDICT = 0;

export class GraphNeverSettles {
  private readonly heap: HeapGraph;
  /** Per heap node: NO_VERDICT, or 1 + the index in VERDICTS of its leaf settlement's verdict. */
  private readonly leafVerdicts: Uint8Array;

  constructor(
    private readonly reader: HeapReader,
    private readonly holderIndex: PromiseHolderIndex,
    private readonly nodes: FoundNode[],
    private readonly trace: AwaitGraphTrace,
  ) {
    this.heap = reader.heap;
    this.leafVerdicts = new Uint8Array(this.heap.nodeCount);
  }

  /** Keeps a leaf's verdict for the pass (its holders are not kept: see LeafSettlements). */
  noteLeafVerdict(promise: number, verdict: SettleVerdict): void {
    this.leafVerdicts[promise] = VERDICTS.indexOf(verdict) + 1;
  }

  /**
   * Ids of the graph nodes proven never to settle: the fixpoint of never-settles.ts over the
   * graph's variables, with `possible` read from the heap.
   */
  neverSettling(): Set<number> {
    const nodes = this.nodes;
    const nodeCount = nodes.length;
    const { lists, nodeWaiting, promises, promiseSettledBy, owned } = awaitVariables(nodes, this.trace, this.heap.nodeCount);
    const { start, list: depList } = lists;

    // `possible` (nothing outside the graph can settle it), read from the heap: a node, when none of
    // the promises it produces can be settled some other way; a promise, by how it is settled (its
    // producer, the promises it was resolved with, a leaf's own verdict). A node waiting for nothing
    // (none of its inputs is pending) is not proven stuck.
    const settledOnlyInGraph = (v: number): boolean => {
      if (v < nodeCount) {
        if (start[v] === start[v + 1]) return false;
        if (nodes[v].kind === 'promise') return true;
        const node = nodes[v];
        for (let j = owned.start[v], end = owned.start[v + 1]; j < end; j++) {
          if (this.settledOutsideOwner(owned.list[j], node)) return false;
        }
        return true;
      }
      const promise = promises[v - nodeCount];
      const settledBy = promiseSettledBy[v - nodeCount];
      if (settledBy === SETTLED_BY_PRODUCER) return !this.settledOutsideOwner(promise, nodes[depList[start[v]]]);
      if (settledBy === SETTLED_BY_SOURCES) {
        const sources = this.trace.resolvedBy.get(promise)!;
        return !this.settledOutsideSources(
          promise,
          sources.map(({ reaction }) => reaction),
        );
      }
      return this.leafVerdict(promise) === 'never';
    };
    const never = neverSettlingVariables(lists, (v) => (v < nodeCount ? nodeWaiting[v] : WAITS_FOR_ALL), settledOnlyInGraph);
    const result = new Set<number>();
    for (let i = 0; i < nodeCount; i++) if (never[i] === NEVER) result.add(nodes[i].id);
    return result;
  }

  /** A leaf's verdict (the leaves are settled before this is asked; else from the holders). */
  private leafVerdict(promise: number): SettleVerdict {
    const settled = this.leafVerdicts[promise];
    if (settled !== NO_VERDICT) return VERDICTS[settled - 1];
    return holdersVerdict(this.holderIndex.holders(promise));
  }

  /**
   * A promise the graph looks through (resolved by other pending promises): true when something
   * besides those promises' reactions may settle it.
   */
  private settledOutsideSources(promise: number, reactions: number[]): boolean {
    const holders = this.holderIndex.holders(promise);
    const modelled = new Set(reactions);
    if (holders.native.length > 0 || holders.unknown.length > 0 || holders.generators.length > 0 || holders.plumbing.length > 0) return true;
    if (holders.reactions.some((reaction) => !modelled.has(reaction))) return true;
    return holders.resolvers.some((resolver) => !this.heldOnlyBy(resolver, modelled));
  }

  /**
   * A promise its producer settles (an async function's, a combinator's, a `.then` step's): true
   * when its resolving functions or a native holder could settle it some other way.
   */
  private settledOutsideOwner(promise: number, owner: FoundNode): boolean {
    const holders = this.holderIndex.holders(promise);
    if (holders.native.length > 0 || holders.unknown.length > 0) return true;
    if (holders.resolvers.length === 0) return false;
    // A combinator's capability holds its resolving functions; a race's go to its inputs' reactions.
    const modelled = new Set<number>();
    for (const { reaction } of this.trace.resolvedBy.get(promise) ?? []) modelled.add(reaction);
    return holders.resolvers.some((resolver) => {
      let outside = false;
      this.heap.forEachRetainer(resolver, (from, edge) => {
        if (this.heap.edgeType(edge) === this.reader.weakEdge) return false;
        const name = this.heap.nameOf(from);
        if (modelled.has(from) || (owner.kind === 'combinator' && name === 'system / PromiseCapability')) return false;
        outside = true;
        return true;
      });
      return outside;
    });
  }

  /** Every (strong) retainer of the closure is one of the given reactions. */
  private heldOnlyBy(closure: number, reactions: Set<number>): boolean {
    let only = true;
    this.heap.forEachRetainer(closure, (from, edge) => {
      if (this.heap.edgeType(edge) === this.reader.weakEdge) return false;
      if (!reactions.has(from)) only = false;
      return !only;
    });
    return only;
  }
}

/** The verdict the holders alone give, without naming wakers: what LeafSettlements would say. */
function holdersVerdict(holders: PromiseHolders): SettleVerdict {
  if (holders.resolvers.length > 0 || holders.native.length > 0) return 'can-settle';
  if (holders.unknown.length > 0 || holders.reactions.length > 0 || holders.generators.length > 0 || holders.plumbing.length > 0) {
    return 'unknown';
  }
  return 'never';
}
