import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { FoundWaker } from './found-wakers.js';
import type { RetainerFilter } from './followed-retainers.js';
import { HIT_RANK, RANK_RESOURCE, RANK_SCOPE, RANK_VARIABLE, type Hit, type HitClassifier } from './hit-kinds.js';
import type { HitWakers, Visited } from './hit-wakers.js';
import { MAX_SEARCH_DEPTH, pathDown, type PathStep } from './holder-path.js';
import { ListLinks } from './list-links.js';
import type { HeapNodeFacts } from './node-facts.js';
import type { ScopeReach } from './scope-reach.js';
import { SearchTree, type StepsUp } from './search-tree.js';
import { AliasKeys, compareFound, dedupe, hasAlias, wakerKey, withoutAliases, type WeighedHit } from './waker-order.js';

// Who holds a leaf's resolving functions: a breadth-first search up the heap's retainers from
// them, for resources, emitters and variables (src/wakeups/hit-kinds.ts), within a node limit per
// leaf and a budget for all leaves together; then the few wakers it reports, in a fixed order.

export interface SearchLimits {
  /** Heap nodes visited per leaf, at most (a leaf may get less: its share of totalSearchLimit). */
  searchLimit: number;
  /** Wakers reported per leaf. */
  maxWakers: number;
  /** A leaf's share of the total, at least (default MIN_LEAF_SHARE). */
  minLeafShare?: number;
  /**
   * Heap nodes visited by all leaves' searches together; then the rest get no wakers named. Shared
   * fairly: a leaf's search visits at most its share of what is left (leavesLeft).
   */
  totalSearchLimit: number;
}

/**
 * A leaf's share of the total budget, at least (a few hundred nodes: a fetch's socket and
 * listeners are within 30). Below it, the leaves settled last get none.
 */
const MIN_LEAF_SHARE = 256;

/**
 * Retainers of one node, at most, that a search climbs in their order; a node with more is wide:
 * the bulk of its holders is climbed last, if at all (wideRetainers).
 */
const WIDE = 64;

/**
 * Holders of one kind (class, edge type and name; not a module's scope) a wide node has more of
 * than this are its bulk.
 */
const BULK_KIND = 16;

/** A wide node's retainer positions (in the retainer index): its few holders, and its bulk. */
interface WideRetainers {
  few: Uint32Array;
  bulk: Uint32Array;
}

/** A leaf's wakers, and the heap ids of suspended functions holding its resolvers nearest. */
export interface LeafWakers {
  wakers: FoundWaker[];
  frames: number[];
}

/** A hit weighed for the report: its waker and the path it holds the resolver by. */
interface WeighedPath extends WeighedHit {
  /** Walked only where needed (a shared waker needs no path until it is reported). */
  steps: PathStep[] | undefined;
  alias: string;
}

export class HolderSearch {
  private readonly heap: HeapGraph;
  private readonly searchLimit: number;
  private readonly maxWakers: number;
  private totalBudget: number;
  private readonly minLeafShare: number;
  private visitedTotal = 0;
  /** Leaves still to search, this one included (set by the caller): the budget's share of each. */
  leavesLeft = 1;
  /**
   * The share the last search stopped at, when that share was below the node limit per leaf;
   * else 0. The caller searches such a leaf again if budget is left at the end (leafShare).
   */
  lastCutShortAt = 0;
  /** Whether the last search stopped at its node limit. */
  private stoppedAtLimit = false;
  /** The tree of the current leaf's search (reused: one leaf is searched at a time). */
  private readonly searchTree: SearchTree;
  /** Per wide node met (more than WIDE retainers): its retainers, the few before the bulk. */
  private readonly wide = new Map<number, WideRetainers>();
  /** Where each linked list's run of plain links ends, for every leaf that climbs it. */
  private readonly links: ListLinks;
  /**
   * Per node the current search reached through a list's run: the links beyond the one step the
   * run was climbed in. A hit's distance counts them, so hits are ordered as the path's length
   * orders them. Reused: a search that meets no list leaves it empty.
   */
  private readonly extraLinks = new Map<number, number>();
  /**
   * The wakers of resource and emitter hits that do not depend on what else a search sees (see
   * sharedWaker): a resource's by its node, an emitter's by its node and the event its listener is
   * under. The same for every leaf, so worked out once per capture, whether answered or the end of
   * a search asks first (200 stuck fetches each meet every other request's socket and emitter).
   */
  private readonly resourceWakers = new Map<number, FoundWaker | null>();
  private readonly listenerWakers = new Map<number, Map<string, FoundWaker | null>>();
  /** The current search's hits `answered` has weighed (the first answerWeighed), and whether one was undecided. */
  private answerFound: WeighedHit[] = [];
  private answerWeighed = 0;
  private answerUndecided = false;

