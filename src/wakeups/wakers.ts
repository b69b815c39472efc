import type { WakerKind } from '../schema.js';
import type { AwaitGraphTrace, FoundNode } from '../awaits/await-graph.js';
import type { HeapGraph } from '../snapshot/heap-graph.js';
import { HeapReader } from '../snapshot/heap-reader.js';
import { findKeepAlive, type FoundHandle } from './keep-alive.js';
import { SearchTree, type StepsUp } from './search-tree.js';
import { awaitVariables, neverSettlingVariables, SETTLED_BY_PRODUCER, SETTLED_BY_SOURCES, WAITS_FOR_ALL } from './never-settles.js';
import { describeResource, isResourceClass, type FoundResource, type RawLocation, type TimerFacts } from './resources.js';
import { ClosureNames } from './closure-names.js';

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

export type { WakerKind };

/** Something alive that can settle a leaf promise (by calling its resolve/reject, or natively). */
export interface FoundWaker {
  kind: WakerKind;
  /** One line for people, without anything that depends on the capture time. */
  description: string;
  /** How it holds the resolving function, in source terms: `pool.waiters[0]`, `pending.get('job-1').resolve`. */
  path?: string;
  /** Heap id of the resource object (Timeout, Socket, emitter…), to link with keep-alive handles. */
  resourceId?: number;
  /**
   * Definitions of the closures on the way from the holder down to the resolving function (a
   * timer's callback, a listener), nearest the holder first, 0-based: the document shows the first
   * that is not Node's own code.
   */
  definitions?: RawLocation[];
  /** The script whose top-level scope holds the variable the path starts at. */
  scopeScriptId?: number;
  /** A function defined in that scope: where the scope is, for a source map to name its file. */
  scopeAt?: RawLocation;
  timer?: TimerFacts;
  event?: { target: string; name: string };
  pid?: number;
  command?: string;
  localAddress?: string;
  remoteAddress?: string;
}

export type SettleVerdict = 'can-settle' | 'never' | 'unknown';
const VERDICTS: readonly SettleVerdict[] = ['can-settle', 'never', 'unknown'];

export interface FoundSettlement {
  verdict: SettleVerdict;
  /** Why, in one line. */
  reason: string;
  wakers: FoundWaker[];
  /**
   * Heap ids of suspended async functions whose locals hold the resolving functions, when no
   * variable does (undici's fetch: mainFetch's `fetchParams` leads to the caller's promise): the
   * work that will settle the leaf (src/wakeups/holder-links.ts).
   */
  holderFrames?: number[];
}

export interface WakeupAnalysis {
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

const RESOLVE_BUILTINS = new Set(['PromiseCapabilityDefaultResolve', 'PromiseCapabilityDefaultReject']);
/** Retainer edges that never mean "holds this to use it". */
const SKIPPED_EDGES = new Set([
  'map',
  '__proto__',
  'prototype',
  'constructor',
  'feedback_cell',
  'shared',
  'code',
  'scope_info',
  'initial_map',
  'native_context',
  'global_proxy_object',
  'back_pointer',
  'transitions',
  'descriptors',
  'dependent_code',
  'script',
  // A suspended method holds its `this`: true, but not who the object belongs to.
  'receiver',
]);

interface PromiseHolders {
  /** Resolving-function closures of the promise. */
  resolvers: number[];
  /** Native holders (roots, wrappers): can settle it natively. */
  native: { node: number; what: string }[];
  /** Holders not known to be inert. */
  unknown: { node: number; what: string }[];
  /** PromiseReactions holding the promise itself (as a derived promise). */
  reactions: number[];
  /** Generators holding it (an async function's own promise). */
  generators: number[];
  /** "system / AsyncGeneratorRequest" / "system / PromiseCapability" holding it. */
  plumbing: number[];
}

/** One step down a found path: `from` holds `to` through `edge`. */
type PathStep = { from: number; edge: number; to: number };

type HitKind = 'resource' | 'emitter' | 'event-target' | 'variable' | 'global' | 'scope' | 'frame' | 'reaction' | 'microtask' | 'root';

interface Hit {
  kind: HitKind;
  node: number;
  distance: number;
}

class WakeupAnalyzer {
  private readonly reader: HeapReader;
  private readonly holdersCache = new Map<number, PromiseHolders>();
  private readonly searchLimit: number;
  private readonly maxWakers: number;
  /** Heap nodes all leaves' searches may visit together; then the rest get no wakers named. */
  private totalBudget: number;
  private visitedTotal = 0;
  private readonly scriptContext: number;
  private readonly closureNames: ClosureNames | undefined;
  /** The tree of the current leaf's search (reused: one leaf is searched at a time). */
  private readonly searchTree: SearchTree;
  /** closureUses answers by closure and variable. */
  private readonly usesCache = new Map<number, Map<string, boolean>>();

  constructor(
    private readonly heap: HeapGraph,
    private readonly nodes: FoundNode[],
    private readonly trace: AwaitGraphTrace,
    options: WakeupOptions,
  ) {
    this.reader = new HeapReader(heap);
    this.closureNames = options.closureNames;
    this.internalScripts = options.internalScripts ?? new Set();
    this.bystanderScripts = options.bystanderScripts ?? new Set();
    this.searchLimit = options.searchLimit ?? 4000;
    this.maxWakers = options.maxWakers ?? 4;
    this.totalBudget = options.totalSearchLimit ?? 2_000_000;
    this.generatorFlag = new Uint8Array(heap.nodeCount);
    this.nativeFlag = new Uint8Array(heap.nodeCount);
    this.leafVerdicts = new Uint8Array(heap.nodeCount);
    this.holderKinds = new Uint8Array(heap.nodeCount);
    this.followFlag = new Uint8Array(heap.nodeCount);
    this.searchTree = new SearchTree(this.searchLimit);
    this.scriptContext = heap.stringIndex('system / ScriptContext');
  }

