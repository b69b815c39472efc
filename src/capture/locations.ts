import type { FoundNode } from '../awaits/await-graph.js';
import { AgreedPlaces, definitionKey, type ExactPoint, type PointsByNode } from '../locations/infer-await.js';
import { TargetExitedError, TimeoutError } from '../errors.js';
import type { CdpSession } from '../session/cdp-session.js';
import { FRAME_KINDS } from '../schema.js';

export interface LookupOptions {
  budgetMs: number;
  objectGroup: string;
  /**
   * Looked up before anything else: groups of node ids (the candidates for each async frame of
   * the running stack, see running-stack.ts); a group stops at its first `running` generator.
   */
  first?: number[][];
  /** Heap size in nodes, to estimate the first lookup before making it. */
  heapNodes?: number;
  /**
   * Given when the budget cannot cover every frame (see budgetCoversEveryFrame): what inference
   * already knows. The first instance of each function it has no answer for is looked up first,
   * then the first instance of each it placed by matching the awaited call, then later instances
   * it has no answer for. Later instances it placed are skipped: another instance of the same
   * function rarely differs, and when it does, inference tells which await.
   */
  inferred?: InferredPlaces;
}

/**
 * What inference knows of a frame (PointsByNode): whether it placed it (`has`), for certain
 * (`isCertain`: its function's only await, which a lookup could only confirm), and what its place
 * depends on (`questionOf`: its function and the kinds of things it awaits). Once two frames of
 * one question were found suspended at one place, the others take that place (infer-await.ts,
 * adoptLookedUpPoints) and are not looked up.
 */
export type InferredPlaces = Pick<PointsByNode, 'has' | 'isCertain' | 'questionOf'>;

// One lookup scans the whole heap: measured 0.37-0.40 µs per heap node on Node 20 (a 2-core
// VM, docs/performance.md); a little more, so the estimate errs on the side of the target.
const LOOKUP_MS_PER_HEAP_NODE = 0.0005;

/** Frames V8 can place: not ES5 state machines standing in for a generator (no [[GeneratorLocation]]). */
function hasGeneratorLocation(node: FoundNode): boolean {
  return FRAME_KINDS.has(node.kind) && !node.stateMachine;
}

/**
 * Reads [[GeneratorLocation]] of suspended frames. Each lookup resolves a heap object id,
 * which makes V8 scan the whole heap on the target's main thread, so the lookups run one at
 * a time (nothing queued in the target when we stop) and stop before the next one would
 * overrun the budget, estimated from the slowest lookup so far.
 */
export async function lookupExactLocations(
  session: CdpSession,
  nodes: FoundNode[],
  options: LookupOptions,
): Promise<{ exact: Map<number, ExactPoint>; elapsedMs: number; lookups: number; note?: string }> {
  const exact = new Map<number, ExactPoint>();
  let elapsedMs = 0;
  let lookups = 0;
  // Until a lookup has been timed, the estimate from the heap size stands in for it: a heap too
  // big for even one lookup within the budget gets none (inferred locations cover it).
  const estimatedMs = (options.heapNodes ?? 0) * LOOKUP_MS_PER_HEAP_NODE;
  let slowestMs = estimatedMs;
  if (options.budgetMs <= 0 || estimatedMs > options.budgetMs) return { exact, elapsedMs, lookups };
  const byId = options.first?.length ? new Map(nodes.map((node) => [node.id, node])) : undefined;
  const firstGroups = (options.first ?? []).map((ids) => ids.flatMap((id) => byId?.get(id) ?? []));
  const done = new Set<number>();
  const places = new AgreedPlaces();
  const answered = (id: number) => {
    const question = options.inferred?.questionOf(id);
    return question !== undefined && (places.get(question)?.agreeing ?? 0) >= AGREEING_LOOKUPS;
  };
  const order = function* (): Generator<FoundNode> {
    for (const group of firstGroups) {
      for (const node of group) {
        if (done.has(node.id)) {
          if (exact.get(node.id)?.state === 'running') break;
          continue;
        }
        yield node;
        if (exact.get(node.id)?.state === 'running') break;
      }
    }
    for (const node of lookupOrder(nodes, options.inferred)) {
      if (!done.has(node.id) && !answered(node.id)) yield node;
    }
  };
  for (const node of order()) {
    done.add(node.id);
    if (elapsedMs + slowestMs > options.budgetMs) break;
    const started = performance.now();
    lookups++;
    let objectId: string | undefined;
    const answerMs = Math.max(5000, options.budgetMs * 4, estimatedMs * 10);
    try {
      const { result } = await session.send(
        'HeapProfiler.getObjectByHeapObjectId',
        { objectId: String(node.id), objectGroup: options.objectGroup },
        answerMs,
      );
      objectId = result.objectId;
    } catch (error) {
      if (error instanceof TargetExitedError) throw error;
      // A target too busy to answer (under load) costs exact locations, never the graph: no more
      // lookups (the one in flight ends in the target by itself), the rest is inferred.
      if (error instanceof TimeoutError) return { exact, elapsedMs: elapsedMs + (performance.now() - started), lookups, note: lookupsStopped('HeapProfiler.getObjectByHeapObjectId', answerMs) };
      // Collected since the snapshot (it settled meanwhile): nothing to locate.
    }
    const lookupMs = performance.now() - started;
    elapsedMs += lookupMs;
    slowestMs = Math.max(slowestMs, lookupMs);
    if (!objectId) continue;
    let location: ExactPoint | undefined;
    try {
      location = await readGeneratorLocation(session, objectId, answerMs);
    } catch (error) {
      if (error instanceof TargetExitedError) throw error;
      if (error instanceof TimeoutError) return { exact, elapsedMs, lookups, note: lookupsStopped('Runtime.getProperties', answerMs) };
      // An object released meanwhile: this frame is inferred.
    }
    if (!location) continue;
    exact.set(node.id, location);
    const question = options.inferred?.questionOf(node.id);
    if (question !== undefined) places.add(question, location);
  }
  return { exact, elapsedMs, lookups };
}

