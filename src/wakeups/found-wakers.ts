import type { SettleVerdict, WakerKind } from '../schema.js';
import type { FoundHandle } from './keep-alive.js';
import type { RawLocation, TimerFacts } from './resources.js';

// What the wake-up analysis finds, in heap terms: heap ids and raw script locations, no heap
// ordinals, so the capture can keep it after the heap is gone. src/document/wakeup-document.ts
// turns it into the document's settlements and wakers (src/schema.ts).

export type { SettleVerdict, WakerKind };

/** Something alive that can settle a leaf promise (by calling its resolve/reject, or natively). */
export interface FoundWaker {
  kind: WakerKind;
  /** One line for people, without anything that depends on the capture time. */
  description: string;
  /** How it holds the resolving function, in source terms: `pool.waiters[0]`, `pending.get('job-1').resolve`. */
  path?: string;
  /** Heap id of the resource object (Timeout, Socket, emitter…), to link with keep-alive handles. */
  resourceId?: number;
  /**
   * Definitions of the closures on the way from the holder down to the resolving function (a
   * timer's callback, a listener), nearest the holder first, 0-based: the document shows the first
   * that is not Node's own code.
   */
  definitions?: RawLocation[];
  /** The script whose top-level scope holds the variable the path starts at. */
  scopeScriptId?: number;
  /** A function defined in that scope: where the scope is, for a source map to name its file. */
  scopeAt?: RawLocation;
  timer?: TimerFacts;
  event?: { target: string; name: string };
  pid?: number;
  command?: string;
  localAddress?: string;
  remoteAddress?: string;
}

export interface FoundSettlement {
  verdict: SettleVerdict;
  /** Why, in one line. */
  reason: string;
  wakers: FoundWaker[];
  /**
   * Heap ids of suspended async functions whose locals hold the resolving functions, when no
   * variable does (undici's fetch: mainFetch's `fetchParams` leads to the caller's promise): the
   * work that will settle the leaf (src/wakeups/holder-links.ts).
   */
  holderFrames?: number[];
}

/** What the capture keeps of the heap for the document: ids and raw locations, no heap ordinals. */
export interface HeapWakeups {
  settlements: Map<number, FoundSettlement>;
  neverSettles: Set<number>;
  keepAlive: FoundHandle[];
}
