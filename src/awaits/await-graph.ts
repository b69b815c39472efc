import type { HeapGraph } from '../snapshot/heap-graph.js';
import { HeapReader } from '../snapshot/heap-reader.js';
import type { AwaitNodeKind, CombinatorKind, ThenMethod, TranspiledHelper } from '../schema.js';

/**
 * A node of the await graph as found in the heap, before locations are resolved to URLs.
 * `definition` is the 0-based definition site of its function from `snapshot.locations`.
 */
export interface FoundNode {
  id: number;
  /** Heap node ordinal, for follow-up lookups in the same snapshot. */
  heapNode: number;
  kind: AwaitNodeKind;
  name: string;
  qualifiedName?: string;
  combinator?: CombinatorKind;
  thenMethod?: ThenMethod;
  /** An async function compiled to a generator: which helper runs it (see TRANSPILED_HELPERS). */
  transpiled?: TranspiledHelper;
  /** The class of `this` of a transpiled function, for naming it once its name is known (src/locations/transpiled-names.ts). */
  receiverClass?: string;
  /**
   * A transpiled function compiled down to a state machine (tslib's __generator): its `definition`
   * is its body's (the `switch (_a.label)` function), and `resumeLabel` the state it resumes at,
   * when the snapshot holds numbers. No [[GeneratorLocation]]: it is not a generator.
   */
  stateMachine?: { resumeLabel?: number };
  /** A `.then` step whose handler settles the promise that awaits it (its closure holds that promise's resolve). */
  viaHandler?: true;
  /** A root linked under the promise it will settle: its locals hold that promise's resolve (holder-links.ts). */
  linkedBy?: 'holder';
  definition: { scriptId: number; line: number; column: number } | null;
  awaitedBy: number[];
}

// Builtins whose closures sit in promise reactions. V8 names them in code nodes as
// "(Name builtin handle)" (Node 20) or "(Name builtin code)" (Node 22/24).
// Await continuations: src/builtins/builtins-async-function-gen.cc, builtins-async-generator-gen.cc.
const AWAIT_BUILTINS = new Set([
  'AsyncFunctionAwaitResolveClosure',
  'AsyncFunctionAwaitRejectClosure',
  'AsyncGeneratorAwaitResolveClosure',
  'AsyncGeneratorAwaitRejectClosure',
  'AsyncGeneratorYieldWithAwaitResolveClosure',
  'AsyncGeneratorReturnClosedResolveClosure',
  'AsyncGeneratorReturnClosedRejectClosure',
  'AsyncGeneratorReturnResolveClosure',
]);
// Combinator element closures: src/builtins/promise-all.tq, promise-any.tq.
const COMBINATOR_BUILTINS = new Map<string, CombinatorKind>([
  ['PromiseAllResolveElementClosure', 'all'],
  ['PromiseAllSettledResolveElementClosure', 'allSettled'],
  ['PromiseAllSettledRejectElementClosure', 'allSettled'],
  ['PromiseAnyRejectElementClosure', 'any'],
]);
const FINALLY_BUILTINS = new Set(['PromiseThenFinally', 'PromiseCatchFinally']);
// Continuation of a module whose top-level await finished: settles the module's evaluation.
const MODULE_BUILTINS = new Set(['CallAsyncModuleFulfilled', 'CallAsyncModuleRejected']);

// Transpiled async functions: a generator run by a helper that resumes it from `.then(onFulfilled,
// onRejected)` on each awaited promise and settles its own `new Promise` when it is done. The
// handlers' closures (their context, or the one above) hold the generator and that promise's
// resolve. TypeScript's __awaiter (inline or tslib) and esbuild's __async name the handlers
// `fulfilled`/`rejected`; Babel's asyncToGenerator `_next`/`_throw` (they call asyncGeneratorStep).
// Recognised by that structure; the names only say which helper it is.
const TRANSPILED_HELPERS = new Map<string, TranspiledHelper>([
  ['fulfilled', '__awaiter'],
  ['rejected', '__awaiter'],
  ['_next', 'asyncToGenerator'],
  ['_throw', 'asyncToGenerator'],
]);
// How far up a handler's context chain the helper's (or a forwarding handler's) captured variables
// are looked for: __awaiter's handlers sit one function below the generator's slot.
const HANDLER_CONTEXT_DEPTH = 2;
const STATE_MACHINE_MAX_EDGES = 16;
/** Past this many awaiters, `link` keeps a node's awaiters in a set as well as in its array. */
const MANY_AWAITERS = 16;

const COMBINATOR_NAMES: Record<CombinatorKind, string> = {
  all: 'Promise.all',
  allSettled: 'Promise.allSettled',
  any: 'Promise.any',
  race: 'Promise.race',
};

/** What a reaction on a promise does once the promise settles. */
type Consumer =
  | { type: 'await'; generator: number }
  | { type: 'combinator'; kind: CombinatorKind; promise: number }
  | { type: 'resolve'; promise: number; resolveFunction: number }
  | { type: 'then'; reaction: number; handler: number; method: ThenMethod; derived: number; forward?: Forward };

/** A handler whose closure holds the resolving function of another pending promise it may settle. */
interface Forward {
  promise: number;
  resolveFunction: number;
}