/** Frames of one question found at one place this many times: the rest take it without a lookup. */
const AGREEING_LOOKUPS = 2;

function lookupsStopped(method: string, ms: number): string {
  return `exact locations: ${method} did not answer within ${ms} ms (the target is busy), so the remaining frames' locations are inferred from their source`;
}

async function readGeneratorLocation(session: CdpSession, objectId: string, timeoutMs: number): Promise<ExactPoint | undefined> {
  // ownProperties of a generator are none; internal properties come without running getters.
  const { internalProperties } = await session.send(
    'Runtime.getProperties',
    { objectId, ownProperties: true, generatePreview: false },
    timeoutMs,
  );
  let location: ExactPoint | undefined;
  let state: string | undefined;
  for (const property of internalProperties ?? []) {
    const value = property.value?.value as { scriptId?: string; lineNumber?: number; columnNumber?: number } | string | undefined;
    if (property.name === '[[GeneratorLocation]]' && value && typeof value === 'object' && value.scriptId !== undefined) {
      location = { scriptId: value.scriptId, lineNumber: value.lineNumber ?? 0, columnNumber: value.columnNumber ?? 0 };
    } else if (property.name === '[[GeneratorState]]' && typeof value === 'string') {
      state = value;
    }
  }
  if (location && state) location.state = state;
  return location;
}

/**
 * Whether the budget is expected to cover a lookup of every suspended frame (by the heap-size
 * estimate of one lookup). When it is not, lookups are spent where inference has no answer, so
 * inference must come first.
 */
export function budgetCoversEveryFrame(nodes: readonly FoundNode[], options: Pick<LookupOptions, 'budgetMs' | 'heapNodes'>): boolean {
  let frames = 0;
  for (const node of nodes) if (hasGeneratorLocation(node)) frames++;
  return frames * (options.heapNodes ?? 0) * LOOKUP_MS_PER_HEAP_NODE <= options.budgetMs;
}

/**
 * The frames to look up, in order: leaves first (the awaits that are actually stuck), and one
 * instance of each distinct function before a second instance of any, so a small budget covers
 * the most code. Given what inference knows, frames it left without an answer come first, and
 * frames it placed for certain, or placed past their function's first instance, are left out.
 */
export function lookupOrder(nodes: FoundNode[], inferred?: LookupOptions['inferred']): FoundNode[] {
  // Frames placed for certain are never looked up (all of a function's frames are, or none).
  const frames = nodes.filter((node) => hasGeneratorLocation(node) && !inferred?.isCertain(node.id));
  if (frames.length === 0) return [];
  const byId = new Map(nodes.map((node) => [node.id, node]));
  // A frame awaits a frame when a path of awaitedBy edges joins them, possibly through
  // combinators, .then steps and bare promises.
  const awaitsFrame = new Set<number>();
  const work = nodes.filter((node) => FRAME_KINDS.has(node.kind));
  const passedThrough = new Set<number>();
  while (work.length > 0) {
    const node = work.pop()!;
    for (const awaiterId of node.awaitedBy) {
      awaitsFrame.add(awaiterId);
      const awaiter = byId.get(awaiterId);
      if (awaiter && !FRAME_KINDS.has(awaiter.kind) && !passedThrough.has(awaiterId)) {
        passedThrough.add(awaiterId);
        work.push(awaiter);
      }
    }
  }
  // First instances are counted apart for frames inference placed and frames it did not: a
  // function's first unplaced frame comes first even when an earlier frame of it was placed.
  const seenFunctions = new Set<string>();
  const ranked: { node: FoundNode; rank: number }[] = [];
  for (const node of frames.sort((a, b) => a.id - b.id)) {
    const placed = inferred?.has(node.id) ?? false;
    const key = `${placed ? 'placed ' : ''}${node.definition ? definitionKey(node.definition) : `#${node.id}`}`;
    const firstOfFunction = !seenFunctions.has(key);
    seenFunctions.add(key);
    const leaf = !awaitsFrame.has(node.id);
    let rank: number;
    if (!inferred) {
      rank = firstOfFunction ? 0 : 2;
    } else if (placed) {
      if (!firstOfFunction) continue;
      rank = 2;
    } else {
      rank = firstOfFunction ? 0 : 4;
    }
    ranked.push({ node, rank: rank + (leaf ? 0 : 1) });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.node.id - b.node.id);
  return ranked.map(({ node }) => node);
}
