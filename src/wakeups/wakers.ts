import type { AwaitGraphTrace, FoundNode } from '../awaits/await-graph.js';
import type { HeapGraph } from '../snapshot/heap-graph.js';
import { HeapReader } from '../snapshot/heap-reader.js';
import { ClosureNames } from './closure-names.js';
import { RetainerFilter } from './followed-retainers.js';
import type { FoundSettlement, HeapWakeups } from './found-wakers.js';
import { GraphNeverSettles } from './graph-never-settles.js';
import { HitClassifier } from './hit-kinds.js';
import { HitWakers } from './hit-wakers.js';
import { HolderNames } from './holder-names.js';
import { HolderSearch } from './holder-search.js';
import { findKeepAlive } from './keep-alive.js';
import { LeafSettlements } from './leaf-settlement.js';
import { HeapNodeFacts } from './node-facts.js';
import { primingLeaves } from './priming-leaves.js';
import { PromiseHolderIndex } from './promise-holders.js';
import { ScopeReach } from './scope-reach.js';

// What can settle each pending promise at the bottom of the await graph, and which awaits can
// provably never be settled (issue 5). Pure: reads the heap snapshot and the await graph's trace.
//
// How a pending V8 promise P can be settled at all:
//  1. By its resolving functions: closures of the builtins PromiseCapabilityDefaultResolve /
//     PromiseCapabilityDefaultReject (the functions `new Promise` hands its executor, and those
//     V8 makes for capabilities and for resolving with a thenable). Their context's slot holds P
//     (promise-abstract-operations.tq, CreatePromiseResolvingFunctionsContext), so they are found
//     among P's retainers: a "system / Context" retained through a `context` edge by such a closure.
//  2. By V8 itself, for promises it owns: an async function's promise (its generator), an async
//     generator's next() promises, a `.then` step's derived promise (the reaction), a combinator's
//     promise (its element closures, through the capability). The await graph models these.
//  3. By native code holding P as a v8::Promise::Resolver: Node's FSReqPromise (its `promise`
//     property), N-API deferreds and V8's own jobs (Atomics.waitAsync, WebAssembly compilation)
//     through global handles, a queued microtask (PromiseResolveThenableJobTask).
//
// The heap snapshot holds only objects reachable from the roots, after a full GC. So if no
// resolving function of P is in the snapshot, none is alive anywhere, and none can ever be made
// again (they are created once, with the promise). P can then only be settled by 2 or 3.
//
// The never-settles rule (conservative; "unknown" whenever any step cannot be shown):
//  - a bare leaf P never settles iff (a) no resolving function of P is in the snapshot, and
//    (b) every retainer of P is one that cannot settle it: a plain JavaScript object or array
//    (not a native wrapper: no `javascript_to_native` edge, not held directly by a root), a
//    user closure's context (a variable), a generator's registers, a Map/Set table, a
//    promise capability; containers (elements, property arrays, tables) are judged by their
//    owners. A synthetic root (global handles, handle scopes, stack roots), a native object, a
//    queued microtask, a module record, a builtin closure's context, or anything else not
//    known to be inert makes it unknown;
//  - a promise looked through by the graph (resolved by other pending promises) never settles
//    iff all its sources never settle and nothing but those sources' reactions holds its
//    resolving functions (same holder rule for the rest);
//  - a frame, `.then` step, Promise.all / race / any never settles iff it waits for at least one
//    promise and every promise it waits for never settles; Promise.allSettled never settles as
//    soon as one of its inputs never does;
//  - computed as a greatest fixpoint (everything starts as "never" and is cleared by evidence),
//    so an await cycle with no way in from outside is a deadlock, and a cycle through a
//    Promise.race with a live timer input is not.
//
// The pieces, each in its own module: who holds a promise (promise-holders.ts); the search up the
// retainers of its resolving functions (holder-search.ts), which edges it climbs
// (followed-retainers.ts, scope-reach.ts) and what the holders it meets are (hit-kinds.ts); what
// each holder says as a waker (hit-wakers.ts, holder-path.ts, holder-names.ts) and their order
// (waker-order.ts); a leaf's verdict (leaf-settlement.ts) and the graph's (graph-never-settles.ts).
// This module runs them in steps for the capture.

export type { FoundSettlement, FoundWaker, HeapWakeups, SettleVerdict, WakerKind } from './found-wakers.js';