  /**
   * The analysis, pausing every few leaves so a caller can interleave other work. A pause that
   * yields script ids asks for their sources (closureNames.addSource) before it goes on: the leaf
   * whose search needed them is then settled again.
   */
  *steps(): Generator<number[] | undefined, WakeupAnalysis> {
    const settlements = new Map<number, FoundSettlement>();
    let sinceYield = 0;
    for (const node of this.nodes) {
      if (node.kind !== 'promise') continue;
      let settlement = this.settleLeaf(node.heapNode);
      for (let missing = this.closureNames?.takeMissing() ?? []; missing.length > 0; missing = this.closureNames!.takeMissing()) {
        yield missing;
        settlement = this.settleLeaf(node.heapNode);
      }
      settlements.set(node.id, settlement);
      if (++sinceYield === LEAVES_PER_STEP) {
        sinceYield = 0;
        yield;
      }
    }
    yield;
    return { settlements, neverSettles: this.neverSettling() };
  }

  // ---------------------------------------------------------------------------------------------
  // Who holds a promise

  /** Who holds the promise; remembered unless `remember` is false (a leaf, settled once). */
  private holders(promise: number, remember = true): PromiseHolders {
    let holders = this.holdersCache.get(promise);
    if (holders) return holders;
    holders = { resolvers: [], native: [], unknown: [], reactions: [], generators: [], plumbing: [] };
    const out = holders;
    this.heap.forEachRetainer(promise, (from, edge) => {
      if (this.heap.edgeType(edge) !== this.reader.weakEdge) this.classifyHolder(from, out, 0);
    });
    // Resolve before reject, then by heap id: the search starts from them in this order, and a
    // holder of both (`{ resolve, reject }`) is then named by `.resolve` whatever order the
    // snapshot listed them in.
    if (out.resolvers.length > 1) out.resolvers = [...new Set(out.resolvers)].sort(
      (a, b) => this.rejectRank(a) - this.rejectRank(b) || this.heap.idOf(a) - this.heap.idOf(b),
    );
    if (remember) this.holdersCache.set(promise, out);
    return out;
  }

  /** 1 for a reject function, 0 for a resolve function. */
  private rejectRank(closure: number): number {
    return this.reader.builtinName(closure) === 'PromiseCapabilityDefaultReject' ? 1 : 0;
  }

  private classifyHolder(from: number, out: PromiseHolders, depth: number): void {
    const heap = this.heap;
    const reader = this.reader;
    const name = heap.nameOf(from);
    if (reader.isRoot(from)) {
      out.native.push({ node: from, what: name || heap.typeName(from) });
      return;
    }
    if (name === 'system / Context') {
      let builtin: string | null = null;
      const resolvers: number[] = [];
      heap.forEachRetainer(from, (closure, edge) => {
        if (!reader.isClosure(closure) || heap.edgeNameIndex(edge) !== reader.str('context')) return;
        const code = reader.builtinName(closure);
        if (code && RESOLVE_BUILTINS.has(code)) resolvers.push(closure);
        else if (code) builtin = code;
      });
      if (resolvers.length > 0) out.resolvers.push(...resolvers);
      else if (builtin) out.unknown.push({ node: from, what: `the context of builtin ${builtin}` });
      // Otherwise a variable of user (or Node) code: holding a promise does not settle it.
      return;
    }
    if (name === 'system / PromiseReaction') {
      out.reactions.push(from);
      return;
    }
    if (name === 'system / PromiseCapability' || name === 'system / AsyncGeneratorRequest') {
      out.plumbing.push(from);
      return;
    }
    const type = heap.typeName(from);
    if (type === 'array' || name === 'system / PropertyArray') {
      // A container: judged by whoever holds it.
      if (depth >= 4) {
        out.unknown.push({ node: from, what: 'a deeply nested container' });
        return;
      }
      let owners = 0;
      heap.forEachRetainer(from, (owner, edge) => {
        if (heap.edgeType(edge) === reader.weakEdge) return;
        owners++;
        this.classifyHolder(owner, out, depth + 1);
      });
      if (owners === 0) out.unknown.push({ node: from, what: 'an unowned container' });
      return;
    }
    if (type === 'object') {
      if (name.startsWith('system /')) {
        out.unknown.push({ node: from, what: name.slice('system / '.length) });
        return;
      }
      if (this.isGenerator(from)) {
        // Directly: the async function's own promise. Through its registers: a local variable.
        if (depth === 0) out.generators.push(from);
        return;
      }
      if (this.isNativeBacked(from)) {
        out.native.push({ node: from, what: reader.className(from) });
        return;
      }
      return; // a plain JavaScript object
    }
    if (type === 'closure') return; // a function property or a bound argument
    out.unknown.push({ node: from, what: name || type });
  }

  /** Per node: NOT_KNOWN, KNOWN_NO or KNOWN_YES (the checks scan all edges: an array of 100k waiters has 100k). */
  private readonly generatorFlag: Uint8Array;
  private readonly nativeFlag: Uint8Array;

  private isGenerator(node: number): boolean {
    let flag = this.generatorFlag[node];
    if (flag === NOT_KNOWN) {
      flag = this.reader.get(node, 'parameters_and_registers') >= 0 && this.reader.get(node, 'function') >= 0 ? KNOWN_YES : KNOWN_NO;
      this.generatorFlag[node] = flag;
    }
    return flag === KNOWN_YES;
  }

  /** A native wrapper (Node's BaseObject) or an object native code holds directly. */
  private isNativeBacked(node: number): boolean {
    let flag = this.nativeFlag[node];
    if (flag === NOT_KNOWN) {
      let native = this.reader.get(node, 'javascript_to_native') >= 0 || isResourceClass(this.reader.className(node));
      if (!native) {
        this.heap.forEachRetainer(node, (from) => {
          if (this.reader.isRoot(from)) native = true;
          return native;
        });
      }
      flag = native ? KNOWN_YES : KNOWN_NO;
      this.nativeFlag[node] = flag;
    }
    return flag === KNOWN_YES;
  }

  // ---------------------------------------------------------------------------------------------
  // Leaves

  /**
   * A leaf's settlement. Its holders are not kept (seven objects per leaf, a hundred thousand
   * leaves, all surviving into the old generation): the never-settles pass reads the verdict.
   */
  private settleLeaf(promise: number): FoundSettlement {
    const settlement = this.settleLeafFrom(this.holders(promise, false));
    this.leafVerdicts[promise] = VERDICTS.indexOf(settlement.verdict) + 1;
    return settlement;
  }

  /** Per heap node: 0, or 1 + the index in VERDICTS of its settlement's verdict. */
  private readonly leafVerdicts: Uint8Array;

