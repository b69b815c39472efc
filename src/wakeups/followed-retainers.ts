import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import { KNOWN_NO, KNOWN_YES, NOT_KNOWN } from './known-flags.js';
import type { HeapNodeFacts } from './node-facts.js';

// Which retainer edges the holder searches climb: not weak edges, not V8's own bookkeeping (a
// map, a prototype, code), not through a Map's internals or a realm's native context, and not
// through a bystander's code (a test runner that holds everything and settles nothing of it).

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

export class RetainerFilter {
  private readonly heap: HeapGraph;
  /** Per heap node: NOT_KNOWN, KNOWN_NO (follows no retainer edge from it) or KNOWN_YES (it may, see follows). */
  private readonly followFlag: Uint8Array;
  /** String indexes of SKIPPED_EDGES's names (worked out when first asked). */
  private skippedNames: Set<number> | undefined;

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    /** Script ids whose functions and scopes the searches do not climb through. */
    private readonly bystanderScripts: ReadonlySet<number>,
  ) {
    this.heap = reader.heap;
    this.followFlag = new Uint8Array(this.heap.nodeCount);
  }

  /** Whether a retainer edge is worth following up. */
  follows(from: number, edge: number): boolean {
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
    const location = this.reader.isClosure(node) ? this.heap.closureLocation(node) : name === 'system / Context' ? this.facts.contextScript(node) : undefined;
    return location !== undefined && this.bystanderScripts.has(location.scriptId);
  }

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
}