/**
 * Rebuilds the awaited-by graph from a heap snapshot.
 *
 * Every pending promise with reactions is visited once; each reaction says who consumes the
 * promise (an awaiting generator, a combinator, a promise it resolves, or a `.then` step).
 * Producers are the generators owning their result promises, combinators owning their
 * capability promise, `.then` steps owning their derived promise; a promise that nothing
 * owns is a bare `promise` leaf, except that plain pass-through promises (resolved by
 * exactly one other promise) are looked through so chains stay short.
 */
export function findAwaitGraph(heap: HeapGraph, trace?: AwaitGraphTrace): FoundNode[] {
  return new AwaitGraphFinder(heap).run(trace);
}

/**
 * How the promises of the heap were linked, for analyses that need more than the nodes (see
 * wakers.ts): filled in by findAwaitGraph when passed. Heap ordinals throughout; node indexes
 * are positions in the returned array.
 */
export interface AwaitGraphTrace {
  /** Promise → the node that produces it (generator, combinator, `.then` step, or bare leaf). */
  promiseNode: { readonly size: number; forEach(visit: (index: number, promise: number) => void): void };
  /** Promise → the pending promises that settle it through a resolving function (looked through). */
  resolvedBy: ReadonlyMap<number, readonly { source: number; reaction: number }[]>;
  /** A reaction on consumedPromise[k] makes node consumedBy[k] wait for it. */
  consumedPromise: number[];
  consumedBy: number[];
}

class AwaitGraphFinder {
  private readonly str: {
    function: number;
    context: number;
    receiver: number;
    parametersAndRegisters: number;
    reactionsOrResult: number;
    extension: number;
    code: number;
    proto: number;
    promise: number;
    reaction: number;
    capability: number;
    asyncGeneratorRequest: number;
    sourceTextModule: number;
    boundFunction: number;
    previous: number;
    next: number;
    body: number;
    trys: number;
    ops: number;
  };
  private readonly objectType: number;
  private readonly closureType: number;
  private readonly builtinCache = new Map<number, string | null>();

  private readonly nodes: FoundNode[] = [];
  /** Heap ordinal of a promise → index in `nodes` of the node that produces it. */
  private readonly promiseOwner: OrdinalMap;
  /** Heap ordinal of a generator → index in `nodes`. */
  private readonly generatorNode: OrdinalMap;
  /** Promise → the promises that resolve it through a resolving function. */
  private readonly resolvedBy = new Map<number, { source: number; resolveFunction: number; reaction: number }[]>();
  /** (promise, node index) pairs, as two parallel lists: the promise is awaited by that node. */
  private readonly consumedPromise: number[] = [];
  private readonly consumedBy: number[] = [];
  private readonly bareNode: OrdinalMap;
  private readonly producerCache = new Map<number, number[]>();
  /** 1 for a promise whose producers are its bare node alone (producersOf's answer, kept). */
  private readonly bareAnswer: Uint8Array;
  /** Closure → its definition site: the frames of one function share one object. */
  private readonly definitionCache = new Map<number, FoundNode['definition']>();
  /** Scratch list of a reaction's handler closures, reused for every reaction. */
  private readonly handlers: number[] = [];
  /** Suspended sync generators → their function: transpiled async functions if a helper runs them. */
  private readonly syncGenerators = new Map<number, number>();
  /** 1 for a promise with reactions (pending, and awaited by something). */
  private readonly awaited: Uint8Array;
  /** Reads the state machines' labels (numbers), made when the first one is found. */
  private reader: HeapReader | undefined;
  /** `.then` steps whose handler settles another promise: node index and that promise. */
  private readonly forwards: { node: number; promise: number }[] = [];
  /** The awaiters of a node with many (one upstream promise under thousands of chains), as a set. */
  private readonly manyAwaiters = new Map<number, Set<number>>();

  constructor(private readonly heap: HeapGraph) {
    const s = (value: string) => heap.stringIndex(value);
    this.str = {
      function: s('function'),
      context: s('context'),
      receiver: s('receiver'),
      parametersAndRegisters: s('parameters_and_registers'),
      reactionsOrResult: s('reactions_or_result'),
      extension: s('extension'),
      code: s('code'),
      proto: s('__proto__'),
      promise: s('Promise'),
      reaction: s('system / PromiseReaction'),
      capability: s('system / PromiseCapability'),
      boundFunction: s('bound_function'),
      asyncGeneratorRequest: s('system / AsyncGeneratorRequest'),
      sourceTextModule: s('system / SourceTextModule'),
      previous: s('previous'),
      next: s('next'),
      body: s('body'),
      trys: s('trys'),
      ops: s('ops'),
    };
    this.objectType = heap.nodeTypeIndex('object');
    this.closureType = heap.nodeTypeIndex('closure');
    this.promiseOwner = new OrdinalMap(heap.nodeCount);
    this.generatorNode = new OrdinalMap(heap.nodeCount);
    this.bareNode = new OrdinalMap(heap.nodeCount);
    this.bareAnswer = new Uint8Array(heap.nodeCount);
    this.awaited = new Uint8Array(heap.nodeCount);
  }

