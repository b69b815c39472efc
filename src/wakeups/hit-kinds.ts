import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { HeapNodeFacts } from './node-facts.js';
import { isResourceClass } from './resources.js';

// What a retainer met by the holder search is, as a holder of a resolving function (a resource,
// an emitter, a top-level variable, a suspended async function, a root…), and how those kinds
// rank: resources and variables say who holds it; frames, reactions and roots only when nothing
// does.

export type HitKind = 'resource' | 'emitter' | 'event-target' | 'variable' | 'global' | 'scope' | 'frame' | 'reaction' | 'microtask' | 'root';

/** A holder the search met, `distance` retainer steps up from a resolving function. */
export interface Hit {
  kind: HitKind;
  node: number;
  distance: number;
}

/** What the leaf waits on: a resource, an emitter or event target whose listener holds it. */
export const RANK_RESOURCE = 0;
/** A top-level or global variable. */
export const RANK_VARIABLE = 1;
/** A function's scope variable: when no top-level variable or resource says more. */
export const RANK_SCOPE = 2;
/** A suspended function's local, a reaction, a queued microtask: only when nothing names a holder. */
export const RANK_INDIRECT = 3;
/** A root: the last resort. */
export const RANK_ROOT = 4;

export const HIT_RANK: Record<HitKind, number> = {
  resource: RANK_RESOURCE,
  emitter: RANK_RESOURCE,
  'event-target': RANK_RESOURCE,
  variable: RANK_VARIABLE,
  global: RANK_VARIABLE,
  scope: RANK_SCOPE,
  frame: RANK_INDIRECT,
  reaction: RANK_INDIRECT,
  microtask: RANK_INDIRECT,
  root: RANK_ROOT,
};

/**
 * hitKind's codes per heap node (the part of a hit's kind that ignores the edge). From
 * HOLDER_OBJECT up, objects: an `_events` or kEvents edge makes them an emitter or event target
 * first. Kept here, beside their one reader: hitKind runs for every retainer edge a search follows.
 */
const HOLDER_NOT_KNOWN = 0;
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
/** The hit kind of each HOLDER_… code, where the edge does not change it. */
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

export class HitClassifier {
  private readonly heap: HeapGraph;
  /** Per heap node: HOLDER_NOT_KNOWN, else a HOLDER_… code. */
  private readonly holderKinds: Uint8Array;

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    /** Script ids of Node's own code (node:…), when the caller knows them. */
    private readonly internalScripts: ReadonlySet<number>,
  ) {
    this.heap = reader.heap;
    this.holderKinds = new Uint8Array(this.heap.nodeCount);
  }

  /**
   * What a retainer met by the search is, through this edge. The part that depends on the node
   * alone (its class, whether it is a resource, a top-level scope, a frame) is worked out once per
   * node: thousands of leaves' searches pass through the same holders.
   */
  hitKind(node: number, edge: number): HitKind | null {
    let kind = this.holderKinds[node];
    if (kind === HOLDER_NOT_KNOWN) this.holderKinds[node] = kind = this.holderKind(node);
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

  private holderKind(node: number): number {
    const reader = this.reader;
    if (reader.isRoot(node)) return HOLDER_ROOT;
    const name = this.heap.nameOf(node);
    if (reader.isObject(node)) {
      if (isResourceClass(reader.className(node))) return HOLDER_RESOURCE;
      const scope = this.facts.scopeOf(node);
      if (scope) return scope === 'module' ? HOLDER_TOP_CONTEXT : HOLDER_OBJECT;
      if (name === 'system / PromiseReaction') return HOLDER_REACTION;
      if (/^system \/ \w*(Task|Microtask)$/.test(name)) return HOLDER_MICROTASK;
      if (this.facts.isGenerator(node)) return HOLDER_FRAME;
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
  isScopeContainer(from: number, edge: number, child: number): boolean {
    const heap = this.heap;
    if (heap.edgeType(edge) !== this.reader.contextEdge || heap.nameOf(from) !== 'system / Context') return false;
    if (this.reader.isClosure(child) || !this.reader.isObject(child) && heap.typeName(child) !== 'array') return false;
    const script = this.facts.contextScript(from);
    return script !== undefined && !this.internalScripts.has(script.scriptId);
  }
}
