import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { RetainerFilter } from './followed-retainers.js';
import type { HeapNodeFacts } from './node-facts.js';

// Linked lists, climbed in one step (issue 14). A waiter deep in a queue (generic-pool's
// DoublyLinkedList, p-limit's yocto-queue) is held by the node before it, that one by the one
// before it, and so on to the list's head: a search up the retainers climbs one node per level,
// and every waiter of the same queue climbs the same nodes again. With 2000 waiters most of them
// never reached the variable that holds the queue within the search's depth or its share of nodes.
//
// A node is a plain link of a list when the node before it holds it (by the link's name, `next`),
// at most the node after it holds it too (a doubly linked list's `prev`), both of its own class,
// and nothing else does but functions' scopes (generic-pool keeps each node in the scope of its
// request's timeout handler). A search that meets such a node skips it, and what those scopes
// lead to: the other requests' handlers, not what holds the list. Where the run of plain links
// ends (the head, held by the list; a node a variable or another object holds) is worked out
// once per list and kept, for every waiter of it. A scope that holds one node from the middle (a
// worker draining the queue from there, with its timer) is skipped too: what it leads to is not
// met, and the waiters behind it name what holds the list.

/** No run is followed farther than this (a guard; a list's run is at most its length). */
const MAX_RUN = 1 << 24;

/** What is known of the runs of one link name. */
interface Runs {
  /** Per plain link: the end of its run, or -1 (a ring, or past MAX_RUN). */
  ends: Map<number, number>;
  /** Per plain link: how many links lead from the end of its run down to it. */
  depths: Map<number, number>;
  /**
   * Nodes found not to be plain links: asked again for every leaf otherwise (a queue object held
   * by every waiter's handler scope, its retainers scanned once per leaf).
   */
  notLinks: Set<number>;
}

export class ListLinks {
  private readonly heap: HeapGraph;
  /** Per link name (its string index). */
  private readonly runs = new Map<number, Runs>();
  /** The links from the end farEnd returned down to its `child` (at least 2). */
  links = 0;

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    private readonly filter: RetainerFilter,
  ) {
    this.heap = reader.heap;
  }

  /**
   * When `from` holds `child` by a list's link (`edge`: a property of an object of their class)
   * and `from` is a plain link, the node where the run of plain links above `child` ends, with
   * `links` set to the edges from there down to `child`; else -1 (the search takes the step itself).
   */
  farEnd(from: number, edge: number, child: number): number {
    const heap = this.heap;
    const reader = this.reader;
    if (heap.edgeType(edge) !== reader.propertyEdge || heap.typeOf(from) !== reader.objectType) return -1;
    if (heap.typeOf(child) !== reader.objectType || heap.nameIndexOf(from) !== heap.nameIndexOf(child)) return -1;
    const name = heap.edgeNameIndex(edge);
    let runs = this.runs.get(name);
    if (!runs) this.runs.set(name, (runs = { ends: new Map(), depths: new Map(), notLinks: new Set() }));
    const end = this.runEnd(from, name, runs);
    if (end < 0) return -1;
    this.links = runs.depths.get(from)! + 1;
    return end;
  }

  /**
   * The end of the run of plain links `node` starts (memoized for the whole run), or -1 if `node`
   * is not a plain link (or is on a ring of them, or on a run longer than MAX_RUN).
   */
  private runEnd(node: number, name: number, { ends, depths, notLinks }: Runs): number {
    const known = ends.get(node);
    if (known !== undefined) return known;
    if (notLinks.has(node)) return -1;
    // Climb the plain links to the first node that is not one, or one whose end is known.
    const run: number[] = [];
    let at = node;
    let end = -1;
    let depth = 0;
    for (;;) {
      const knownEnd = ends.get(at);
      if (knownEnd !== undefined) {
        end = knownEnd;
        depth = knownEnd < 0 ? 0 : depths.get(at)!;
        break;
      }
      const up = notLinks.has(at) ? -1 : this.linkAbove(at, name);
      if (up < 0) {
        notLinks.add(at);
        if (run.length === 0) return -1;
        end = at;
        break;
      }
      run.push(at);
      // A ring of plain links only (nothing else holds it): no end to climb to.
      if (up === node || run.length > MAX_RUN) {
        end = -1;
        break;
      }
      at = up;
    }
    for (let i = run.length - 1; i >= 0; i--) {
      ends.set(run[i], end);
      depths.set(run[i], end < 0 ? 0 : ++depth);
    }
    return end;
  }

  /**
   * For a plain link (held by the node before it through `name`, maybe by the node it holds
   * through `name`, both of its class, and else by functions' scopes only), the node before it;
   * else -1.
   */
  private linkAbove(node: number, name: number): number {
    const heap = this.heap;
    const reader = this.reader;
    const retainers = heap.retainerLists();
    const nodeClass = heap.nameIndexOf(node);
    let above = -1;
    let below = -1;
    for (let i = retainers.first[node], end = retainers.first[node + 1]; i < end; i++) {
      const from = retainers.from[i];
      const edge = retainers.edges[i];
      if (!this.filter.follows(from, edge)) continue;
      if (heap.typeOf(from) !== reader.objectType) return -1;
      if (heap.nameIndexOf(from) !== nodeClass) {
        // A function's scope (a waiter's handler) is skipped; a module's is a variable, named as a
        // holder: not a plain link.
        if (this.facts.scopeOf(from) === 'function') continue;
        return -1;
      }
      if (heap.edgeNameIndex(edge) === name && heap.edgeType(edge) === reader.propertyEdge && above < 0) above = from;
      else if (below < 0) below = from;
      else return -1;
    }
    // The other holder must be the node this one links to (a doubly linked list's back link).
    if (below >= 0 && heap.namedEdgeTarget(node, name) !== below) return -1;
    return above;
  }
}