  run(trace?: AwaitGraphTrace): FoundNode[] {
    const heap = this.heap;
    const pendingPromises: number[] = [];
    const modules: number[] = [];
    const { sourceTextModule, function: functionName, parametersAndRegisters, reactionsOrResult } = this.str;
    const objectType = this.objectType;
    for (let n = 0, count = heap.nodeCount; n < count; n++) if (heap.nameIndexOf(n) === sourceTextModule) modules.push(n);
    // Generators (a `function` and a `parameters_and_registers` edge) and promises with reactions
    // (a `reactions_or_result` edge), in node order; `fn` is the first `function` edge.
    let current = -1;
    let fn = -1;
    let hasRegisters = false;
    let hasReactions = false;
    const settle = () => {
      if (current < 0 || heap.typeOf(current) !== objectType || heap.nameIndexOf(current) === sourceTextModule) return;
      if (fn >= 0 && hasRegisters) this.addGenerator(current, fn);
      else if (hasReactions) pendingPromises.push(current);
    };
    const scanned = heap.forEachEdgeNamed([functionName, parametersAndRegisters, reactionsOrResult], (node, edge, which) => {
      if (node !== current) {
        settle();
        current = node;
        fn = -1;
        hasRegisters = false;
        hasReactions = false;
      }
      if (which === 0) {
        if (fn < 0) fn = heap.edgeTo(edge);
      } else if (which === 1) hasRegisters = true;
      else hasReactions = true;
    });
    settle();
    if (!scanned) this.scanObjects(pendingPromises);
    for (const module of modules) this.markModuleBody(module);
    for (const promise of pendingPromises) this.awaited[promise] = 1;
    for (const promise of pendingPromises) this.collectReactions(promise);
    this.findRaces();
    this.linkConsumers();
    if (this.forwards.length > 0) this.dropForwardCycles();
    if (trace) {
      // Handed over as they are (hundreds of thousands of entries at 100k chains: no copies).
      trace.promiseNode = new PromiseNodes(this.promiseOwner, this.bareNode);
      trace.resolvedBy = this.resolvedBy;
      trace.consumedPromise = this.consumedPromise;
      trace.consumedBy = this.consumedBy;
    }
    return this.nodes;
  }

  /** The same first pass, object by object (names escaped in a 16-bit column: rare). */
  private scanObjects(pendingPromises: number[]): void {
    const heap = this.heap;
    const { sourceTextModule, function: functionName, parametersAndRegisters, reactionsOrResult } = this.str;
    for (let n = 0, count = heap.nodeCount; n < count; n++) {
      if (heap.typeOf(n) !== this.objectType || heap.nameIndexOf(n) === sourceTextModule) continue;
      let fn = -1;
      let hasRegisters = false;
      let hasReactions = false;
      for (let e = heap.firstEdgeOf(n), end = heap.endEdgeOf(n); e < end; e++) {
        const name = heap.edgeNameIndex(e);
        if (name === functionName) {
          if (fn < 0) fn = heap.edgeTo(e);
        } else if (name === parametersAndRegisters) hasRegisters = true;
        else if (name === reactionsOrResult) hasReactions = true;
      }
      if (fn >= 0 && hasRegisters) this.addGenerator(n, fn);
      else if (hasReactions) pendingPromises.push(n);
    }
  }

  private addGenerator(generator: number, fn: number): void {
    const heap = this.heap;
    const functionKind = heap.nameOf(heap.namedEdgeTarget(fn, this.str.proto));
    let kind: AwaitNodeKind;
    if (functionKind === 'AsyncFunction') kind = 'async-function';
    else if (functionKind === 'AsyncGeneratorFunction') kind = 'async-generator';
    else {
      // A sync generator awaits only when a helper runs it as an async function (transpiledStep).
      if (functionKind === 'GeneratorFunction') this.syncGenerators.set(generator, fn);
      return;
    }
    const name = heap.nameOf(fn);
    const index = this.addNode(generator, kind, name || '(anonymous)', this.definitionOf(fn));
    const qualifier = this.receiverClassName(generator);
    if (qualifier && name) this.nodes[index].qualifiedName = `${qualifier}.${name}`;
    this.generatorNode.set(generator, index);

    // Own result promise (async function) or the queue of next() requests (async generator);
    // found by target names because hidden-edge indices differ between V8 versions.
    for (let e = heap.firstEdgeOf(generator), end = heap.endEdgeOf(generator); e < end; e++) {
      const target = heap.edgeTo(e);
      const targetName = heap.nameIndexOf(target);
      if (kind === 'async-function' && targetName === this.str.promise && heap.typeOf(target) === this.objectType) {
        if (heap.edgeNameIndex(e) === -1) this.promiseOwner.set(target, index);
      } else if (kind === 'async-generator' && targetName === this.str.asyncGeneratorRequest) {
        this.ownRequestQueue(target, index);
      }
    }
  }

  private ownRequestQueue(firstRequest: number, index: number): void {
    const heap = this.heap;
    const seen = new Set<number>();
    let request = firstRequest;
    while (request >= 0 && !seen.has(request)) {
      seen.add(request);
      let next = -1;
      for (let e = heap.firstEdgeOf(request), end = heap.endEdgeOf(request); e < end; e++) {
        const target = heap.edgeTo(e);
        const targetName = heap.nameIndexOf(target);
        if (targetName === this.str.promise) this.promiseOwner.set(target, index);
        else if (targetName === this.str.asyncGeneratorRequest) next = target;
      }
      request = next;
    }
  }

