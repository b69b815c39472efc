import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDocument } from './graph/document.js';
import { applySourceMaps } from './graph/source-map.js';
import type { AwaitGraphDocument } from './graph/types.js';
import { AsyncgraphError, TargetExitedError } from './errors.js';
import { TOOL_VERSION, type CaptureGraphOptions } from './capture-graph.js';
import { captureOnSession, type Capture } from './inspector/capture.js';
import { connectCdp, type CdpSession } from './inspector/cdp-session.js';
import { resolveTarget } from './inspector/discover.js';
import { attachToWorkers, type NodeWorkerInfo } from './inspector/node-worker.js';
import { processExists } from './inspector/proc.js';

export interface CaptureProcessOptions extends CaptureGraphOptions {
  /** Also capture the process's worker threads (default true). */
  workers?: boolean;
}

export interface WorkerCapture {
  info: NodeWorkerInfo;
  /** The worker's await graph; absent when its capture failed. */
  document?: AwaitGraphDocument;
  /** Why the worker's capture failed (one line). */
  error?: string;
}

export interface ProcessCapture {
  pid: number;
  /** Command line of the process, from /proc. */
  argv: string[];
  /** The main thread's await graph. */
  main: AwaitGraphDocument;
  /** One entry per worker thread that was running when the main thread's capture ended. */
  workers: WorkerCapture[];
  /** Why the workers could not be listed (old Node, inspector refused the domain), if so. */
  workersError?: string;
}

/** Largest source map read from disk. */
const MAX_SOURCE_MAP_BYTES = 16 * 1024 * 1024;

/** A source map next to a script on this machine (file: URLs only); null if absent or too big. */
function readLocalSourceMap(mapUrl: string): string | null {
  if (!mapUrl.startsWith('file:')) return null;
  try {
    const path = fileURLToPath(mapUrl);
    if (statSync(path).size > MAX_SOURCE_MAP_BYTES) return null;
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Like `captureGraph({ pid })`, and then the same capture for each of the process's
 * `worker_threads` workers, through the NodeWorker domain of the same inspector connection.
 * A worker whose capture fails is reported with its error; the main thread's failure throws.
 * Unlike captureGraph, positions are mapped through source maps (inline ones, and map files on
 * this machine), so code run transformed (vitest, tsc output with maps) shows original lines.
 */
export async function captureProcess(pid: number | string, options: CaptureProcessOptions = {}): Promise<ProcessCapture> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const captureOptions = {
    locationBudgetMs: options.locationBudgetMs ?? 1000,
    snapshotTimeoutMs: options.snapshotTimeoutMs ?? 300_000,
    maxSnapshotBytes: options.maxSnapshotBytes ?? 4 * 1024 ** 3,
    onProgress: options.onProgress,
  };
  options.onProgress?.('finding the inspector');
  const target = await resolveTarget(pid, { timeoutMs: connectTimeoutMs });
  options.onProgress?.('connecting');
  const session = await connectCdp(target.webSocketDebuggerUrl, { timeoutMs: connectTimeoutMs, commandTimeoutMs: 30_000 });
  const toDocument = (capture: Capture) => {
    const mapped = applySourceMaps(capture, readLocalSourceMap);
    return buildDocument({
      nodes: mapped.nodes,
      scriptUrls: mapped.scriptUrls,
      exact: mapped.exact,
      target: { pid: target.pid, nodeVersion: target.nodeVersion ?? null, url: target.webSocketDebuggerUrl },
      capturedAt: capture.capturedAt,
      toolVersion: TOOL_VERSION,
      stats: {
        snapshotBytes: capture.snapshotBytes,
        heapNodes: capture.heapNodes,
        locationBudgetMs: captureOptions.locationBudgetMs,
        locationLookupMs: Math.round(capture.locationLookupMs),
      },
    });
  };
  try {
    let main: AwaitGraphDocument;
    try {
      main = toDocument(await captureOnSession(session, captureOptions));
    } catch (error) {
      if (error instanceof TargetExitedError && !processExists(target.pid)) {
        throw new TargetExitedError(`process ${target.pid} exited during the capture`);
      }
      throw error;
    }
    const result: ProcessCapture = { pid: target.pid, argv: target.argv, main, workers: [] };
    if (options.workers === false) return result;
    await captureWorkers(session, result, captureOptions, toDocument);
    return result;
  } finally {
    await session.close();
  }
}

async function captureWorkers(
  session: CdpSession,
  result: ProcessCapture,
  captureOptions: Parameters<typeof captureOnSession>[1],
  toDocument: (capture: Capture) => AwaitGraphDocument,
): Promise<void> {
  let attached;
  try {
    attached = await attachToWorkers(session, { commandTimeoutMs: 5000, workerCommandTimeoutMs: 30_000 });
  } catch (error) {
    result.workersError = oneLine(error);
    return;
  }
  try {
    // One at a time: each snapshot stops its worker, and they share the process's CPU.
    for (const worker of attached.workers) {
      captureOptions.onProgress?.(`capturing worker ${worker.info.workerId}`);
      try {
        result.workers.push({ info: worker.info, document: toDocument(await captureOnSession(worker.session, captureOptions)) });
      } catch (error) {
        result.workers.push({ info: worker.info, error: oneLine(error) });
      }
    }
  } finally {
    await attached.detachAll();
  }
}

function oneLine(error: unknown): string {
  if (error instanceof AsyncgraphError) return error.message;
  return `unexpected error: ${(error as Error)?.message ?? String(error)}`;
}