  constructor(
    reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    private readonly filter: RetainerFilter,
    private readonly classifier: HitClassifier,
    private readonly scopeReach: ScopeReach,
    private readonly hitWakers: HitWakers,
    limits: SearchLimits,
  ) {
    this.heap = reader.heap;
    this.searchLimit = limits.searchLimit;
    this.maxWakers = limits.maxWakers;
    this.totalBudget = limits.totalSearchLimit;
    this.minLeafShare = limits.minLeafShare ?? MIN_LEAF_SHARE;
    this.searchTree = new SearchTree(this.searchLimit);
    this.links = new ListLinks(reader, facts, filter);
  }

  /** Who holds the resolving functions: a search up the retainers for resources and variables. */
  wakersOf(resolvers: number[]): LeafWakers {
    this.lastCutShortAt = 0;
    if (this.totalBudget <= 0) {
      return { wakers: [{ kind: 'holder', description: 'held by something not traced (the search budget went to other leaves)' }], frames: [] };
    }
    const before = this.visitedTotal;
    const limit = this.leafShare();
    try {
      const found = this.searchWakers(resolvers, limit);
      if (this.stoppedAtLimit && limit < this.searchLimit) this.lastCutShortAt = limit;
      return found;
    } finally {
      this.totalBudget -= this.visitedTotal - before;
    }
  }

  /**
   * The nodes the next leaf's search may visit: its share of the budget left (leavesLeft), at
   * least MIN_LEAF_SHARE, at most the limit per leaf. 6000 stuck requests on one pool and one
   * upstream: in leaf order, the first 500 used the whole budget walking the pool's clients, and
   * the rest had no holder named.
   */
  leafShare(): number {
    return Math.min(this.searchLimit, Math.max(this.minLeafShare, Math.floor(this.totalBudget / Math.max(1, this.leavesLeft))));
  }