  /** `this` of a method call, when it is an instance or a class rather than the global. */
  private receiverClassName(generator: number): string | undefined {
    const heap = this.heap;
    const receiver = heap.namedEdgeTarget(generator, this.str.receiver);
    if (receiver < 0) return undefined;
    const type = heap.typeOf(receiver);
    if (type !== this.objectType && type !== this.closureType) return undefined;
    const name = heap.nameOf(receiver);
    if (!name || name.startsWith('system /')) return undefined;
    // Object names may carry details after the constructor name ("Foo / something"); Node 26 names
    // the global object of sloppy-mode calls (bundles, tsx output) "global / " plus its realm.
    const className = name.split(' ')[0];
    return className === 'global' || className === 'Object' ? undefined : className;
  }

  /** A module with top-level await holds its body as a generator; report it as the module. */
  private markModuleBody(module: number): void {
    const heap = this.heap;
    for (let e = heap.firstEdgeOf(module), end = heap.endEdgeOf(module); e < end; e++) {
      const index = this.generatorNode.get(heap.edgeTo(e));
      if (index !== undefined) {
        this.nodes[index].kind = 'module';
        this.nodes[index].name = '(module)';
      }
    }
  }

  private definitionOf(closure: number): FoundNode['definition'] {
    let definition = this.definitionCache.get(closure);
    if (definition === undefined) {
      definition = this.heap.closureLocation(closure) ?? null;
      this.definitionCache.set(closure, definition);
    }
    return definition;
  }

  private addNode(
    heapNode: number,
    kind: AwaitNodeKind,
    name: string,
    definition: FoundNode['definition'] | undefined,
  ): number {
    this.nodes.push({
      id: this.heap.idOf(heapNode),
      heapNode,
      kind,
      name,
      definition: definition ?? null,
      awaitedBy: [],
    });
    return this.nodes.length - 1;
  }

  private collectReactions(promise: number): void {
    const heap = this.heap;
    let reaction = heap.namedEdgeTarget(promise, this.str.reactionsOrResult);
    // Reaction lists are short: a list until it is not, then a set.
    const seenList: number[] = [];
    let seenSet: Set<number> | null = null;
    while (reaction >= 0 && heap.nameIndexOf(reaction) === this.str.reaction) {
      if (seenSet) {
        if (seenSet.has(reaction)) break;
        seenSet.add(reaction);
      } else {
        if (seenList.includes(reaction)) break;
        seenList.push(reaction);
        if (seenList.length > 16) seenSet = new Set(seenList);
      }
      let next = -1;
      const handlers = this.handlers;
      let handlerCount = 0;
      let derived = -1;
      for (let e = heap.firstEdgeOf(reaction), end = heap.endEdgeOf(reaction); e < end; e++) {
        const target = heap.edgeTo(e);
        const targetName = heap.nameIndexOf(target);
        if (targetName === this.str.reaction) next = target;
        else if (heap.typeOf(target) === this.closureType) handlers[handlerCount++] = target;
        else if (targetName === this.str.capability) derived = this.capabilityPromise(target);
        else if (heap.typeOf(target) === this.objectType && heap.edgeNameIndex(e) === -1) derived = target;
      }
      const consumer = this.classifyReaction(reaction, handlers, handlerCount, derived);
      if (consumer) {
        if (consumer.type === 'resolve') {
          const sources = this.resolvedBy.get(consumer.promise) ?? [];
          sources.push({ source: promise, resolveFunction: consumer.resolveFunction, reaction });
          this.resolvedBy.set(consumer.promise, sources);
        } else {
          // Create consumer nodes now: they own their promises (a combinator's, a .then step's
          // derived one) before any of those promises is looked at as a producer.
          const index = this.consumerNode(consumer);
          if (index !== undefined) {
            this.consumedPromise.push(promise);
            this.consumedBy.push(index);
          }
        }
      }
      reaction = next;
    }
  }

