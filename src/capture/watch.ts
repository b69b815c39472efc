// `--watch <duration>`: the looks before the capture, in the same inspector session, so heap
// object ids stay comparable (see src/document/watch.ts). Each look is a full heap snapshot: it stalls
// the target's event loop for as long as the capture's own snapshot does (README: "What will
// wake it up"). No [[GeneratorLocation]] lookups are made for these looks.

import { findAwaitGraph } from '../awaits/await-graph.js';
import { HeapGraph } from '../snapshot/heap-graph.js';
import { SnapshotParser } from '../snapshot/snapshot-parser.js';
import { frameSignatures, type WatchLook } from '../document/watch.js';
import { AsyncgraphError, ExitCode, TimeoutError } from '../errors.js';
import type { CdpSession } from '../session/cdp-session.js';
import { abortError } from '../session/guarded-session.js';
import { formatDuration } from '../units.js';

export interface WatchOptions {
  /** Snapshots in all, the capture's own included (at least 2). */
  looks: number;
  /** From the first look to the capture's (start to start). */
  spanMs: number;
  snapshotTimeoutMs: number;
  maxSnapshotBytes: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Takes `looks - 1` snapshots, evenly spaced, and returns when the capture's own (last) look is
 * due. Leaves the heap profiler enabled: disabling it would renumber the heap's objects.
 */
export async function takeWatchLooks(session: CdpSession, options: WatchOptions): Promise<WatchLook[]> {
  const looks: WatchLook[] = [];
  const spacingMs = options.spanMs / Math.max(1, options.looks - 1);
  let parser: SnapshotParser | null = null;
  let parseError: unknown;
  // One listener for all looks (the session has no way to remove one); idle outside them.
  session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
    if (!parser || parseError) return;
    try {
      parser.write(chunk);
    } catch (error) {
      parseError = error;
    }
  });
  const started = Date.now();
  for (let i = 0; i < options.looks - 1; i++) {
    await waitForLook(started + i * spacingMs, i + 1, options);
    options.onProgress?.(`look ${i + 1} of ${options.looks}: taking heap snapshot`);
    parser = new SnapshotParser({ maxBytes: options.maxSnapshotBytes });
    parseError = undefined;
    const at = new Date();
    const t0 = performance.now();
    try {
      await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false }, options.snapshotTimeoutMs);
    } catch (error) {
      parser = null;
      if (error instanceof TimeoutError) {
        throw new TimeoutError(`the heap snapshot of look ${i + 1} did not finish within ${formatDuration(options.snapshotTimeoutMs)}`, 'raise --timeout for very large heaps');
      }
      throw error;
    }
    const snapshotMs = performance.now() - t0;
    const done = parser;
    parser = null;
    if (parseError) throw new AsyncgraphError(`cannot read the heap snapshot: ${(parseError as Error).message}`, ExitCode.Failure);
    let frames: Map<number, string>;
    try {
      frames = frameSignatures(findAwaitGraph(new HeapGraph(done.end())));
    } catch (error) {
      if (error instanceof AsyncgraphError) throw error;
      throw new AsyncgraphError(`cannot read the heap snapshot: ${(error as Error).message}`, ExitCode.Failure);
    }
    looks.push({ at, snapshotMs, frames });
  }
  await waitForLook(started + (options.looks - 1) * spacingMs, options.looks, options);
  return looks;
}

/**
 * Waits until `time`, saying meanwhile which look comes next and when (`look 2 of 2 in 4s`),
 * counted down each second: a wait of minutes is not a hang.
 */
export async function waitForLook(time: number, look: number, options: Pick<WatchOptions, 'looks' | 'signal' | 'onProgress'>): Promise<void> {
  if (!options.onProgress) return sleepUntil(time, options.signal);
  for (;;) {
    const left = time - Date.now();
    if (left <= 0) return;
    options.onProgress(`look ${look} of ${options.looks} in ${formatDuration(Math.ceil(left / 1000) * 1000)}`);
    // To the next whole second left, so the count reads 4s, 3s, 2s, 1s.
    await sleepUntil(time - (Math.ceil(left / 1000) - 1) * 1000, options.signal);
  }
}

function sleepUntil(time: number, signal: AbortSignal | undefined): Promise<void> {
  const ms = time - Date.now();
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
