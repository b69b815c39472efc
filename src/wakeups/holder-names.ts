import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { RetainerFilter } from './followed-retainers.js';
import type { HitClassifier } from './hit-kinds.js';
import { describePath, pathDown } from './holder-path.js';
import { SearchTree } from './search-tree.js';

// A short name for an emitter a leaf's listener hangs on (`'approved:7' listener on EventEmitter
// (approvals)`): the variable or property path that holds it, found by a small search up its
// retainers, apart from the leaf's own search.

/** Heap nodes the search for an emitter's holder visits, at most. */
const HOLDER_SEARCH_LIMIT = 1500;
/** Retainer steps from the emitter to a variable holding it, at most: a name only if near. */
const HOLDER_SEARCH_DEPTH = 6;

export class HolderNames {
  private readonly heap: HeapGraph;
  private readonly names = new Map<number, string>();
  private readonly tree = new SearchTree(HOLDER_SEARCH_LIMIT);

  constructor(
    private readonly reader: HeapReader,
    private readonly filter: RetainerFilter,
    private readonly classifier: HitClassifier,
  ) {
    this.heap = reader.heap;
  }

  /**
   * The variable or property path that holds an emitter, if near, in parentheses; a suspended
   * function's local only when no variable holds it (a module-level `bus` is also in the registers
   * of every function that used it last); '' when neither.
   */
  nameHolder(node: number): string {
    // Once per emitter, not once per leaf waiting on it (200 orders on one `approvals` emitter).
    let name = this.names.get(node);
    if (name === undefined) this.names.set(node, (name = this.findHolderName(node)));
    return name;
  }

  private findHolderName(node: number): string {
    const parent = this.tree;
    parent.clear();
    let frontier = [node];
    let visited = 1;
    let frame: number | undefined;
    // A plain loop over the retainer index, as the leaves' search does: a callback per node cost a
    // closure each, and a fetch's leaves meet hundreds of emitters (each named once).
    const retainers = this.heap.retainerLists();
    const retainerFirst = retainers.first;
    for (let distance = 1; frontier.length > 0 && distance <= HOLDER_SEARCH_DEPTH && visited < HOLDER_SEARCH_LIMIT; distance++) {
      const next: number[] = [];
      for (const child of frontier) {
        for (let i = retainerFirst[child], end = retainerFirst[child + 1]; i < end; i++) {
          const from = retainers.from[i];
          const edge = retainers.edges[i];
          if (from === node || parent.has(from) || !this.filter.follows(from, edge)) continue;
          parent.set(from, edge, child);
          visited++;
          const kind = this.classifier.hitKind(from, edge);
          if (kind === 'variable' || kind === 'global') return this.variableName(from, parent);
          if (kind === 'frame') frame ??= from;
          else if (!kind) next.push(from);
          if (visited >= HOLDER_SEARCH_LIMIT) break;
        }
      }
      frontier = next;
    }
    if (frame === undefined) return '';
    const fn = this.reader.get(frame, 'function');
    return `(a local of ${fn >= 0 ? this.heap.nameOf(fn) || 'an async function' : 'an async function'})`;
  }

  /** `(path)` or `(globalThis.path)` of the variable found, '' when the path says nothing. */
  private variableName(found: number, parent: SearchTree): string {
    const steps = pathDown(found, parent);
    const path = describePath(this.reader, steps);
    return path ? `(${this.classifier.hitKind(found, steps[0].edge) === 'global' ? 'globalThis.' : ''}${path})` : '';
  }
}