  /**
   * Decides what a reaction does. A reaction holds a reject and a fulfill handler; the more
   * specific builtin wins (Promise.all pairs its element closure with the capability's plain
   * reject function, which alone would look like a pass-through).
   */
  private classifyReaction(reaction: number, handlers: number[], handlerCount: number, derived: number): Consumer | null {
    let userHandlers: number[] | null = null;
    let resolve: Consumer | null = null;
    let moduleResolve: Consumer | null = null;
    for (let k = 0; k < handlerCount; k++) {
      const handler = handlers[k];
      const builtin = this.builtinName(handler);
      if (builtin === null) {
        (userHandlers ??= []).push(handler);
      } else if (AWAIT_BUILTINS.has(builtin)) {
        const generator = this.contextSlot(handler, this.str.extension);
        if (generator >= 0) return { type: 'await', generator };
      } else if (COMBINATOR_BUILTINS.has(builtin)) {
        const capability = this.findInContext(handler, this.str.capability);
        const promise = capability >= 0 ? this.capabilityPromise(capability) : -1;
        if (promise >= 0) return { type: 'combinator', kind: COMBINATOR_BUILTINS.get(builtin)!, promise };
      } else if (FINALLY_BUILTINS.has(builtin)) {
        const onFinally = this.findClosureInContext(handler);
        return { type: 'then', reaction, handler: onFinally >= 0 ? onFinally : handler, method: 'finally', derived };
      } else if (
        // Resolving functions of a promise: new Promise's resolve, a capability's resolve, the
        // functions handed to `then` when a promise is resolved with another promise.
        builtin === 'PromiseCapabilityDefaultResolve' || (builtin === 'PromiseCapabilityDefaultReject' && !resolve)) {
        const promise = this.findInContext(handler, this.str.promise);
        if (promise >= 0) resolve = { type: 'resolve', promise, resolveFunction: handler };
      } else if (MODULE_BUILTINS.has(builtin)) {
        // The module's own evaluation promise is what importers and the loader await.
        const module = this.findInContext(handler, this.str.sourceTextModule);
        const promise = module >= 0 ? this.findTarget(module, this.str.promise) : -1;
        if (promise >= 0) moduleResolve = { type: 'resolve', promise, resolveFunction: handler };
      }
    }
    if (userHandlers) {
      for (const handler of userHandlers) {
        const generator = this.transpiledStep(handler);
        if (generator >= 0) return { type: 'await', generator };
      }
      let forward: Forward | undefined;
      for (const handler of userHandlers) if ((forward = this.forwardedResolve(handler))) break;
      // Named after the fulfill handler; a step with only a reject handler is a .catch.
      const fulfill = userHandlers.find((handler) => !this.isRejectSlot(reaction, handler));
      const step: Consumer =
        fulfill !== undefined
          ? { type: 'then', reaction, handler: fulfill, method: 'then', derived }
          : { type: 'then', reaction, handler: userHandlers[0], method: handlerCount === 1 ? 'catch' : 'then', derived };
      if (forward && derived >= 0 && forward.promise !== derived) step.forward = forward;
      return step;
    }
    if (resolve ?? moduleResolve) return resolve ?? moduleResolve;
    // No handlers at all (`p.then()`, Node's internal promise plumbing): the derived promise
    // settles exactly as this one does. A per-reaction key keeps it from looking like a race.
    if (handlerCount === 0 && derived >= 0) return { type: 'resolve', promise: derived, resolveFunction: -1 - reaction };
    return null;
  }

  /**
   * The generator a transpiled async function's helper resumes from this handler, registering it
   * as a node (once) that owns the helper's promise; -1 when the handler is not such a step.
   * The handler's context chain must hold both a suspended sync generator and the resolve function
   * of a promise (the helper's `new Promise`): see TRANSPILED_HELPERS.
   */
  private transpiledStep(handler: number): number {
    const heap = this.heap;
    let generator = -1;
    let resolve = -1;
    let machine = null as { body: number; state: number } | null;
    this.forEachHandlerContext(handler, (context) => {
      for (let e = heap.firstEdgeOf(context), end = heap.endEdgeOf(context); e < end; e++) {
        const target = heap.edgeTo(e);
        const type = heap.typeOf(target);
        if (type === this.closureType) {
          if (resolve < 0 && this.builtinName(target) === 'PromiseCapabilityDefaultResolve') resolve = target;
        } else if (generator < 0 && type === this.objectType) {
          if (this.syncGenerators.has(target)) generator = target;
          else if ((machine = this.stateMachineOf(target))) generator = target;
        }
      }
      return generator >= 0 && resolve >= 0;
    });
    if (generator < 0 || resolve < 0) return -1;
    if (this.generatorNode.has(generator)) return generator;
    const promise = this.findInContext(resolve, this.str.promise);
    if (promise < 0) return -1;
    const fn = machine ? machine.body : this.syncGenerators.get(generator)!;
    const name = heap.nameOf(fn);
    const index = this.addNode(generator, 'async-function', name || '(anonymous)', this.definitionOf(fn));
    const node = this.nodes[index];
    if (machine) {
      node.transpiled = '__generator';
      const label = (this.reader ??= new HeapReader(heap)).prop(machine.state, 'label');
      node.stateMachine = typeof label === 'number' ? { resumeLabel: label } : {};
    } else {
      node.transpiled = TRANSPILED_HELPERS.get(heap.nameOf(handler)) ?? 'generator';
      const qualifier = this.receiverClassName(generator);
      if (qualifier) {
        node.receiverClass = qualifier;
        if (name) node.qualifiedName = `${qualifier}.${name}`;
      }
    }
    this.generatorNode.set(generator, index);
    this.promiseOwner.set(promise, index);
    return generator;
  }

  /**
   * An ES5 state machine standing in for a generator (tslib's __generator: `{ next, throw, return }`
   * whose closures share a context holding the state record `_` — `{ label, sent, trys, ops }` —
   * and the compiled `body`): its body and state record, or null.
   */
  private stateMachineOf(object: number): { body: number; state: number } | null {
    const heap = this.heap;
    // Its few own properties (next, throw, return, Symbol.iterator): a big object or array in a
    // handler's scope is not scanned for every reaction of that scope.
    if (heap.endEdgeOf(object) - heap.firstEdgeOf(object) > STATE_MACHINE_MAX_EDGES) return null;
    const next = heap.namedEdgeTarget(object, this.str.next);
    if (next < 0 || heap.typeOf(next) !== this.closureType) return null;
    let found = null as { body: number; state: number } | null;
    this.forEachHandlerContext(next, (context) => {
      let body = -1;
      let state = -1;
      for (let e = heap.firstEdgeOf(context), end = heap.endEdgeOf(context); e < end; e++) {
        const target = heap.edgeTo(e);
        const type = heap.typeOf(target);
        if (type === this.objectType && heap.namedEdgeTarget(target, this.str.trys) >= 0 && heap.namedEdgeTarget(target, this.str.ops) >= 0) state = target;
        else if (type === this.closureType && heap.edgeNameIndex(e) === this.str.body) body = target;
      }
      if (body >= 0 && state >= 0) found = { body, state };
      return found !== null;
    });
    return found;
  }

