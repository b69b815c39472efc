import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import type { FoundWaker } from './found-wakers.js';
import type { Hit, HitKind } from './hit-kinds.js';
import type { HolderNames } from './holder-names.js';
import { describePath, shortPath, symbolName, type PathStep } from './holder-path.js';
import type { HeapNodeFacts } from './node-facts.js';
import type { FoundResource, RawLocation } from './resources.js';

// What a holder the search met says of a leaf, as a waker: a resource (a timer, a socket), a
// listener on an emitter or EventTarget and its event, a variable and its path, a suspended
// async function, a reaction, a queued microtask, a root; and a native holder of the promise.

/** Whether a node was reached by the current search (a listener that leads to the resolver). */
export type Visited = (node: number) => boolean;

export class HitWakers {
  private readonly heap: HeapGraph;

  constructor(
    private readonly reader: HeapReader,
    private readonly facts: HeapNodeFacts,
    private readonly holderNames: HolderNames,
  ) {
    this.heap = reader.heap;
  }

  /**
   * What a hit says of the leaf; `steps` lead from the hit down to the resolving function. Without
   * the definitions of the closures on the way (withPathDefinitions): only the wakers a leaf
   * reports need them, and a fetch's leaf weighs hundreds of hits.
   */
  hitWaker(hit: Hit, steps: PathStep[], visited: Visited): FoundWaker | null {
    const heap = this.heap;
    const reader = this.reader;
    // Emitters, resources and microtasks are not named by the path: not worked out for them (a
    // fetch's leaf meets hundreds of other requests' emitters).
    const named = hit.kind !== 'emitter' && hit.kind !== 'event-target' && hit.kind !== 'resource' && hit.kind !== 'microtask';
    const path = named ? describePath(reader, steps) : '';
    switch (hit.kind) {
      case 'emitter':
      case 'event-target':
        return this.listenerWaker(hit, steps, visited);
      case 'resource': {
        const resource = this.facts.resourceOf(hit.node);
        return resource ? resourceWaker(resource) : null;
      }
      case 'variable':
      case 'scope': {
        const scope = this.facts.contextScript(hit.node);
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

  /** An emitter's or EventTarget's listener that holds the resolving function, and its event. */
  private listenerWaker(hit: Hit, steps: PathStep[], visited: Visited): FoundWaker {
    const reader = this.reader;
    const names = hit.kind === 'emitter' ? this.emitterEvents(steps, visited) : this.eventTargetEvents(steps, visited);
    // events.once() also listens for 'error': name the event that was asked for.
    const eventName = names.find((name) => name !== 'error') ?? names[0];
    const resource = this.facts.resourceOf(hit.node);
    const isSignal = this.facts.isAbortSignal(hit.node);
    const target = resource ? resource.description : isSignal ? 'AbortSignal' : reader.className(hit.node) || 'an event emitter';
    const holder = resource ? '' : this.holderNames.nameHolder(hit.node);
    const event = eventName ?? '?';
    return {
      ...(resource ? resourceWaker(resource) : {}),
      kind: resource ? resource.kind : isSignal ? 'abort-signal' : 'event-listener',
      description: `'${event}' listener on ${target}${holder ? ` ${holder}` : ''}`,
      resourceId: this.heap.idOf(hit.node),
      event: { target: resource ? resource.className : isSignal ? 'AbortSignal' : reader.className(hit.node), name: event },
    };
  }

  /** The event of the listener an emitter hit's path goes through (`_events.NAME`, the path's second edge), unless 'error'. */
  listenerEventOf(edge: number | undefined): string | undefined {
    if (edge === undefined || this.heap.edgeType(edge) !== this.reader.propertyEdge) return undefined;
    const name = this.heap.edgeName(edge);
    return typeof name === 'string' && name !== 'error' ? name : undefined;
  }

  /** Events of an EventEmitter whose listeners lead to the resolving functions: properties of `_events`. */
  private emitterEvents(steps: PathStep[], visited: Visited): string[] {
    const events = steps[0]?.to;
    if (events === undefined) return [];
    const heap = this.heap;
    // The event whose listener the path goes through; another one only when that is 'error'
    // (events.once listens for it too). Any listener the search saw is not enough: a socket's
    // listeners share their closures' scopes (ioredis prepends its 'data' listener next to 'close').
    // listenerEventOf also keys the search's shared wakers (holder-search.ts): one rule for both.
    const onPath = this.listenerEventOf(steps[1]?.edge);
    if (onPath !== undefined) return [symbolName(onPath)];
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
  private eventTargetEvents(steps: PathStep[], visited: Visited): string[] {
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
  withPathDefinitions(kind: HitKind, waker: FoundWaker, steps: PathStep[]): FoundWaker {
    // A frame is defined by its own function when it has one.
    if (kind === 'frame' && waker.definitions) return waker;
    const definitions = this.closuresOnPath(steps);
    if (definitions.length === 0) return waker;
    return { ...waker, definitions: [...(waker.definitions ?? []), ...definitions] };
  }

  /** Closures of JavaScript code on the way down (a timer callback, a listener), for their definitions. */
  private closuresOnPath(steps: PathStep[]): RawLocation[] {
    const out: RawLocation[] = [];
    for (const { to } of steps) {
      if (this.reader.isClosure(to) && this.reader.builtinName(to) === null) {
        const location = this.heap.closureLocation(to);
        if (location) out.push(location);
      }
    }
    return out;
  }

  /** A native holder of the promise itself: the resource it is, when it is one. */
  nativeWaker(node: number, what: string): FoundWaker {
    const resource = this.reader.isObject(node) ? this.facts.resourceOf(node) : null;
    if (resource) return resourceWaker(resource);
    return { kind: 'native', description: `held by native ${what}` };
  }
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