  private settleLeafFrom(holders: PromiseHolders): FoundSettlement {
    if (holders.resolvers.length > 0) {
      const { wakers, frames } = this.wakersOf(holders.resolvers);
      return {
        verdict: 'can-settle',
        reason: holders.resolvers.length === 1 ? 'its resolve or reject function is alive' : 'its resolve and reject functions are alive',
        wakers,
        ...(frames.length > 0 ? { holderFrames: frames } : {}),
      };
    }
    const native = holders.native.map(({ node, what }) => this.nativeWaker(node, what));
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

  private nativeWaker(node: number, what: string): FoundWaker {
    const resource = this.reader.isObject(node) ? this.resourceOf(node) : null;
    if (resource) return resourceWaker(resource);
    return { kind: 'native', description: `held by native ${what}` };
  }

  /** Who holds the resolving functions: a search up the retainers for resources and variables. */
  private wakersOf(resolvers: number[]): { wakers: FoundWaker[]; frames: number[] } {
    if (this.totalBudget <= 0) {
      return { wakers: [{ kind: 'holder', description: 'held by something not traced (the search budget went to other leaves)' }], frames: [] };
    }
    const before = this.visitedTotal;
    try {
      return this.searchWakers(resolvers);
    } finally {
      this.totalBudget -= this.visitedTotal - before;
    }
  }

  private searchWakers(resolvers: number[]): { wakers: FoundWaker[]; frames: number[] } {
    const parent = this.searchTree;
    parent.clear();
    this.settledWakers.clear();
    const hits: Hit[] = [];
    const starts = new Set(resolvers);
    let frontier = [...resolvers];
    let visited = frontier.length;
    let resourceHits = 0;
    let resourceHitsChecked = 0;
    // Deep enough for a linked list of a few hundred waiters (generic-pool's queue): the node
    // limit, not the depth, bounds the work.
    for (let distance = 1; frontier.length > 0 && visited < this.searchLimit && distance < MAX_SEARCH_DEPTH; distance++) {
      if (resourceHits >= this.maxWakers && resourceHits > resourceHitsChecked) {
        resourceHitsChecked = resourceHits;
        if (this.answered(hits, parent)) break;
      }
      const next: number[] = [];
      for (const child of frontier) {
        this.heap.forEachRetainer(child, (from, edge) => {
          if (parent.has(from) || starts.has(from) || !this.follows(from, edge)) return;
          if (!this.reachesThroughScope(from, edge, child, parent)) return;
          parent.set(from, edge, child);
          visited++;
          this.visitedTotal++;
          const kind = this.hitKind(from, edge);
          if (kind) {
            hits.push({ kind, node: from, distance });
            if (HIT_RANK[kind] === 0) resourceHits++;
          } else {
            // A container in a function's scope (a factory's or a bundle's module wrapper's `waiters`)
            // names the holder too, while the search goes on to what can reach that scope.
            if (this.isScopeContainer(from, edge, child)) hits.push({ kind: 'scope', node: from, distance });
            next.push(from);
          }
          return visited >= this.searchLimit;
        });
        if (visited >= this.searchLimit) break;
      }
      frontier = next;
    }
    // Resources and variables say who holds it; frames, reactions and roots only when nothing does.
    hits.sort((a, b) => HIT_RANK[a.kind] - HIT_RANK[b.kind] || a.distance - b.distance);
    // Scope variables when nothing better; the rest only when there is nothing else.
    const tier = hits.length > 0 ? Math.max(1, HIT_RANK[hits[0].kind]) : 0;
    const best = tier <= 2 ? hits.filter((hit) => HIT_RANK[hit.kind] <= tier) : hits;
    const seen = (node: number) => parent.has(node) || starts.has(node);
    // Suspended functions holding the resolver in their locals, nearer than any variable holding it
    // (undici's mainFetch at 6 steps; its global dispatcher reaches the same resolver at 21).
    const frameHits = hits.filter((hit) => hit.kind === 'frame');
    const nearestFrame = frameHits.length > 0 ? frameHits[0].distance : Infinity;
    const frames = hits.some((hit) => (hit.kind === 'variable' || hit.kind === 'global') && hit.distance <= nearestFrame)
      ? []
      : [...new Set(frameHits.map((hit) => this.heap.idOf(hit.node)))];
    const found = best
      .map((hit) => {
        const steps = this.pathDown(hit.node, parent);
        const settled = this.settledWakers.get(hit.node);
        return { hit, steps, waker: settled !== undefined ? settled : this.hitWaker(hit, steps, seen), alias: this.aliasKey(hit, steps) };
      })
      .filter((entry): entry is { hit: Hit; steps: PathStep[]; waker: FoundWaker; alias: string } => entry.waker !== null);
    // The same order on every Node version: nearer first, then a variable before globalThis, then by text.
    // An AbortSignal's 'abort' listener settles it only if someone cancels: any other resource holding
    // the resolver (undici's fetch: the request's socket) is what the work waits on, so it comes first.
    found.sort(compareFound);
    // Two variables holding the same object (`held` in a module and `globalThis.held`) are one holder.
    const aliases = new Set<string>();
    const wakers = found
      .filter(({ alias }) => {
        if (!alias) return true;
        if (aliases.has(alias)) return false;
        aliases.add(alias);
        return true;
      })
      .map(({ waker }) => waker);
    const unique = dedupe(wakers);
    if (unique.length === 0) return { wakers: [{ kind: 'holder', description: 'held by something asyncgraph could not trace within its search limit' }], frames };
    // At most maxWakers lookups in `found`: cheaper than a map of every weighed hit, per leaf.
    const reported = unique.slice(0, this.maxWakers).map((waker) => {
      const { hit, steps } = found.find((entry) => entry.waker === waker)!;
      return this.withPathDefinitions(hit.kind, waker, steps);
    });
    return { wakers: reported, frames };
  }

  /**
   * Whether the hits found so far already decide the search's answer, so it can stop before the
   * next level (a fetch's leaf reaches its socket and client in a few steps, then would walk
   * thousands of undici's nodes to its node limit, for every leaf). So when the first maxWakers
   * wakers, in searchWakers' order and after dedupe, are resources or emitters (rank 0) that are
   * not AbortSignals and not 'error' listeners, and whose text does not depend on what else the
   * search sees (an emitter's event read from the path, not from the visited listeners): a hit
   * of a later level is farther, so it sorts after all of them, and dedupe replaces only an
   * 'error' listener. Same answer as the whole search, less of the node budget spent.
   */
  private answered(hits: Hit[], parent: StepsUp): boolean {
    const found: { hit: Hit; waker: FoundWaker }[] = [];
    for (const hit of hits) {
      if (HIT_RANK[hit.kind] !== 0) continue;
      if (hit.kind === 'event-target') {
        // An AbortSignal sorts after every other resource (compareFound), so it cannot be among
        // the first wakers decided below (a fetch's leaf meets its request's signal first). Any
        // other EventTarget's event is read from what the whole search visits: undecided.
        if (this.isAbortSignal(hit.node)) continue;
        return false;
      }
      let waker = this.settledWakers.get(hit.node);
      if (waker === undefined) {
        const steps = this.pathDown(hit.node, parent);
        if (hit.kind === 'emitter' && this.listenerEvent(steps) === undefined) return false;
        waker = this.hitWaker(hit, steps, () => false);
        this.settledWakers.set(hit.node, waker);
      }
      if (waker) found.push({ hit, waker });
    }
    found.sort(compareFound);
    const keys = new Set<string>();
    for (const { waker } of found) {
      // An AbortSignal sorts after every other resource, a later one too: it cannot be among them.
      if (waker.kind === 'abort-signal') continue;
      if (waker.event?.name === 'error') return false;
      keys.add(waker.resourceId !== undefined ? `r${waker.resourceId}` : `${waker.kind}:${waker.description}`);
      if (keys.size === this.maxWakers) return true;
    }
    return false;
  }

  /**
   * The current search's wakers of resource and emitter hits that do not depend on what else it
   * sees (see answered), by hit node: worked out once, whether answered or the end of the search
   * asks first (a fetch's leaf meets hundreds of other requests' emitters at one distance).
   */
  private readonly settledWakers = new Map<number, FoundWaker | null>();

  private isAbortSignal(node: number): boolean {
    return this.reader.protoName(node) === 'AbortSignal' || this.reader.className(node) === 'AbortSignal';
  }

  /** The event of the listener an emitter hit's path goes through (`_events.NAME`), unless 'error'. */
  private listenerEvent(steps: PathStep[]): string | undefined {
    const step = steps[1];
    if (!step || this.heap.edgeType(step.edge) !== this.reader.propertyEdge) return undefined;
    const name = this.heap.edgeName(step.edge);
    return typeof name === 'string' && name !== 'error' ? name : undefined;
  }

  /**
   * For a variable or global: the object that holds the resolving function itself. Paths from
   * different variables to one such object (`held` in a module, `globalThis.held`, the module's
   * `exports.held` through require's cache) name one holder.
   */
  private aliasKey(hit: Hit, steps: PathStep[]): string {
    if (hit.kind !== 'variable' && hit.kind !== 'global' && hit.kind !== 'scope') return '';
    for (let i = steps.length - 1; i >= 0; i--) {
      const type = this.heap.typeName(steps[i].from);
      if (type === 'object' && this.heap.nameOf(steps[i].from) !== 'system / Context') return `o${steps[i].from}`;
    }
    return '';
  }

  /**
   * Whether a function (a closure, or a suspended async function through its closure) whose scope
   * is `context` can reach what the search came up through: the scope's variable the path starts
   * with must be named in its code, or in that of a function of the scope it names (a timer
   * callback `() => flush()`). Anything else (no variable on the path, builtin code, no source)
   * is followed as before.
   */
  private reachesThroughScope(from: number, edge: number, context: number, parent: StepsUp): boolean {
    const heap = this.heap;
    const reader = this.reader;
    if (!this.closureNames || heap.edgeType(edge) !== reader.internalEdge || heap.edgeNameIndex(edge) !== reader.str('context')) return true;
    const closure = reader.isClosure(from) ? from : this.isGenerator(from) ? reader.get(from, 'function') : -1;
    if (closure < 0 || reader.builtinName(closure) !== null) return true;
    const variable = this.variableBelow(context, parent);
    return variable === null || this.closureUses(closure, variable, context, 0);
  }

  /** The scope variable a path down from a context starts with (through outer scopes), or null. */
  private variableBelow(context: number, parent: StepsUp): string | null {
    const heap = this.heap;
    let at = context;
    for (let guard = 0; guard < 32; guard++) {
      const step = parent.get(at);
      if (!step) return null;
      if (heap.edgeType(step.edge) === this.reader.contextEdge) return String(heap.edgeName(step.edge));
      if (heap.edgeNameIndex(step.edge) !== this.reader.str('previous')) return null;
      at = step.child;
    }
    return null;
  }

  private closureUses(closure: number, variable: string, context: number, depth: number): boolean {
    let byVariable = this.usesCache.get(closure);
    if (byVariable === undefined) this.usesCache.set(closure, (byVariable = new Map()));
    const known = byVariable.get(variable);
    if (known !== undefined) return known;
    const location = this.heap.closureLocation(closure);
    const missingBefore = this.closureNames!.missingAsked;
    const names = location ? this.closureNames!.namesUsedBy(location) : 'unknown';
    // Not known yet: followed for now; the leaf is settled again once the source is in.
    if (names === 'missing') return true;
    let uses = names === 'unknown' || names.has(variable);
    if (!uses && depth < 2) {
      for (const name of names as ReadonlySet<string>) {
        const fn = this.scopeFunction(context, name);
        if (fn >= 0 && fn !== closure && this.reader.builtinName(fn) === null && this.closureUses(fn, variable, context, depth + 1)) {
          uses = true;
          break;
        }
      }
    }
    // An answer that rested on a script not given yet is not kept: it may change once it is.
    if (this.closureNames!.missingAsked === missingBefore) byVariable.set(variable, uses);
    return uses;
  }

  /** The function a scope (or an outer one) holds in a variable of that name, or -1. */
  private scopeFunction(context: number, name: string): number {
    const index = this.reader.str(name);
    if (index < 0) return -1;
    let at = context;
    for (let guard = 0; guard < 32 && at >= 0 && !this.reader.isNativeContext(at); guard++) {
      for (let e = this.heap.firstEdgeOf(at), end = this.heap.endEdgeOf(at); e < end; e++) {
        if (this.heap.edgeType(e) === this.reader.contextEdge && this.heap.edgeNameIndex(e) === index) {
          const target = this.heap.edgeTo(e);
          return this.reader.isClosure(target) ? target : -1;
        }
      }
      at = this.reader.get(at, 'previous');
    }
    return -1;
  }

  /** Whether a retainer edge is worth following up. */
  private follows(from: number, edge: number): boolean {
    const heap = this.heap;
    if (heap.edgeType(edge) === this.reader.weakEdge) return false;
    const nameIndex = heap.edgeNameIndex(edge);
    if (nameIndex >= 0 && this.skippedEdgeNames().has(nameIndex)) return false;
    let flag = this.followFlag[from];
    if (flag === NOT_KNOWN) this.followFlag[from] = flag = this.followsFrom(from) ? KNOWN_YES : KNOWN_NO;
    return flag === KNOWN_YES;
  }

  /** follows's part that depends on the retainer alone. */
  private followsFrom(from: number): boolean {
    const type = this.heap.typeName(from);
    if (type === 'code' || type === 'object shape') return false;
    const fromName = this.heap.nameOf(from);
    if (fromName === 'system / Map' || fromName.startsWith('system / Map ') || this.reader.isNativeContext(from)) return false;
    return this.bystanderScripts.size === 0 || !this.isBystander(from, fromName);
  }

  /** A function of a bystander script, or a scope of one. */
  private isBystander(node: number, name: string): boolean {
    const location = this.reader.isClosure(node) ? this.heap.closureLocation(node) : name === 'system / Context' ? this.contextScript(node) : undefined;
    return location !== undefined && this.bystanderScripts.has(location.scriptId);
  }

  /** Per heap node: NOT_KNOWN, KNOWN_NO (follows no retainer edge from it) or KNOWN_YES (it may, see follows). */
  private readonly followFlag: Uint8Array;

  /** String indexes of SKIPPED_EDGES's names. */
  private skippedEdgeNames(): Set<number> {
    if (!this.skippedNames) {
      this.skippedNames = new Set();
      for (const name of SKIPPED_EDGES) {
        const index = this.reader.str(name);
        if (index >= 0) this.skippedNames.add(index);
      }
    }
    return this.skippedNames;
  }

  private skippedNames: Set<number> | undefined;

  /**
   * What a retainer met by the search is, through this edge. The part that depends on the node
   * alone (its class, whether it is a resource, a top-level scope, a frame) is worked out once per
   * node: thousands of leaves' searches pass through the same holders.
   */
  private hitKind(node: number, edge: number): HitKind | null {
    let kind = this.holderKinds[node];
    if (kind === 0) this.holderKinds[node] = kind = this.holderKind(node);
    if (kind === HOLDER_ROOT) return 'root';
    if (kind >= HOLDER_OBJECT) {
      const edgeName = this.heap.edgeNameIndex(edge);
      if (edgeName >= 0) {
        if (edgeName === this.reader.str('_events')) return 'emitter';
        if (edgeName === this.reader.str('<symbol kEvents>')) return 'event-target';
      }
      if (kind === HOLDER_TOP_CONTEXT) return this.heap.edgeType(edge) === this.reader.contextEdge ? 'variable' : null;
    }
    return HOLDER_HIT_KINDS[kind];
  }

  /** Per heap node: 0 not known yet, else a HOLDER_… code (hitKind's part that ignores the edge). */
  private readonly holderKinds: Uint8Array;

  private holderKind(node: number): number {
    const reader = this.reader;
    if (reader.isRoot(node)) return HOLDER_ROOT;
    const name = this.heap.nameOf(node);
    if (reader.isObject(node)) {
      if (isResourceClass(reader.className(node))) return HOLDER_RESOURCE;
      if (name === 'system / Context') return this.isTopLevelContext(node) ? HOLDER_TOP_CONTEXT : HOLDER_OBJECT;
      if (name === 'system / PromiseReaction') return HOLDER_REACTION;
      if (/^system \/ \w*(Task|Microtask)$/.test(name)) return HOLDER_MICROTASK;
      if (this.isGenerator(node)) return HOLDER_FRAME;
      if (reader.className(node) === 'global') return HOLDER_GLOBAL;
      return HOLDER_OBJECT;
    }
    return name === 'system / PromiseReaction' ? HOLDER_OTHER_REACTION : HOLDER_NONE;
  }

  /**
   * A variable of a function's scope (not a top-level one, which hitKind names) that holds an
   * object, array or collection on the way to the resolving function, in code that is not Node's
   * own: `const waiters = new Map()` in a factory or a bundle's module wrapper. A scope variable
   * that is the resolving function itself (`new Promise((resolve) => …)`'s `resolve`) is not: the
   * closures that use it are what can call it.
   */
  private isScopeContainer(from: number, edge: number, child: number): boolean {
    const heap = this.heap;
    if (heap.edgeType(edge) !== this.reader.contextEdge || heap.nameOf(from) !== 'system / Context') return false;
    if (this.reader.isClosure(child) || !this.reader.isObject(child) && heap.typeName(child) !== 'array') return false;
    const script = this.contextScript(from);
    return script !== undefined && !this.internalScripts.has(script.scriptId);
  }

  /** Script ids of Node's own code (node:…), when the caller knows them. */
  private readonly internalScripts: ReadonlySet<number>;
  private readonly bystanderScripts: ReadonlySet<number>;

  /** A script's or module's top-level scope: its outer context is the native (or script) context. */
  private isTopLevelContext(context: number): boolean {
    const previous = this.reader.get(context, 'previous');
    if (previous < 0) return true;
    return this.reader.isNativeContext(previous) || this.heap.nameIndexOf(previous) === this.scriptContext;
  }

  /**
   * What a hit says of the leaf; `steps` lead from the hit down to the resolving function. Without
   * the definitions of the closures on the way (withPathDefinitions): only the wakers a leaf
   * reports need them, and a fetch's leaf weighs hundreds of hits.
   */
  private hitWaker(hit: Hit, steps: PathStep[], visited: (node: number) => boolean): FoundWaker | null {
    const heap = this.heap;
    const reader = this.reader;
    // Emitters, resources and microtasks are not named by the path: not worked out for them (a
    // fetch's leaf meets hundreds of other requests' emitters).
    const named = hit.kind !== 'emitter' && hit.kind !== 'event-target' && hit.kind !== 'resource' && hit.kind !== 'microtask';
    const path = named ? this.describePath(hit.node, steps) : '';
    switch (hit.kind) {
      case 'emitter':
      case 'event-target': {
        const names = hit.kind === 'emitter' ? this.emitterEvents(steps, visited) : this.eventTargetEvents(steps, visited);
        // events.once() also listens for 'error': name the event that was asked for.
        const eventName = names.find((name) => name !== 'error') ?? names[0];
        const resource = this.resourceOf(hit.node);
        const isSignal = this.isAbortSignal(hit.node);
        const target = resource ? resource.description : isSignal ? 'AbortSignal' : reader.className(hit.node) || 'an event emitter';
        const holder = resource ? '' : this.nameHolder(hit.node);
        const event = eventName ?? '?';
        return {
          ...(resource ? resourceWaker(resource) : {}),
          kind: resource ? resource.kind : isSignal ? 'abort-signal' : 'event-listener',
          description: `'${event}' listener on ${target}${holder ? ` ${holder}` : ''}`,
          resourceId: heap.idOf(hit.node),
          event: { target: resource ? resource.className : isSignal ? 'AbortSignal' : reader.className(hit.node), name: event },
        };
      }
      case 'resource': {
        const resource = this.resourceOf(hit.node);
        return resource ? resourceWaker(resource) : null;
      }
      case 'variable':
      case 'scope': {
        const scope = this.contextScript(hit.node);
        return {
          kind: 'variable',
          description: path ? `held in ${shortPath(path)}` : 'held in a top-level variable',
          path,
          ...(scope ? { scopeScriptId: scope.scriptId, scopeAt: scope } : {}),
        };
      }
      case 'global':
        return { kind: 'global', description: `held in ${path ? `globalThis.${shortPath(path)}` : 'a global'}`, path: `globalThis.${path}` };
      case 'frame': {
        const fn = reader.get(hit.node, 'function');
        const fnName = fn >= 0 ? heap.nameOf(fn) || '(anonymous)' : '(anonymous)';
        const location = fn >= 0 ? heap.closureLocation(fn) : undefined;
        return {
          kind: 'frame',
          description: `held by the suspended async function ${fnName}`,
          path,
          resourceId: heap.idOf(hit.node),
          ...(location ? { definitions: [location] } : {}),
        };
      }
      case 'reaction':
        return { kind: 'promise-reaction', description: 'a .then() handler on another pending promise', path };
      case 'microtask':
        return { kind: 'microtask', description: `a queued microtask (${heap.nameOf(hit.node).replace('system / ', '')})` };
      case 'root': {
        const name = heap.nameOf(hit.node);
        return { kind: 'native', description: `held from ${name.startsWith('Node / ') ? `native ${name.slice(7)}` : name}${path ? ` via ${shortPath(path)}` : ''}`, path };
      }
    }
  }

  /** The steps from a hit down to the resolving function it holds. */
  private pathDown(top: number, parent: StepsUp): PathStep[] {
    const steps: PathStep[] = [];
    let at = top;
    for (let guard = 0; guard < MAX_SEARCH_DEPTH; guard++) {
      const step = parent.get(at);
      if (!step) break;
      steps.push({ from: at, edge: step.edge, to: step.child });
      at = step.child;
    }
    return steps;
  }

  /** Events of an EventEmitter whose listeners lead to the resolving functions: properties of `_events`. */
  private emitterEvents(steps: { from: number; edge: number; to: number }[], visited: (node: number) => boolean): string[] {
    const events = steps[0]?.to;
    if (events === undefined) return [];
    const heap = this.heap;
    // The event whose listener the path goes through; another one only when that is 'error'
    // (events.once listens for it too). Any listener the search saw is not enough: a socket's
    // listeners share their closures' scopes (ioredis prepends its 'data' listener next to 'close').
    const onPath = steps[1] && heap.edgeType(steps[1].edge) === this.reader.propertyEdge ? heap.edgeName(steps[1].edge) : undefined;
    if (typeof onPath === 'string' && onPath !== 'error') return [symbolName(onPath)];
    const names: string[] = [];
    for (let e = heap.firstEdgeOf(events), end = heap.endEdgeOf(events); e < end; e++) {
      if (heap.edgeType(e) !== this.reader.propertyEdge) continue;
      const name = heap.edgeName(e);
      if (name === '__proto__' || typeof name !== 'string') continue;
      const listener = heap.edgeTo(e);
      // One listener, or an array of them.
      if (visited(listener) || this.reader.elements(listener).some(visited)) names.push(symbolName(name));
    }
    return names;
  }

  /** Event types of an EventTarget whose listeners lead to the resolving functions: keys of its kEvents Map. */
  private eventTargetEvents(steps: { from: number; edge: number; to: number }[], visited: (node: number) => boolean): string[] {
    // target --kEvents--> Map --table--> table --slot--> entry (its key in the slot before)
    const table = steps[1]?.to;
    if (table === undefined) return [];
    const heap = this.heap;
    const names: string[] = [];
    for (let e = heap.firstEdgeOf(table), end = heap.endEdgeOf(table); e < end; e++) {
      const slot = heap.edgeName(e);
      if (typeof slot === 'string' && !/^\d+$/.test(slot)) continue;
      if (!visited(heap.edgeTo(e))) continue;
      const key = this.mapKey(table, slot);
      if (key !== undefined) names.push(key);
    }
    return names;
  }

  /** The key stored before a value slot of an OrderedHashMap table (entries are key, value, chain). */
  private mapKey(table: number, valueSlot: string | number): string | undefined {
    const slot = Number(valueSlot);
    if (!Number.isInteger(slot)) return undefined;
    const heap = this.heap;
    for (let e = heap.firstEdgeOf(table), end = heap.endEdgeOf(table); e < end; e++) {
      if (Number(heap.edgeName(e)) === slot - 1) {
        const value = this.reader.value(heap.edgeTo(e));
        return value === undefined ? undefined : String(value);
      }
    }
    return undefined;
  }

  /** A reported waker with the definitions of the closures on its path (after a resource's own callback). */
  private withPathDefinitions(kind: HitKind, waker: FoundWaker, steps: PathStep[]): FoundWaker {
    // A frame is defined by its own function when it has one.
    if (kind === 'frame' && waker.definitions) return waker;
    const definitions = this.closuresOnPath(steps);
    if (definitions.length === 0) return waker;
    return { ...waker, definitions: [...(waker.definitions ?? []), ...definitions] };
  }

  /** Closures of JavaScript code on the way down (a timer callback, a listener), for their definitions. */
  private closuresOnPath(steps: { from: number; edge: number; to: number }[]): RawLocation[] {
    const out: RawLocation[] = [];
    for (const { to } of steps) {
      if (this.reader.isClosure(to) && this.reader.builtinName(to) === null) {
        const location = this.heap.closureLocation(to);
        if (location) out.push(location);
      }
    }
    return out;
  }

  /**
   * The script of a top-level context: that of a closure defined in it. Remembered per context: a
   * module's context is the variable hit of every leaf held there, and its retainers can be a
   * hundred thousand generators before the first closure.
   */
  private contextScript(context: number): RawLocation | undefined {
    if (this.contextScripts.has(context)) return this.contextScripts.get(context);
    let script: RawLocation | undefined;
    this.heap.forEachRetainer(context, (closure, edge) => {
      if (!this.reader.isClosure(closure) || this.heap.edgeNameIndex(edge) !== this.reader.str('context')) return false;
      script = this.heap.closureLocation(closure);
      return script !== undefined;
    });
    this.contextScripts.set(context, script);
    return script;
  }

  private readonly contextScripts = new Map<number, RawLocation | undefined>();

  /** describeResource, once per holder (a socket or emitter shared by hundreds of leaves). */
  private resourceOf(node: number): FoundResource | null {
    let resource = this.resources.get(node);
    if (resource === undefined) this.resources.set(node, (resource = describeResource(this.reader, node)));
    return resource;
  }

  private readonly resources = new Map<number, FoundResource | null>();

  /**
   * A short name for an emitter: the variable or property path that holds it, if near; a suspended
   * function's local only when no variable holds it (a module-level `bus` is also in the registers
   * of every function that used it last).
   */
  private nameHolder(node: number): string {
    // Once per emitter, not once per leaf waiting on it (200 orders on one `approvals` emitter).
    let name = this.holderNames.get(node);
    if (name === undefined) this.holderNames.set(node, (name = this.findHolderName(node)));
    return name;
  }

  private readonly holderNames = new Map<number, string>();
  private readonly holderTree = new SearchTree(HOLDER_SEARCH_LIMIT);

  private findHolderName(node: number): string {
    const parent = this.holderTree;
    parent.clear();
    let frontier = [node];
    let visited = 1;
    let frame: number | undefined;
    for (let distance = 1; frontier.length > 0 && distance <= 6 && visited < HOLDER_SEARCH_LIMIT; distance++) {
      const next: number[] = [];
      for (const child of frontier) {
        let found: number | undefined;
        this.heap.forEachRetainer(child, (from, edge) => {
          if (from === node || parent.has(from) || !this.follows(from, edge)) return false;
          parent.set(from, edge, child);
          visited++;
          const kind = this.hitKind(from, edge);
          if (kind === 'variable' || kind === 'global') found = from;
          else if (kind === 'frame') frame ??= from;
          else if (!kind) next.push(from);
          return found !== undefined || visited >= HOLDER_SEARCH_LIMIT;
        });
        if (found !== undefined) {
          const steps = this.pathDown(found, parent);
          const path = this.describePath(found, steps);
          return path ? `(${this.hitKind(found, steps[0].edge) === 'global' ? 'globalThis.' : ''}${path})` : '';
        }
      }
      frontier = next;
    }
    if (frame === undefined) return '';
    const fn = this.reader.get(frame, 'function');
    return `(a local of ${fn >= 0 ? this.heap.nameOf(fn) || 'an async function' : 'an async function'})`;
  }

  /**
   * The path from a holder down to the resolving function in source terms: variables, property
   * names, indexes, Map keys; a closure's captured variable as `fn → name`.
   */
  private describePath(top: number, steps: { from: number; edge: number; to: number }[]): string {
    const heap = this.heap;
    const reader = this.reader;
    let text = '';
    for (let i = 0; i < steps.length; i++) {
      const { from, edge, to } = steps[i];
      const type = heap.edgeType(edge);
      const name = heap.edgeName(edge);
      if (i === steps.length - 1 && to !== undefined && !text && type === reader.contextEdge) {
        text = String(name);
        continue;
      }
      if (type === reader.contextEdge) {
        text = text ? `${text} → ${String(name)}` : String(name);
      } else if (type === reader.elementEdge) {
        text += `[${String(name)}]`;
      } else if (type === reader.propertyEdge) {
        const key = String(name);
        if (key === '_events' && i === 0) continue;
        text += propertyText(key, text === '');
      } else if (name === 'table') {
        // Map/Set: the next step is a slot of the table.
        const slot = steps[i + 1];
        const kind = reader.className(from);
        if (slot && kind === 'Map') {
          // Map keys are program data: never printed (docs/safety.md), like values.
          text += '.get(…)';
          i++;
        } else if (slot) {
          text += kind === 'Set' ? ' (a Set entry)' : '.get(…)';
          i++;
        }
      } else if (type === reader.shortcutEdge) {
        text += ' (bound)';
      } else if (name === 'parameters_and_registers') {
        text += ' (a local)';
      } else if (name === 'context' || name === 'elements' || name === 'properties' || name === 'previous') {
        // Into a closure's scope, an array's elements, an object's property store: the next step names it.
        if (name === 'elements' && steps[i + 1]) {
          text += `[${String(heap.edgeName(steps[i + 1].edge))}]`;
          i++;
        }
      }
      void top;
    }
    return text;
  }

  // ---------------------------------------------------------------------------------------------
  // Never settles: a greatest fixpoint over the graph

  /**
   * Ids of the graph nodes proven never to settle: the fixpoint of never-settles.ts over the
   * graph's variables, with `possible` read from the heap.
   */
  private neverSettling(): Set<number> {
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
      return this.settleLeafVerdict(promise) === 'never';
    };
    const never = neverSettlingVariables(lists, (v) => (v < nodeCount ? nodeWaiting[v] : WAITS_FOR_ALL), settledOnlyInGraph);
    const result = new Set<number>();
    for (let i = 0; i < nodeCount; i++) if (never[i] === 1) result.add(nodes[i].id);
    return result;
  }