  /**
   * A handler that settles another promise itself (`p.then((v) => { cleanup(); resolve(v); })`
   * inside a `new Promise`): its closure holds the resolve (or reject) function of a promise that
   * something awaits. Only the handler's own scopes are looked at, not a module's top level (whose
   * variables every closure of the module shares).
   */
  private forwardedResolve(handler: number): Forward | undefined {
    const heap = this.heap;
    let forward: Forward | undefined;
    this.forEachHandlerContext(handler, (context) => {
      for (let e = heap.firstEdgeOf(context), end = heap.endEdgeOf(context); e < end; e++) {
        const target = heap.edgeTo(e);
        if (heap.typeOf(target) !== this.closureType) continue;
        const builtin = this.builtinName(target);
        if (builtin !== 'PromiseCapabilityDefaultResolve' && builtin !== 'PromiseCapabilityDefaultReject') continue;
        const promise = this.findInContext(target, this.str.promise);
        if (promise >= 0 && this.awaited[promise] === 1) {
          forward = { promise, resolveFunction: target };
          if (builtin === 'PromiseCapabilityDefaultResolve') return true;
        }
      }
      return forward !== undefined;
    });
    return forward;
  }

  /**
   * Calls `visit` with a handler's context and the ones above it (HANDLER_CONTEXT_DEPTH), until it
   * returns true. Stops below a script's or module's top-level context: the one whose `previous` is
   * the native context (named "system / NativeContext", with " / …" after it on Node 26).
   */
  private forEachHandlerContext(handler: number, visit: (context: number) => boolean): void {
    const heap = this.heap;
    let context = heap.namedEdgeTarget(handler, this.str.context);
    for (let depth = 0; depth < HANDLER_CONTEXT_DEPTH && context >= 0; depth++) {
      const previous = heap.namedEdgeTarget(context, this.str.previous);
      if (previous < 0 || heap.nameOf(previous).startsWith('system / NativeContext')) return;
      if (visit(context)) return;
      context = previous;
    }
  }

  /**
   * True when the handler sits in the reject slot (as a `.catch` handler does). PromiseReaction fields are
   * next, reject_handler, fulfill_handler, promise_or_capability (src/objects/promise.tq);
   * hidden-edge indices follow field order but start at a different base per V8 version, so
   * the slot is read relative to the derived promise (or the next reaction).
   */
  private isRejectSlot(reaction: number, handler: number): boolean {
    const heap = this.heap;
    let handlerIndex = -1;
    let promiseIndex = -1;
    let nextIndex = -1;
    for (let e = heap.firstEdgeOf(reaction), end = heap.endEdgeOf(reaction); e < end; e++) {
      const index = heap.edgeName(e);
      if (typeof index !== 'number') continue;
      const target = heap.edgeTo(e);
      if (target === handler) handlerIndex = index;
      else if (heap.nameIndexOf(target) === this.str.reaction) nextIndex = index;
      else if (heap.typeOf(target) === this.objectType || heap.nameIndexOf(target) === this.str.capability) promiseIndex = index;
    }
    if (handlerIndex < 0) return false;
    if (promiseIndex >= 0) return handlerIndex === promiseIndex - 2;
    if (nextIndex >= 0) return handlerIndex === nextIndex + 1;
    return false;
  }

  /** "(X builtin handle)" / "(X builtin code)" → X; null for closures running user code. */
  private builtinName(closure: number): string | null {
    const heap = this.heap;
    const code = heap.namedEdgeTarget(closure, this.str.code);
    if (code < 0) return null;
    let name = this.builtinCache.get(code);
    if (name === undefined) {
      const match = /^\((\w+) builtin (?:handle|code)\)$/.exec(heap.nameOf(code));
      name = match && match[1] !== 'InterpreterEntryTrampoline' && !match[1].startsWith('CompileLazy')
        ? match[1]
        : null;
      this.builtinCache.set(code, name);
    }
    return name;
  }

  /** A named slot (e.g. `extension`) of a closure's context. */
  private contextSlot(closure: number, slotName: number): number {
    const context = this.heap.namedEdgeTarget(closure, this.str.context);
    return context < 0 ? -1 : this.heap.namedEdgeTarget(context, slotName);
  }

  /** The first node with the given name among a closure's context slots. */
  private findInContext(closure: number, nodeName: number): number {
    const context = this.heap.namedEdgeTarget(closure, this.str.context);
    return context < 0 ? -1 : this.findTarget(context, nodeName);
  }

  private findClosureInContext(closure: number): number {
    const heap = this.heap;
    const context = heap.namedEdgeTarget(closure, this.str.context);
    if (context < 0) return -1;
    for (let e = heap.firstEdgeOf(context), end = heap.endEdgeOf(context); e < end; e++) {
      const target = heap.edgeTo(e);
      if (heap.typeOf(target) === this.closureType && heap.edgeNameIndex(e) !== this.str.code) return target;
    }
    return -1;
  }