interface WakeupAnalysis {
  /** For every `promise` leaf of the graph, by node id. */
  settlements: Map<number, FoundSettlement>;
  /** Ids of the graph nodes proven never to settle (leaves, and everything that waits only on them). */
  neverSettles: Set<number>;
}

export interface WakeupOptions {
  /** Heap nodes visited per leaf while looking for who holds its resolving functions. */
  searchLimit?: number;
  /** Wakers reported per leaf. */
  maxWakers?: number;
  /** Heap nodes visited by all leaves' searches together (default 2 million). */
  totalSearchLimit?: number;
  /** A leaf's share of that total, at least (holder-search.ts, MIN_LEAF_SHARE). */
  minLeafShare?: number;
  /**
   * The names closures use, from their sources: a closure that shares a scope with a resolving
   * function but never names it does not hold it (src/wakeups/closure-names.ts). Without it, every
   * closure of the scope counts.
   */
  closureNames?: ClosureNames;
  /** Script ids of Node's own code (node:…): their scope variables are not named as holders. */
  internalScripts?: ReadonlySet<number>;
  /**
   * Script ids of code that holds everything and settles nothing of it: a test runner's own, seen
   * from inside its worker (its task list holds every test function, its listeners hold the task
   * list). The search does not climb through their functions or scopes.
   */
  bystanderScripts?: ReadonlySet<number>;
}

/**
 * A step of the analysis: script ids whose sources it wants before the next, PRIMED once the first
 * leaf of each kind is settled (a capture starts its lookups then), or nothing (a pause).
 */
export type WakeupStep = number[] | typeof PRIMED | undefined;
export const PRIMED = 'primed';

/** Leaves settled between two pauses of the analysis (a leaf takes a few microseconds). */
const LEAVES_PER_STEP = 64;

class WakeupAnalyzer {
  private readonly leaves: LeafSettlements;
  private readonly search: HolderSearch;
  private readonly graph: GraphNeverSettles;
  private readonly closureNames: ClosureNames | undefined;
  private settledSinceYield = 0;

  constructor(
    heap: HeapGraph,
    private readonly nodes: FoundNode[],
    trace: AwaitGraphTrace,
    options: WakeupOptions,
  ) {
    const reader = new HeapReader(heap);
    const maxWakers = options.maxWakers ?? 4;
    this.closureNames = options.closureNames;
    const facts = new HeapNodeFacts(reader);
    const holderIndex = new PromiseHolderIndex(reader, facts);
    const filter = new RetainerFilter(reader, facts, options.bystanderScripts ?? new Set());
    const classifier = new HitClassifier(reader, facts, options.internalScripts ?? new Set());
    const hitWakers = new HitWakers(reader, facts, new HolderNames(reader, filter, classifier));
    this.search = new HolderSearch(reader, facts, filter, classifier, new ScopeReach(reader, facts, options.closureNames), hitWakers, {
      searchLimit: options.searchLimit ?? 4000,
      maxWakers,
      totalSearchLimit: options.totalSearchLimit ?? 2_000_000,
      ...(options.minLeafShare !== undefined ? { minLeafShare: options.minLeafShare } : {}),
    });
    this.leaves = new LeafSettlements(heap, holderIndex, this.search, hitWakers, maxWakers);
    this.graph = new GraphNeverSettles(reader, holderIndex, nodes, trace);
  }

  /**
   * The analysis, pausing every few leaves so a caller can interleave other work. A pause that
   * yields script ids asks for their sources (closureNames.addSource) before it goes on: the leaf
   * whose search needed them is then settled again. The first leaf of each kind is settled first
   * (priming-leaves.ts); then a pause yields PRIMED.
   */
  *steps(): Generator<WakeupStep, WakeupAnalysis> {
    const leaves = this.nodes.filter((node) => node.kind === 'promise');
    const first = primingLeaves(leaves, this.nodes);
    const order = settleOrder(leaves.length, first);
    const settled: FoundSettlement[] = new Array(leaves.length);
    // Leaves whose search stopped at its share of the budget, and that share.
    const cutShort: { at: number; share: number }[] = [];
    for (let k = 0; k < order.length; k++) {
      if (k === first.length) yield PRIMED;
      this.search.leavesLeft = order.length - k;
      settled[order[k]] = yield* this.settle(leaves[order[k]]);
      if (this.search.lastCutShortAt > 0) cutShort.push({ at: order[k], share: this.search.lastCutShortAt });
      yield* this.paced();
    }
    if (first.length === order.length) yield PRIMED;
    // What the cheap leaves left of the budget goes to those cut short, when it buys them more: a
    // pool's waiter settled first gets its share of thousands of leaves, most of them a few steps
    // from their emitter.
    for (let k = 0; k < cutShort.length; k++) {
      this.search.leavesLeft = cutShort.length - k;
      if (this.search.leafShare() <= cutShort[k].share) continue;
      settled[cutShort[k].at] = yield* this.settle(leaves[cutShort[k].at]);
      yield* this.paced();
    }
    yield;
    // In the graph's order, as if the first leaves had not been taken out of it.
    const settlements = new Map<number, FoundSettlement>();
    for (let at = 0; at < leaves.length; at++) settlements.set(leaves[at].id, settled[at]);
    return { settlements, neverSettles: this.graph.neverSettling() };
  }

