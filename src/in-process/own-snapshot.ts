// A thread's heap snapshot of itself, taken synchronously (v8.getHeapSnapshot) at the moment
// that matters: a test runner's timeout fires while the test's await chain is intact, and its
// cleanup (afterEach, a closed socket) runs only after. Behind the memory check of docs/safety.md.
// Small on purpose: the runner integrations load it up front; the analysis (own-capture.ts) is
// loaded only when a snapshot was taken.

import { getHeapSnapshot, getHeapStatistics } from 'node:v8';
import type { TakenSnapshot } from '../capture/capture.js';
import { checkOwnSnapshotFits, type MemoryCheck } from '../capture/snapshot-memory.js';

export interface OwnSnapshot {
  snapshot: TakenSnapshot;
  /** The event loop's clock at the snapshot (what timers count from), when it could be read. */
  loopNowMs?: number;
  memory?: MemoryCheck;
}

/**
 * Takes the snapshot now, or throws NotEnoughMemoryError (nothing taken) when it would not fit in
 * the memory the process has left. `what` names the thread in the refusal.
 */
export function takeOwnSnapshot(what: string): OwnSnapshot {
  const memory = checkOwnSnapshotFits(getHeapStatistics().used_heap_size, what);
  const loopNowMs = eventLoopNow();
  const takenAt = new Date();
  const started = performance.now();
  // V8's HeapProfiler::TakeHeapSnapshot runs here, in full (a GC first); the stream only
  // serializes the finished snapshot when read. Numbers are exposed for timers' delays (src/wakeups/resources.ts).
  const stream = getHeapSnapshot({ exposeNumericValues: true });
  const snapshotMs = performance.now() - started;
  stream.setEncoding('utf8');
  return { snapshot: { chunks: stream, takenAt, snapshotMs }, ...(loopNowMs !== undefined ? { loopNowMs } : {}), ...(memory ? { memory } : {}) };
}

/**
 * The loop clock Node's timers use (getLibuvNow, lib/internal/timers.js): a new Timeout's
 * _idleStart is set from it when the timer is inserted. Read from a timer cleared at once.
 */
function eventLoopNow(): number | undefined {
  const probe = setTimeout(() => {}, 1 << 30);
  clearTimeout(probe);
  const start = (probe as unknown as { _idleStart?: unknown })._idleStart;
  return typeof start === 'number' && Number.isFinite(start) ? start : undefined;
}