  private findTarget(node: number, nodeName: number): number {
    const heap = this.heap;
    for (let e = heap.firstEdgeOf(node), end = heap.endEdgeOf(node); e < end; e++) {
      const target = heap.edgeTo(e);
      if (heap.nameIndexOf(target) === nodeName) return target;
    }
    return -1;
  }

  private capabilityPromise(capability: number): number {
    const heap = this.heap;
    for (let e = heap.firstEdgeOf(capability), end = heap.endEdgeOf(capability); e < end; e++) {
      const target = heap.edgeTo(e);
      if (heap.typeOf(target) === this.objectType) return target;
    }
    return -1;
  }

  /**
   * Promise.race passes the race promise's own resolve function to every input, so one
   * promise resolved through the same function by several others is a race.
   */
  private findRaces(): void {
    for (const [promise, sources] of this.resolvedBy) {
      if (this.promiseOwner.has(promise) || sources.length < 2) continue;
      const byFunction = new Map<number, number>();
      for (const { resolveFunction } of sources) byFunction.set(resolveFunction, (byFunction.get(resolveFunction) ?? 0) + 1);
      if ([...byFunction.values()].some((count) => count >= 2)) {
        const index = this.addNode(promise, 'combinator', COMBINATOR_NAMES.race, null);
        this.nodes[index].combinator = 'race';
        this.promiseOwner.set(promise, index);
      }
    }
  }

  private linkConsumers(): void {
    for (let k = 0; k < this.consumedPromise.length; k++) {
      const promise = this.consumedPromise[k];
      const consumer = this.consumedBy[k];
      // An owned promise's only producer is its owner (what producersOf would say, uncached).
      const owner = this.promiseOwner.get(promise);
      if (owner !== undefined) this.link(owner, consumer);
      else for (const producer of this.producersOf(promise)) this.link(producer, consumer);
    }
    // Promises resolved through a resolving function by an owned promise: the owner awaits them.
    for (const [promise, sources] of this.resolvedBy) {
      const consumerIndex = this.promiseOwner.get(promise);
      if (consumerIndex === undefined) continue;
      for (const { source } of sources) {
        for (const producer of this.producersOf(source)) this.link(producer, consumerIndex);
      }
    }
  }

  private link(producer: number, consumer: number): void {
    const node = this.nodes[producer];
    const consumerId = this.nodes[consumer].id;
    // Most nodes have one awaiter: a one-element array, not an empty one grown by push (which
    // reserves 17 slots).
    const awaiters = node.awaitedBy;
    if (awaiters.length === 0) node.awaitedBy = [consumerId];
    else if (awaiters.length < MANY_AWAITERS) {
      if (!awaiters.includes(consumerId)) awaiters.push(consumerId);
    } else {
      // A scan per link would make a promise shared by N chains cost N² steps.
      let seen = this.manyAwaiters.get(producer);
      if (seen === undefined) this.manyAwaiters.set(producer, (seen = new Set(awaiters)));
      if (!seen.has(consumerId)) {
        seen.add(consumerId);
        awaiters.push(consumerId);
      }
    }
  }

  private consumerNode(consumer: Consumer): number | undefined {
    switch (consumer.type) {
      case 'await':
        return this.generatorNode.get(consumer.generator);
      case 'combinator': {
        let index = this.promiseOwner.get(consumer.promise);
        if (index === undefined) {
          index = this.addNode(consumer.promise, 'combinator', COMBINATOR_NAMES[consumer.kind], null);
          this.nodes[index].combinator = consumer.kind;
          this.promiseOwner.set(consumer.promise, index);
        }
        return index;
      }
      case 'then': {
        const owner = consumer.derived >= 0 ? this.promiseOwner.get(consumer.derived) : undefined;
        if (owner !== undefined) return owner;
        // A bound function (`.then(run.bind(x))`) is a JSBoundFunction named "native_bind" in the
        // snapshot, with its target under `bound_function`: name and place it by its target.
        const target = this.heap.namedEdgeTarget(consumer.handler, this.str.boundFunction);
        const handler = target >= 0 ? target : consumer.handler;
        const handlerName = this.heap.nameOf(handler) || '(anonymous)';
        const index = this.addNode(
          consumer.derived >= 0 ? consumer.derived : consumer.reaction,
          'then',
          target >= 0 ? `bound ${handlerName}` : handlerName,
          this.definitionOf(handler),
        );
        this.nodes[index].thenMethod = consumer.method;
        if (consumer.derived >= 0) this.promiseOwner.set(consumer.derived, index);
        if (consumer.forward) {
          // The step settles the forwarded promise: whoever awaits that promise awaits this step.
          this.nodes[index].viaHandler = true;
          const sources = this.resolvedBy.get(consumer.forward.promise) ?? [];
          sources.push({ source: consumer.derived, resolveFunction: consumer.forward.resolveFunction, reaction: consumer.reaction });
          this.resolvedBy.set(consumer.forward.promise, sources);
          this.forwards.push({ node: index, promise: consumer.forward.promise });
        }
        return index;
      }
      default:
        return undefined;
    }
  }