  /** A pause after every LEAVES_PER_STEP leaves settled, in either pass. */
  private *paced(): Generator<WakeupStep, void> {
    if (++this.settledSinceYield === LEAVES_PER_STEP) {
      this.settledSinceYield = 0;
      yield;
    }
  }

  /** A leaf's settlement; a step that yields script ids asks for their sources, and the leaf is settled again. */
  private *settle(leaf: FoundNode): Generator<WakeupStep, FoundSettlement> {
    // A leaf without resolving functions is not searched: it must not keep the last search's mark.
    this.search.lastCutShortAt = 0;
    let settlement = this.leaves.settle(leaf.heapNode);
    for (let missing = this.closureNames?.takeMissing() ?? []; missing.length > 0; missing = this.closureNames!.takeMissing()) {
      yield missing;
      settlement = this.leaves.settle(leaf.heapNode);
    }
    this.graph.noteLeafVerdict(leaf.heapNode, settlement.verdict);
    return settlement;
  }
}

/** Positions 0 … count - 1, `first` (ascending) before the rest. */
function settleOrder(count: number, first: readonly number[]): Int32Array {
  const order = new Int32Array(count);
  order.set(first);
  for (let at = 0, next = 0, k = first.length; at < count; at++) {
    if (at === first[next]) next++;
    else order[k++] = at;
  }
  return order;
}

/** An empty trace to pass to findAwaitGraph. */
export function newAwaitGraphTrace(): AwaitGraphTrace {
  return { promiseNode: new Map(), resolvedBy: new Map(), consumedPromise: [], consumedBy: [] };
}

/**
 * Wakers and never-settles verdicts of the graph's leaves, and the handles keeping the loop alive.
 * Undefined if the analysis fails on a snapshot it does not understand: the await graph is still
 * worth having without it (a missing `settlement` claims nothing). `sources` (script id → text)
 * tell which names closures use; without them every closure of a scope counts as holding it.
 */
export function findHeapWakeups(
  heap: HeapGraph,
  nodes: FoundNode[],
  trace: AwaitGraphTrace,
  sources?: ReadonlyMap<string, string>,
): HeapWakeups | undefined {
  const closureNames = sources ? new ClosureNames() : undefined;
  return runWakeupSteps(heapWakeupSteps(heap, nodes, trace, closureNames), closureNames, sources);
}

/** Runs heapWakeupSteps to the end, giving each script asked for its source from `sources` (none: null). */
export function runWakeupSteps(
  steps: Generator<WakeupStep, HeapWakeups | undefined>,
  closureNames: ClosureNames | undefined,
  sources: ReadonlyMap<string, string> | undefined,
): HeapWakeups | undefined {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value === PRIMED) continue;
    for (const scriptId of step.value ?? []) closureNames?.addSource(scriptId, sources?.get(String(scriptId)) ?? null);
  }
}

/**
 * findHeapWakeups in steps (a few leaves each), for a caller that handles I/O in between. A step
 * that yields script ids wants their sources given to `closureNames` before the next.
 */
export function* heapWakeupSteps(
  heap: HeapGraph,
  nodes: FoundNode[],
  trace: AwaitGraphTrace,
  closureNames?: ClosureNames,
  options: Omit<WakeupOptions, 'closureNames'> = {},
): Generator<WakeupStep, HeapWakeups | undefined> {
  try {
    const { settlements, neverSettles } = yield* new WakeupAnalyzer(heap, nodes, trace, { closureNames, ...options }).steps();
    yield;
    return { settlements, neverSettles, keepAlive: findKeepAlive(heap) };
  } catch {
    return undefined;
  }
}
