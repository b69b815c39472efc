import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { FoundWaker } from './found-wakers.js';
import { HIT_RANK, type Hit } from './hit-kinds.js';
import type { StepsUp } from './search-tree.js';

// The order of a leaf's wakers and which of them are one: the same order on every Node version
// (rank, then nearer first, then a variable before globalThis, then by text), one entry per
// resource, one per object that several variables reach.

/** A hit the search weighed, with its waker. */
export interface WeighedHit {
  hit: Hit;
  waker: FoundWaker;
}

/**
 * The order of a search's wakers. An AbortSignal's 'abort' listener settles it only if someone
 * cancels: any other resource holding the resolver (undici's fetch: the request's socket) is what
 * the work waits on, so it comes first.
 */
export function compareFound(a: WeighedHit, b: WeighedHit): number {
  return (
    HIT_RANK[a.hit.kind] - HIT_RANK[b.hit.kind] ||
    Number(a.waker.kind === 'abort-signal') - Number(b.waker.kind === 'abort-signal') ||
    a.hit.distance - b.hit.distance ||
    Number(a.hit.kind === 'global') - Number(b.hit.kind === 'global') ||
    (a.waker.description < b.waker.description ? -1 : a.waker.description > b.waker.description ? 1 : 0)
  );
}

/** What makes two wakers one: the resource, else kind and text. */
export function wakerKey(waker: FoundWaker): string {
  return waker.resourceId !== undefined ? `r${waker.resourceId}` : `${waker.kind}:${waker.description}`;
}

/** One entry per wakerKey, the first; an emitter's 'error' listener only when nothing better holds it. */
export function dedupe(wakers: FoundWaker[]): FoundWaker[] {
  const seen = new Set<string>();
  const out: FoundWaker[] = [];
  for (const waker of wakers) {
    const key = wakerKey(waker);
    if (seen.has(key)) {
      const at = out.findIndex((other) => wakerKey(other) === key);
      if (at >= 0 && out[at].event?.name === 'error' && waker.event && waker.event.name !== 'error') out[at] = waker;
      continue;
    }
    seen.add(key);
    out.push(waker);
  }
  return out;
}

/**
 * For a variable or global: the object that holds the resolving function itself. Paths from
 * different variables to one such object (`held` in a module, `globalThis.held`, the module's
 * `exports.held` through require's cache) name one holder. '' for other hits. Kept per node for
 * one search: the scope variables it meets (every waiter's handler on the way to a queue) share
 * the lower part of their paths.
 */
export class AliasKeys {
  /** Per node the search reached: the object keyOf names below it, or -1. */
  private readonly below = new Map<number, number>();

  constructor(
    private readonly heap: HeapGraph,
    private readonly parent: StepsUp,
  ) {}

  keyOf(hit: Hit): string {
    if (!hasAlias(hit)) return '';
    const object = this.objectBelow(hit.node);
    return object >= 0 ? `o${object}` : '';
  }

  /** The object nearest the resolving function on the path down from `top` (`top` included), not a scope. */
  private objectBelow(top: number): number {
    const chain: number[] = [];
    let object = -1;
    for (let at = top; ; ) {
      const known = this.below.get(at);
      if (known !== undefined) {
        object = known;
        break;
      }
      const step = this.parent.get(at);
      // `at` is a resolving function: the path ends above it.
      if (!step) break;
      chain.push(at);
      at = step.child;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i];
      if (object < 0 && this.heap.typeName(node) === 'object' && this.heap.nameOf(node) !== 'system / Context') object = node;
      this.below.set(node, object);
    }
    return object;
  }
}

/** Whether a hit can have an alias key (AliasKeys): variables, globals, scope variables. */
export function hasAlias(hit: Hit): boolean {
  return hit.kind === 'variable' || hit.kind === 'global' || hit.kind === 'scope';
}

/** Wakers with an alias key already met left out: two variables holding one object are one holder. */
export function withoutAliases<T extends { alias: string }>(found: T[]): T[] {
  const aliases = new Set<string>();
  return found.filter(({ alias }) => {
    if (!alias) return true;
    if (aliases.has(alias)) return false;
    aliases.add(alias);
    return true;
  });
}