  /** settleLeaf's verdict (the leaves are settled before this is asked; else from the holders). */
  private settleLeafVerdict(promise: number): SettleVerdict {
    const settled = this.leafVerdicts[promise];
    if (settled > 0) return VERDICTS[settled - 1];
    const holders = this.holders(promise);
    if (holders.resolvers.length > 0 || holders.native.length > 0) return 'can-settle';
    if (holders.unknown.length > 0 || holders.reactions.length > 0 || holders.generators.length > 0 || holders.plumbing.length > 0) {
      return 'unknown';
    }
    return 'never';
  }

  /**
   * A promise the graph looks through (resolved by other pending promises): true when something
   * besides those promises' reactions may settle it.
   */
  private settledOutsideSources(promise: number, reactions: number[]): boolean {
    const holders = this.holders(promise);
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
    const holders = this.holders(promise);
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

const HIT_RANK: Record<HitKind, number> = {
  resource: 0,
  emitter: 0,
  'event-target': 0,
  variable: 1,
  global: 1,
  // A function's scope variable: when no top-level variable or resource says more.
  scope: 2,
  frame: 3,
  reaction: 3,
  microtask: 3,
  root: 4,
};

/**
 * hitKind's codes per heap node. From HOLDER_OBJECT up, objects: an `_events` or kEvents edge
 * makes them an emitter or event target first.
 */
const HOLDER_NONE = 1;
const HOLDER_ROOT = 2;
const HOLDER_OTHER_REACTION = 3;
const HOLDER_OBJECT = 4;
const HOLDER_TOP_CONTEXT = 5;
const HOLDER_RESOURCE = 6;
const HOLDER_REACTION = 7;
const HOLDER_MICROTASK = 8;
const HOLDER_FRAME = 9;
const HOLDER_GLOBAL = 10;
const HOLDER_HIT_KINDS: readonly (HitKind | null)[] = [
  null,
  null,
  'root',
  'reaction',
  null,
  null,
  'resource',
  'reaction',
  'microtask',
  'frame',
  'global',
];

/** How a promise variable of neverSettling is settled: by its producer node, by the promises it was resolved with, or a leaf. */
/** A per-node fact worked out once (Uint8Array caches): not yet, no, yes. */
const NOT_KNOWN = 0;
const KNOWN_NO = 1;
const KNOWN_YES = 2;


/** The order of a search's wakers (see searchWakers). */
function compareFound(a: { hit: Hit; waker: FoundWaker }, b: { hit: Hit; waker: FoundWaker }): number {
  return (
    HIT_RANK[a.hit.kind] - HIT_RANK[b.hit.kind] ||
    Number(a.waker.kind === 'abort-signal') - Number(b.waker.kind === 'abort-signal') ||
    a.hit.distance - b.hit.distance ||
    Number(a.hit.kind === 'global') - Number(b.hit.kind === 'global') ||
    (a.waker.description < b.waker.description ? -1 : a.waker.description > b.waker.description ? 1 : 0)
  );
}

function resourceWaker(resource: FoundResource): FoundWaker {
  return {
    kind: resource.kind,
    description: resource.description,
    resourceId: resource.id,
    ...(resource.callback ? { definitions: [resource.callback] } : {}),
    ...(resource.timer ? { timer: resource.timer } : {}),
    ...(resource.pid !== undefined ? { pid: resource.pid } : {}),
    ...(resource.command ? { command: resource.command } : {}),
    ...(resource.localAddress ? { localAddress: resource.localAddress } : {}),
    ...(resource.remoteAddress ? { remoteAddress: resource.remoteAddress } : {}),
  };
}

function dedupe(wakers: FoundWaker[]): FoundWaker[] {
  const seen = new Set<string>();
  const out: FoundWaker[] = [];
  for (const waker of wakers) {
    // One entry per resource; an emitter's 'error' listener only when nothing better holds it.
    const key = waker.resourceId !== undefined ? `r${waker.resourceId}` : `${waker.kind}:${waker.description}`;
    if (seen.has(key)) {
      const at = out.findIndex((other) => (other.resourceId !== undefined ? `r${other.resourceId}` : `${other.kind}:${other.description}`) === key);
      if (at >= 0 && out[at].event?.name === 'error' && waker.event && waker.event.name !== 'error') out[at] = waker;
      continue;
    }
    seen.add(key);
    out.push(waker);
  }
  return out;
}

/**
 * A path for people: a run of the same property (`_list.head.next.next.next…`, a linked list 28
 * deep) as one step with its count (`_list.head.next×28`). The waker's `path` keeps it whole.
 */
export function shortPath(path: string): string {
  return path.replace(/((\.[A-Za-z_$#][\w$]*)\2{2,})/g, (run: string, _all: string, step: string) => `${step}×${run.length / step.length}`);
}

function symbolName(name: string): string {
  const match = /^<symbol (.*)>$/.exec(name);
  return match ? `Symbol(${match[1]})` : name;
}

function propertyText(key: string, first: boolean): string {
  const symbol = /^<symbol (.*)>$/.exec(key);
  if (symbol) return `[${symbol[1]}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return first ? key : `.${key}`;
  if (/^#[A-Za-z_$][\w$]*$/.test(key)) return first ? key : `.${key}`;
  if (/^\d+$/.test(key)) return `[${key}]`;
  // Any other key is likely data (`waiters[\`session:${token}\`]`): never printed, like values.
  return '[…]';
}


/** What the capture keeps of the heap for the document: ids and raw locations, no heap ordinals. */
export interface HeapWakeups {
  settlements: Map<number, FoundSettlement>;
  neverSettles: Set<number>;
  keepAlive: FoundHandle[];
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
  const steps = heapWakeupSteps(heap, nodes, trace, closureNames);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    for (const scriptId of step.value ?? []) closureNames!.addSource(scriptId, sources!.get(String(scriptId)) ?? null);
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
  scripts: Pick<WakeupOptions, 'internalScripts' | 'bystanderScripts'> = {},
): Generator<number[] | undefined, HeapWakeups | undefined> {
  try {
    const { settlements, neverSettles } = yield* new WakeupAnalyzer(heap, nodes, trace, { closureNames, ...scripts }).steps();
    yield;
    return { settlements, neverSettles, keepAlive: findKeepAlive(heap) };
  } catch {
    return undefined;
  }
}

/** Heap nodes nameHolder's search visits, at most. */
const HOLDER_SEARCH_LIMIT = 1500;

/** Retainer steps from a resolving function to its holder, at most. */
const MAX_SEARCH_DEPTH = 400;

/** Leaves settled between two pauses of the analysis (a leaf takes a few microseconds). */
const LEAVES_PER_STEP = 64;
