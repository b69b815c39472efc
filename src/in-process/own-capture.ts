// From a thread's snapshot of itself to its document: the same pipeline as `attach` (await graph,
// wake-up analysis, locations through source maps, document), over the thread's own inspector
// session. No pause rounds (a thread cannot pause itself) and no CPU clock of another thread.

import { captureToDocument, targetInfo } from '../capture/capture-document.js';
import { DEFAULT_LOCATION_BUDGET_MS, DEFAULT_MAX_SNAPSHOT_BYTES, DEFAULT_SNAPSHOT_TIMEOUT_MS, TOOL_VERSION } from '../capture/capture-graph.js';
import { captureOnSession } from '../capture/capture.js';
import { readProcessFacts } from '../target/proc-facts.js';
import { captureMemory } from '../capture/snapshot-memory.js';
import type { AwaitGraphDocument } from '../schema.js';
import { OwnThreadSession } from './own-session.js';
import type { OwnSnapshot } from './own-snapshot.js';

export interface OwnCaptureOptions {
  /** This thread's time spent on exact suspension points (default 1000 ms); past it, they are inferred. */
  locationBudgetMs?: number;
  /** Scripts whose code holds everything and settles nothing of it (CaptureOptions.isBystanderScript). */
  isBystanderScript?: (url: string) => boolean;
  /** Gives up on the analysis (CaptureOptions.signal). */
  signal?: AbortSignal;
}

export async function captureOwnSnapshot(own: OwnSnapshot, options: OwnCaptureOptions = {}): Promise<AwaitGraphDocument> {
  const locationBudgetMs = options.locationBudgetMs ?? DEFAULT_LOCATION_BUDGET_MS;
  const session = new OwnThreadSession();
  try {
    const capture = await captureOnSession(session, {
      locationBudgetMs,
      snapshotTimeoutMs: DEFAULT_SNAPSHOT_TIMEOUT_MS,
      maxSnapshotBytes: DEFAULT_MAX_SNAPSHOT_BYTES,
      pauseTimeoutMs: 0,
      takenSnapshot: own.snapshot,
      ...(options.isBystanderScript ? { isBystanderScript: options.isBystanderScript } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return captureToDocument(capture, {
      target: targetInfo(process.pid, process.version, 'node:inspector'),
      toolVersion: TOOL_VERSION,
      locationBudgetMs,
      // Sockets are the process's (its fds), whichever thread captures.
      processFacts: readProcessFacts(process.pid),
      ...(own.loopNowMs !== undefined ? { loopNowMs: own.loopNowMs } : {}),
      ...(own.memory ? { memory: captureMemory(own.memory, process.pid) } : {}),
    });
  } finally {
    await session.close();
  }
}