  /**
   * A handler that holds a promise's resolve function may still not call it: a link made that way
   * is left out when it would close an await cycle (the step would wait, through what it awaits,
   * for its own awaiter), rather than reporting a deadlock the heap cannot prove.
   */
  private dropForwardCycles(): void {
    const nodes = this.nodes;
    const position = new Map<number, number>();
    nodes.forEach((node, index) => position.set(node.id, index));
    // What each node awaits (the reverse of awaitedBy), by position.
    const awaits: number[][] = nodes.map(() => []);
    nodes.forEach((node, index) => {
      for (const id of node.awaitedBy) awaits[position.get(id)!].push(index);
    });
    for (const { node: step, promise } of this.forwards) {
      const awaiters = nodes[step].awaitedBy;
      if (awaiters.length === 0) continue;
      const below = new Set<number>();
      const work = [step];
      while (work.length > 0) {
        for (const next of awaits[work.pop()!]) {
          if (!below.has(next)) {
            below.add(next);
            work.push(next);
          }
        }
      }
      const kept = awaiters.filter((id) => !below.has(position.get(id)!));
      if (kept.length !== awaiters.length) {
        for (const id of awaiters) if (!kept.includes(id)) awaits[position.get(id)!].splice(awaits[position.get(id)!].indexOf(step), 1);
        nodes[step].awaitedBy = kept;
        this.manyAwaiters.delete(step);
        if (kept.length === 0) delete nodes[step].viaHandler;
        // Those awaiters wait for the promise itself, as if no handler were known to settle it.
        const bare = this.bareNodeFor(promise);
        for (const id of awaiters) if (!kept.includes(id)) this.link(bare, position.get(id)!);
      }
    }
  }

  /**
   * The nodes that settle a promise: its owner, else the producers of the promises it is
   * resolved with (looked through, iteratively: `return next()` recursion makes such chains
   * as long as the program ran), else the promise itself as a bare leaf.
   */
  private producersOf(promise: number): number[] {
    const cached = this.producerCache.get(promise);
    if (cached) return cached;
    // The usual leaf: nothing owns it and nothing resolves it (no sets for the search below). Its
    // answer stays the same, as if cached, without a cache entry per leaf.
    if (this.bareAnswer[promise] === 1 || (!this.promiseOwner.has(promise) && !this.resolvedBy.has(promise))) {
      this.bareAnswer[promise] = 1;
      return [this.bareNodeFor(promise)];
    }
    const producers = new Set<number>();
    const visited = new Set<number>([promise]);
    const work = [promise];
    while (work.length > 0) {
      const current = work.pop()!;
      const owner = this.promiseOwner.get(current);
      if (owner !== undefined) {
        producers.add(owner);
        continue;
      }
      const sources = this.resolvedBy.get(current);
      if (!sources) {
        producers.add(this.bareNodeFor(current));
        continue;
      }
      for (const { source } of sources) {
        if (!visited.has(source)) {
          visited.add(source);
          work.push(source);
        }
      }
    }
    // A pass-through loop with nothing feeding it: the promise itself is what is awaited.
    if (producers.size === 0) producers.add(this.bareNodeFor(promise));
    const result = [...producers];
    this.producerCache.set(promise, result);
    return result;
  }

  private bareNodeFor(promise: number): number {
    let index = this.bareNode.get(promise);
    if (index === undefined) {
      index = this.addNode(promise, 'promise', 'Promise', null);
      this.bareNode.set(promise, index);
    }
    return index;
  }
}

/**
 * Heap ordinal → node index, for keys spread over the whole heap: one Int32Array slot per heap
 * node instead of a hash entry per key, with the keys' insertion order kept for iteration (as
 * a Map iterates).
 */
class OrdinalMap {
  private readonly slots: Int32Array;
  private readonly order: number[] = [];

  constructor(size: number) {
    this.slots = new Int32Array(size).fill(-1);
  }

  get(key: number): number | undefined {
    const value = this.slots[key];
    return value < 0 ? undefined : value;
  }

  has(key: number): boolean {
    return this.slots[key] >= 0;
  }

  set(key: number, value: number): void {
    if (this.slots[key] < 0) this.order.push(key);
    this.slots[key] = value;
  }

  get size(): number {
    return this.order.length;
  }

  /** Entries in insertion order, as Map.forEach (no [key, value] array per entry). */
  forEach(visit: (value: number, key: number) => void): void {
    for (const key of this.order) visit(this.slots[key], key);
  }
}

/**
 * The owners' entries, then the bare leaves', as one Map filled in that order would iterate them
 * (a promise in both: at its owner's place, with its bare node), without building that Map (a
 * million entries at 300k chains).
 */
class PromiseNodes {
  constructor(
    private readonly owners: OrdinalMap,
    private readonly bare: OrdinalMap,
  ) {}

  get size(): number {
    let both = 0;
    this.bare.forEach((_, promise) => {
      if (this.owners.has(promise)) both++;
    });
    return this.owners.size + this.bare.size - both;
  }

  forEach(visit: (index: number, promise: number) => void): void {
    this.owners.forEach((index, promise) => visit(this.bare.get(promise) ?? index, promise));
    this.bare.forEach((index, promise) => {
      if (!this.owners.has(promise)) visit(index, promise);
    });
  }
}
