import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { HeapNodeFacts } from './node-facts.js';

// Who holds a pending promise, sorted by what each holder can do to it: its resolving functions
// (closures of the builtins PromiseCapabilityDefaultResolve / PromiseCapabilityDefaultReject,
// whose context's slot holds the promise: promise-abstract-operations.tq,
// CreatePromiseResolvingFunctionsContext), native holders that can settle it natively, V8's
// own plumbing (reactions, generators, capabilities) that the await graph models, holders not
// known to be inert, and the rest: plain objects and variables, which cannot settle it (wakers.ts
// has the whole rule).

export interface PromiseHolders {
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

const RESOLVE_BUILTINS = new Set(['PromiseCapabilityDefaultResolve', 'PromiseCapabilityDefaultReject']);

/** Containers (arrays, property stores) inside containers judged by their owners, at most. */
const MAX_CONTAINER_DEPTH = 4;

export class PromiseHolderIndex {
  private readonly heap: HeapGraph;
  private readonly holdersCache = new Map<number, PromiseHolders>();

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
  ) {
    this.heap = reader.heap;
  }

  /** Who holds the promise; remembered unless `remember` is false (a leaf, settled once). */
  holders(promise: number, remember = true): PromiseHolders {
    let holders = this.holdersCache.get(promise);
    if (holders) return holders;
    holders = { resolvers: [], native: [], unknown: [], reactions: [], generators: [], plumbing: [] };
    const out = holders;
    // Loops over the retainer index, not callbacks: this runs for every leaf (a hundred thousand).
    const { first, from, edges } = this.heap.retainerLists();
    for (let i = first[promise], end = first[promise + 1]; i < end; i++) {
      if (this.heap.edgeType(edges[i]) !== this.reader.weakEdge) this.classifyHolder(from[i], out, 0);
    }
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
      this.classifyContext(from, out);
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
      this.classifyContainer(from, out, depth);
      return;
    }
    if (type === 'object') {
      if (name.startsWith('system /')) {
        out.unknown.push({ node: from, what: name.slice('system / '.length) });
        return;
      }
      if (this.facts.isGenerator(from)) {
        // Directly: the async function's own promise. Through its registers: a local variable.
        if (depth === 0) out.generators.push(from);
        return;
      }
      if (this.facts.isNativeBacked(from)) {
        out.native.push({ node: from, what: reader.className(from) });
        return;
      }
      return; // a plain JavaScript object
    }
    if (type === 'closure') return; // a function property or a bound argument
    out.unknown.push({ node: from, what: name || type });
  }

  /** A context holding the promise: the resolving functions' own, a builtin's, or a variable's. */
  private classifyContext(context: number, out: PromiseHolders): void {
    const heap = this.heap;
    const reader = this.reader;
    let builtin: string | null = null;
    let resolverCount = 0;
    const contextName = reader.str('context');
    const { first, from, edges } = heap.retainerLists();
    for (let i = first[context], end = first[context + 1]; i < end; i++) {
      const closure = from[i];
      if (!reader.isClosure(closure) || heap.edgeNameIndex(edges[i]) !== contextName) continue;
      const code = reader.builtinName(closure);
      if (code && RESOLVE_BUILTINS.has(code)) {
        out.resolvers.push(closure);
        resolverCount++;
      } else if (code) builtin = code;
    }
    if (resolverCount === 0 && builtin) out.unknown.push({ node: context, what: `the context of builtin ${builtin}` });
    // Otherwise a variable of user (or Node) code: holding a promise does not settle it.
  }

  /** A container (elements, property store): judged by whoever holds it. */
  private classifyContainer(container: number, out: PromiseHolders, depth: number): void {
    const heap = this.heap;
    if (depth >= MAX_CONTAINER_DEPTH) {
      out.unknown.push({ node: container, what: 'a deeply nested container' });
      return;
    }
    let owners = 0;
    heap.forEachRetainer(container, (owner, edge) => {
      if (heap.edgeType(edge) === this.reader.weakEdge) return;
      owners++;
      this.classifyHolder(owner, out, depth + 1);
    });
    if (owners === 0) out.unknown.push({ node: container, what: 'an unowned container' });
  }
}