  /**
   * The search itself, level by level (every holder met, with its kind and distance; `parent`
   * records how each node was reached), then the wakers it reports. A linked list's run of plain
   * links is one level (list-links.ts): the node limit, not the depth, bounds the work. The loop
   * stays in this function: with it split out, Node 20 deoptimized and recompiled the search's
   * pieces three times as often, and the first analysis of a 30k-leaf snapshot took 10-25% more
   * CPU time (scripts/bench-target.js, 30000 chains).
   */
  private searchWakers(resolvers: number[], searchLimit: number): LeafWakers {
    const parent = this.searchTree;
    parent.clear();
    this.answerFound = [];
    this.answerWeighed = 0;
    this.answerUndecided = false;
    const hits: Hit[] = [];
    let frontier = [...resolvers];
    let visited = frontier.length;
    let resourceHits = 0;
    let resourceHitsChecked = 0;
    const retainers = this.heap.retainerLists();
    const retainerFirst = retainers.first;
    const links = this.links;
    const extraLinks = this.extraLinks;
    extraLinks.clear();
    const listEnds: number[] = [];
    let listEndsLeft = false;
    // Wide nodes met whose bulk is still to climb, once nothing else is left, and only if nothing
    // met so far names a holder (a resource or a variable): the bulk is the other waiters'.
    const wideNodes: number[] = [];
    let holderHits = 0;
    for (let distance = 1; (frontier.length > 0 || (wideNodes.length > 0 && holderHits === 0)) && visited < searchLimit && distance < MAX_SEARCH_DEPTH; distance++) {
      if (resourceHits >= this.maxWakers && resourceHits > resourceHitsChecked) {
        resourceHitsChecked = resourceHits;
        if (this.answered(hits, parent, distance - 1)) break;
      }
      const next: number[] = [];
      // A linked list's run of plain links is climbed in one step (list-links.ts): the node where
      // it ends is met at this level, as near as the first link. Four numbers each: that node, the
      // link's edge, the node the run was entered from, the links.
      listEnds.length = 0;
      // Once nothing else is left to climb, the bulk of the wide nodes met (wideRetainers).
      const bulkLevel = frontier.length === 0;
      for (const child of bulkLevel ? wideNodes.splice(0) : frontier) {
        if (visited >= searchLimit) break;
        let order: Uint32Array | undefined;
        if (bulkLevel) order = this.wideRetainers(child).bulk;
        else if (retainerFirst[child + 1] - retainerFirst[child] > WIDE) {
          order = this.wideRetainers(child).few;
          if (order.length < retainerFirst[child + 1] - retainerFirst[child]) wideNodes.push(child);
        }
        // A plain loop over the retainer index: a callback per child cost a closure per node visited.
        const start = retainerFirst[child];
        for (let k = 0, count = order ? order.length : retainerFirst[child + 1] - start; k < count; k++) {
          const i = order ? order[k] : start + k;
          const from = retainers.from[i];
          const edge = retainers.edges[i];
          // The resolvers (one or two) are where the search starts.
          if (parent.has(from) || resolvers.includes(from) || !this.filter.follows(from, edge)) continue;
          if (!this.scopeReach.reachesThroughScope(from, edge, child, parent)) continue;
          const listEnd = links.farEnd(from, edge, child);
          if (listEnd >= 0) {
            // The run's first link stands for the end's own: same name and type, all a step is read for.
            listEnds.push(listEnd, edge, child, links.links);
            continue;
          }
          parent.set(from, edge, child);
          visited++;
          this.visitedTotal++;
          const extra = extraLinks.size > 0 ? (extraLinks.get(child) ?? 0) : 0;
          if (extra > 0) extraLinks.set(from, extra);
          const kind = this.classifier.hitKind(from, edge);
          if (kind) {
            hits.push({ kind, node: from, distance: distance + extra });
            if (HIT_RANK[kind] === RANK_RESOURCE) resourceHits++;
            if (HIT_RANK[kind] <= RANK_VARIABLE) holderHits++;
          } else {
            // A container in a function's scope (a factory's or a bundle's module wrapper's `waiters`)
            // names the holder too, while the search goes on to what can reach that scope.
            if (this.classifier.isScopeContainer(from, edge, child)) hits.push({ kind: 'scope', node: from, distance: distance + extra });
            next.push(from);
          }
          if (visited >= searchLimit) break;
        }
      }
      // The nearer end first: both ends of a doubly linked list lead to the list.
      for (const at of listEnds.length > 0 ? byFewestLinks(listEnds) : []) {
        if (visited >= searchLimit) {
          listEndsLeft = true;
          break;
        }
        const end = listEnds[at];
        if (parent.has(end) || resolvers.includes(end)) continue;
        const edge = listEnds[at + 1];
        const child = listEnds[at + 2];
        parent.set(end, edge, child, listEnds[at + 3]);
        visited++;
        this.visitedTotal++;
        const extra = (extraLinks.get(child) ?? 0) + listEnds[at + 3] - 1;
        extraLinks.set(end, extra);
        const kind = this.classifier.hitKind(end, edge);
        if (kind) {
          hits.push({ kind, node: end, distance: distance + extra });
          if (HIT_RANK[kind] === RANK_RESOURCE) resourceHits++;
          if (HIT_RANK[kind] <= RANK_VARIABLE) holderHits++;
        } else {
          next.push(end);
        }
      }
      frontier = next;
    }
    // Stopped with nodes still to climb from (not when the last node it could reach was the last allowed).
    this.stoppedAtLimit = visited >= searchLimit && (frontier.length > 0 || listEndsLeft || (wideNodes.length > 0 && holderHits === 0));
    // Resources and variables say who holds it; frames, reactions and roots only when nothing does.
    hits.sort((a, b) => HIT_RANK[a.kind] - HIT_RANK[b.kind] || a.distance - b.distance);
    const frames = this.holderFrames(hits);
    const seen = (node: number) => parent.has(node) || resolvers.includes(node);
    const wakers = this.reportedWakers(bestHits(hits), parent, seen);
    if (wakers.length === 0) return { wakers: [{ kind: 'holder', description: 'held by something asyncgraph could not trace within its search limit' }], frames };
    return { wakers, frames };
  }

