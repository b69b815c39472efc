import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { ClosureNames } from './closure-names.js';
import type { HeapNodeFacts } from './node-facts.js';
import type { StepsUp } from './search-tree.js';

// Whether a function that shares a scope with what the holder search came up through can reach
// it: every closure of a scope holds the scope's whole context, whether or not its code names the
// variable (closure-names.ts cites V8's scopes.cc). With the closures' sources, a closure that
// never names the variable, nor calls a function of the scope that does, is not one of its
// holders.

/** Steps through outer scopes (`previous`), at most. */
const MAX_SCOPE_CHAIN = 32;
/** Functions of the scope called through, at most (a timer callback `() => flush()`). */
const MAX_CALL_DEPTH = 2;

export class ScopeReach {
  private readonly heap: HeapGraph;
  /** closureUses answers by closure and variable. */
  private readonly usesCache = new Map<number, Map<string, boolean>>();
  /** scopeOf's answers by context. */
  private readonly scopes = new Map<number, ScopeVariables>();
  /** The string index of `context`: the check runs for every retainer edge a search weighs. */
  private readonly contextName: number;

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    private readonly closureNames: ClosureNames | undefined,
  ) {
    this.heap = reader.heap;
    this.contextName = reader.str('context');
  }

  /**
   * Whether a function (a closure, or a suspended async function through its closure) whose scope
   * is `context` can reach what the search came up through: the scope's variable the path starts
   * with must be named in its code, or in that of a function of the scope it names (a timer
   * callback `() => flush()`). Anything else (no variable on the path, builtin code, no source)
   * is followed as before.
   */
  reachesThroughScope(from: number, edge: number, context: number, parent: StepsUp): boolean {
    const heap = this.heap;
    const reader = this.reader;
    if (!this.closureNames || heap.edgeNameIndex(edge) !== this.contextName || heap.edgeType(edge) !== reader.internalEdge) return true;
    const closure = reader.isClosure(from) ? from : this.facts.isGenerator(from) ? reader.get(from, 'function') : -1;
    if (closure < 0 || reader.builtinName(closure) !== null) return true;
    const variable = this.variableBelow(context, parent);
    return variable === null || this.closureUses(closure, variable, context, 0);
  }

  /** The scope variable a path down from a context starts with (through outer scopes), or null. */
  private variableBelow(context: number, parent: StepsUp): string | null {
    const heap = this.heap;
    let at = context;
    for (let guard = 0; guard < MAX_SCOPE_CHAIN; guard++) {
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
    if (!uses && depth < MAX_CALL_DEPTH) {
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
    for (let guard = 0; guard < MAX_SCOPE_CHAIN && at >= 0 && !this.reader.isNativeContext(at); guard++) {
      const scope = this.scopeOf(at);
      const fn = scope.functions.get(index);
      if (fn !== undefined) return fn;
      at = scope.previous;
    }
    return -1;
  }

  /**
   * A context's variables by name (the first of each name: a function, or -1 for any other value)
   * and its outer context. Read once per context: each of 2000 requests' closures asks its scope
   * chain for every name its code uses.
   */
  private scopeOf(context: number): ScopeVariables {
    let scope = this.scopes.get(context);
    if (scope === undefined) {
      const heap = this.heap;
      const functions = new Map<number, number>();
      for (let e = heap.firstEdgeOf(context), end = heap.endEdgeOf(context); e < end; e++) {
        if (heap.edgeType(e) !== this.reader.contextEdge) continue;
        const name = heap.edgeNameIndex(e);
        if (functions.has(name)) continue;
        const target = heap.edgeTo(e);
        functions.set(name, this.reader.isClosure(target) ? target : -1);
      }
      scope = { functions, previous: this.reader.get(context, 'previous') };
      this.scopes.set(context, scope);
    }
    return scope;
  }
}

interface ScopeVariables {
  functions: Map<number, number>;
  previous: number;
}
