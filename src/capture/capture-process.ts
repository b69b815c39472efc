import { captureToDocument, targetInfo } from './capture-document.js';
import type { AwaitGraphDocument, CaptureMemory } from '../schema.js';
import { AsyncgraphError } from '../errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, defaultWarning, memoryCheckOptions, sessionCaptureOptions, sessionLifecycleOptions, TOOL_VERSION, type CaptureGraphOptions } from './capture-graph.js';
import { captureOnSession, type Capture } from './capture.js';
import type { CdpSession } from '../session/cdp-session.js';
import { parsePid, resolveTarget } from '../target/discover.js';
import { attachToWorkers } from '../session/node-worker.js';
import type { NodeWorkerInfo } from '../session/worker-info.js';
import { checkDebuggerUrl } from '../target/remote-policy.js';
import { withTargetSession } from '../session/session-lifecycle.js';
import type { ProcessFacts } from '../target/proc-facts.js';
import { withMemoryCheck, type MemoryCheckOptions } from './snapshot-memory.js';

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

/**
 * Like `captureGraph({ pid })`, and then the same capture for each of the process's
 * `worker_threads` workers, through the NodeWorker domain of the same inspector connection.
 * A worker whose capture fails is reported with its error; the main thread's failure throws.
 * Positions are mapped through source maps (inline ones, and map files on this machine), so code
 * run transformed (vitest, tsc output with maps) shows original lines.
 */
export async function captureProcess(pid: number | string, options: CaptureProcessOptions = {}): Promise<ProcessCapture> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const onWarning = options.onWarning ?? defaultWarning;
  const captureOptions = sessionCaptureOptions(options);
  options.onProgress?.('finding the inspector');
  return withTargetSession(
    async () => {
      const target = await resolveTarget(pid, { timeoutMs: connectTimeoutMs, activationTimeoutMs: options.activationTimeoutMs });
      checkDebuggerUrl(target.webSocketDebuggerUrl, `the inspector of process ${target.pid}`, { allowRemote: options.allowRemote, onWarning });
      return target;
    },
    async ({ endpoint: target, session, guard }) => {
      const toDocument = (capture: Capture, memory: CaptureMemory | undefined, processFacts?: ProcessFacts) =>
        captureToDocument(capture, {
          target: targetInfo(target.pid, target.nodeVersion, target.webSocketDebuggerUrl),
          toolVersion: TOOL_VERSION,
          locationBudgetMs: captureOptions.locationBudgetMs,
          ...(processFacts ? { processFacts } : {}),
          ...(memory ? { memory } : {}),
        });
      const memoryOptions = memoryCheckOptions(options, { pid: target.pid, webSocketDebuggerUrl: target.webSocketDebuggerUrl });
      const main = await withMemoryCheck(session, memoryOptions, () => captureOnSession(session, { ...captureOptions, mainThreadOf: target.pid }));
      // /proc facts (timers' time left, TCP addresses) are the main thread's: not for workers.
      const result: ProcessCapture = { pid: target.pid, argv: target.argv, main: toDocument(main.result, main.memory, main.result.processFacts), workers: [] };
      if (options.workers === false) return result;
      await captureWorkers(session, result, captureOptions, memoryOptions, toDocument, guard);
      return result;
    },
    sessionLifecycleOptions(options, parsePid(pid)),
  );
}

async function captureWorkers(
  session: CdpSession,
  result: ProcessCapture,
  captureOptions: Parameters<typeof captureOnSession>[1],
  memoryOptions: MemoryCheckOptions,
  toDocument: (capture: Capture, memory: CaptureMemory | undefined) => AwaitGraphDocument,
  guard: (session: CdpSession) => CdpSession = (session) => session,
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
        const workerSession = guard(worker.session);
        // Each worker's snapshot is built in the same process: checked like the main thread's.
        const what = `worker ${worker.info.workerId} of process ${result.pid}`;
        const captured = await withMemoryCheck(workerSession, { ...memoryOptions, what }, () => captureOnSession(workerSession, captureOptions));
        result.workers.push({ info: worker.info, document: toDocument(captured.result, captured.memory) });
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