  /**
   * A wide node's retainers split by kind (the holder's class and the edge's name): the few, and
   * the bulk, kinds it has more than BULK_KIND of. A search climbs the bulk once nothing else is
   * left to climb, farther than anything else it meets. p-limit's `run` is held by every queued
   * call's bound function and by the scope `limit` reaches it from; generic-pool's Queue by every
   * waiter's timeout handler and by the pool; undici's Pool by every client's bound listeners.
   * Those thousands of holders are the other waiters' bookkeeping: climbed first, they took a
   * leaf's whole share before it met what holds the queue.
   */
  private wideRetainers(node: number): WideRetainers {
    let known = this.wide.get(node);
    if (known) return known;
    const heap = this.heap;
    const { first: retainerFirst, from, edges } = heap.retainerLists();
    const start = retainerFirst[node];
    const end = retainerFirst[node + 1];
    // A module's scope is a variable, never bookkeeping: twenty modules that import one pool are
    // each a holder to name.
    const kindOf = (i: number) =>
      this.facts.scopeOf(from[i]) === 'module' ? '' : `${heap.nameIndexOf(from[i])}:${heap.edgeType(edges[i])}:${heap.edgeNameIndex(edges[i])}`;
    const kinds: string[] = [];
    const counts = new Map<string, number>();
    for (let i = start; i < end; i++) {
      const kind = kindOf(i);
      kinds.push(kind);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const few: number[] = [];
    const bulk: number[] = [];
    for (let i = start; i < end; i++) {
      const kind = kinds[i - start];
      (kind !== '' && counts.get(kind)! > BULK_KIND ? bulk : few).push(i);
    }
    known = { few: Uint32Array.from(few), bulk: Uint32Array.from(bulk) };
    this.wide.set(node, known);
    return known;
  }

  /**
   * Heap ids of suspended functions holding the resolver in their locals, nearer than any variable
   * holding it (undici's mainFetch at 6 steps; its global dispatcher reaches the same resolver at
   * 21); none when a variable is as near. `hits` are sorted (frames by distance).
   */
  private holderFrames(hits: Hit[]): number[] {
    const frameHits = hits.filter((hit) => hit.kind === 'frame');
    const nearestFrame = frameHits.length > 0 ? frameHits[0].distance : Infinity;
    return hits.some((hit) => (hit.kind === 'variable' || hit.kind === 'global') && hit.distance <= nearestFrame)
      ? []
      : [...new Set(frameHits.map((hit) => this.heap.idOf(hit.node)))];
  }

  /**
   * The first maxWakers wakers of the hits (`best`, sorted by rank and distance), in compareFound's
   * order, aliases and repeats left out, with their definitions. Resources and listeners are all
   * weighed (an AbortSignal's sorts after every other, whatever its distance); the rest one group
   * of equal rank and distance at a time, until enough wakers are decided: a search can meet
   * hundreds of scope variables (every waiter's handler on the way to a queue), each described by
   * walking its path.
   */
  private reportedWakers(best: Hit[], parent: StepsUp, seen: Visited): FoundWaker[] {
    // One hit (a hundred thousand leaves each held in one array): no order, alias or repeat to
    // weigh. Also quicker to compile: most leaves of a 10k-chain capture run before the rest is.
    if (best.length === 1 && this.maxWakers >= 1) {
      const only = this.weigh(best[0], '', parent, seen);
      return only ? [this.described(only, parent)] : [];
    }
    const found: WeighedPath[] = [];
    const aliases = new Set<string>();
    const keys = new Set<string>();
    let aliasKeys: AliasKeys | undefined;
    let end = 0;
    while (end < best.length && HIT_RANK[best[end].kind] === RANK_RESOURCE) end++;
    for (let at = 0; ; ) {
      const group: WeighedPath[] = [];
      for (; at < end; at++) {
        const hit = best[at];
        const alias = hasAlias(hit) ? (aliasKeys ??= new AliasKeys(this.heap, parent)).keyOf(hit) : '';
        // Another variable nearer (an earlier group) names the same object: withoutAliases drops it.
        if (alias && aliases.has(alias)) continue;
        const weighed = this.weigh(hit, alias, parent, seen);
        if (weighed) group.push(weighed);
      }
      // The same order on every Node version: nearer first, then a variable before globalThis, then by text.
      group.sort(compareFound);
      for (const entry of group) found.push(entry);
      if (at >= best.length) break;
      // Counted as withoutAliases and dedupe below count them; a later waker only replaces an
      // emitter's 'error' listener (dedupe), and those are all weighed in the first group.
      for (const { alias, waker } of group) {
        if (alias) {
          if (aliases.has(alias)) continue;
          aliases.add(alias);
        }
        keys.add(wakerKey(waker));
      }
      if (keys.size >= this.maxWakers) break;
      const rank = HIT_RANK[best[at].kind];
      const distance = best[at].distance;
      end = at + 1;
      while (end < best.length && HIT_RANK[best[end].kind] === rank && best[end].distance === distance) end++;
    }
    // Two variables holding the same object (`held` in a module and `globalThis.held`) are one holder.
    const unique = dedupe(withoutAliases(found).map(({ waker }) => waker));
    // At most maxWakers lookups in `found`: cheaper than a map of every weighed hit, per leaf.
    return unique.slice(0, this.maxWakers).map((waker) => this.described(found.find((entry) => entry.waker === waker)!, parent));
  }

  /**
   * A hit's waker, or null when it names none. A fetch's leaf weighs hundreds of other requests'
   * resources and emitters: their wakers are shared, and their paths are only walked for the few
   * reported (`described`).
   */
  private weigh(hit: Hit, alias: string, parent: StepsUp, seen: Visited): WeighedPath | null {
    let steps: PathStep[] | undefined;
    let waker = this.sharedWaker(hit, parent);
    if (waker === undefined) waker = this.hitWakers.hitWaker(hit, (steps = pathDown(hit.node, parent)), seen);
    return waker === null ? null : { hit, steps, waker, alias };
  }

  /** A reported waker with the definitions of the functions on its path. */
  private described({ hit, waker, steps }: WeighedPath, parent: StepsUp): FoundWaker {
    return this.hitWakers.withPathDefinitions(hit.kind, waker, steps ?? pathDown(hit.node, parent));
  }

  /**
   * A resource's waker, or an emitter's whose path names its event (not 'error'): the same for
   * every leaf that meets the hit (resourceWakers, listenerWakers). Undefined for any other hit:
   * its waker depends on what the search visited.
   */
  private sharedWaker(hit: Hit, parent: StepsUp): FoundWaker | null | undefined {
    if (hit.kind === 'resource') {
      let waker = this.resourceWakers.get(hit.node);
      if (waker === undefined) this.resourceWakers.set(hit.node, (waker = this.hitWakers.hitWaker(hit, pathDown(hit.node, parent), () => false)));
      return waker;
    }
    if (hit.kind !== 'emitter') return undefined;
    // emitter --_events--> events --NAME--> listener: the second step names the event.
    const intoEvents = parent.get(hit.node);
    const event = intoEvents && this.hitWakers.listenerEventOf(parent.get(intoEvents.child)?.edge);
    if (event === undefined) return undefined;
    let byEvent = this.listenerWakers.get(hit.node);
    if (byEvent === undefined) this.listenerWakers.set(hit.node, (byEvent = new Map()));
    let waker = byEvent.get(event);
    if (waker === undefined) byEvent.set(event, (waker = this.hitWakers.hitWaker(hit, pathDown(hit.node, parent), () => false)));
    return waker;
  }

  /**
   * Whether the hits found so far already decide the search's answer, so it can stop before the
   * next level (a fetch's leaf reaches its socket and client in a few steps, then would walk
   * thousands of undici's nodes to its node limit, for every leaf). So when the first maxWakers
   * wakers, in searchWakers' order and after dedupe, are resources or emitters (rank 0) that are
   * not AbortSignals and not 'error' listeners, and whose text does not depend on what else the
   * search sees (an emitter's event read from the path, not from the visited listeners): a hit
   * of a later level is farther, so it sorts after all of them, and dedupe replaces only an
   * 'error' listener. Same answer as the whole search, less of the node budget spent. A resource
   * met through a list's run is farther than the `level` it was met at: nothing is decided then.
   */
  private answered(hits: Hit[], parent: StepsUp, level: number): boolean {
    // Hits only grow during a search, and a hit's waker never changes: the hits weighed by the
    // last call are kept (answerFound), and one undecided hit keeps the answer "no" to the end.
    if (this.answerUndecided) return false;
    const found = this.answerFound;
    for (; this.answerWeighed < hits.length; this.answerWeighed++) {
      const hit = hits[this.answerWeighed];
      if (HIT_RANK[hit.kind] !== RANK_RESOURCE) continue;
      // Met through a list's run: farther than its level, so a hit of the next level may be nearer.
      if (hit.distance > level) {
        this.answerUndecided = true;
        return false;
      }
      if (hit.kind === 'event-target') {
        // An AbortSignal sorts after every other resource (compareFound), so it cannot be among
        // the first wakers decided below (a fetch's leaf meets its request's signal first). Any
        // other EventTarget's event is read from what the whole search visits: undecided.
        if (this.facts.isAbortSignal(hit.node)) continue;
        this.answerUndecided = true;
        return false;
      }
      const waker = this.sharedWaker(hit, parent);
      if (waker === undefined) {
        this.answerUndecided = true;
        return false;
      }
      if (waker) found.push({ hit, waker });
    }
    // Mostly in order already (the last call's, then the new ones): a merge for the sort.
    found.sort(compareFound);
    const keys = new Set<string>();
    for (const { waker } of found) {
      // An AbortSignal sorts after every other resource, a later one too: it cannot be among them.
      if (waker.kind === 'abort-signal') continue;
      if (waker.event?.name === 'error') return false;
      keys.add(wakerKey(waker));
      if (keys.size === this.maxWakers) return true;
    }
    return false;
  }
}

/**
 * The hits worth a waker (`hits` sorted by rank): resources and variables, or a function's scope
 * variables when nothing better; every hit when there is nothing else.
 */
function bestHits(hits: Hit[]): Hit[] {
  if (hits.length === 0) return hits;
  const tier = Math.max(RANK_VARIABLE, HIT_RANK[hits[0].kind]);
  return tier <= RANK_SCOPE ? hits.filter((hit) => HIT_RANK[hit.kind] <= tier) : hits;
}

/** Offsets of the four-number entries of a search's list ends, fewest links first. */
function byFewestLinks(listEnds: number[]): number[] {
  const offsets: number[] = [];
  for (let at = 0; at < listEnds.length; at += 4) offsets.push(at);
  return offsets.sort((a, b) => listEnds[a + 3] - listEnds[b + 3] || a - b);
}
