import { AsyncgraphError, ExitCode, InspectorUnavailableError, TimeoutError } from '../errors.js';
import { captureProcess, type CaptureProcessOptions } from './capture-process.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './capture-graph.js';
import { trimArgv, type NodeProcess } from '../target/process-tree.js';
import { MemoryLedger } from './snapshot-memory.js';
import type { AwaitGraphDocument } from '../schema.js';
import { formatSeconds } from '../units.js';

// What the captures of a process tree found, per process and worker thread: the model that
// render/report.ts draws (the capture does not depend on how it is drawn).

export interface ThreadReport {
  /** The thread's await graph; absent when its capture failed. */
  document?: AwaitGraphDocument;
  /** Why the capture failed, one line. */
  error?: string;
  /** Why there is no capture, when that is expected (not a failure), one line. */
  skipped?: string;
}

export interface WorkerReport extends ThreadReport {
  /** Node's worker id ("1"): `threadId` inside the worker. */
  workerId: string;
  /** "[worker 1]", or "[worker 1] name" for `new Worker(file, { name })`. */
  title: string;
  /** The worker's main script. */
  url: string;
}

export interface ProcessReport extends ThreadReport {
  pid: number;
  ppid: number | null;
  argv: string[];
  workers: WorkerReport[];
  /** Why the worker threads could not be listed, if so. */
  workersError?: string;
}

export interface CaptureTreeOptions extends Omit<CaptureProcessOptions, 'onProgress'> {
  /** Captures running at once (default 2). */
  concurrency?: number;
  /** Bound on one process's capture, workers included (default 30 s). */
  perProcessTimeoutMs?: number;
  /** Absolute time (Date.now()) after which no capture starts and running ones are given up. */
  deadline?: number;
  /** Aborting gives up every capture at once (a second SIGINT). */
  signal?: AbortSignal;
  /** Called as each process's capture ends, in completion order. */
  onDone?: (report: ProcessReport) => void;
}

export interface TreeCapture {
  /** One per process, in the order given. */
  processes: ProcessReport[];
  /** The failures, for an exit code. */
  errors: AsyncgraphError[];
}

/**
 * Captures each process (main thread and workers), a few at a time, each bounded in time. A
 * failed or abandoned capture is recorded on its process and does not stop the others. A capture
 * given up keeps running in the background until its own bounds end it: callers that are about to
 * stop the processes anyway need not wait for it.
 */
export async function captureTree(processes: readonly NodeProcess[], options: CaptureTreeOptions = {}): Promise<TreeCapture> {
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const perProcessMs = options.perProcessTimeoutMs ?? 30_000;
  const reports: ProcessReport[] = processes.map((proc) => ({ pid: proc.pid, ppid: proc.ppid, argv: proc.argv, workers: [] }));
  const errors: AsyncgraphError[] = [];
  // Processes that share a cgroup (a test runner's workers in one container) are budgeted
  // together: a snapshot that fits only once another one is done waits for it.
  const memoryLedger = options.memoryLedger ?? new MemoryLedger();
  let next = 0;

  const one = async (index: number) => {
    const proc = processes[index];
    const report = reports[index];
    const remaining = (options.deadline ?? Infinity) - Date.now();
    const boundMs = Math.min(perProcessMs, remaining);
    if (options.signal?.aborted || boundMs <= 0) {
      report.error = 'not captured: out of time';
      errors.push(new TimeoutError(report.error));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`the capture did not finish within ${formatMs(boundMs)}`)), boundMs);
      onAbort = () => reject(new TimeoutError('the capture was interrupted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const capturing = captureProcess(proc.pid, {
      ...options,
      memoryLedger,
      connectTimeoutMs: Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, boundMs),
      // Another asyncgraph capturing this process: wait for it only within this capture's bound.
      waitForOtherMs: Math.min(options.waitForOtherMs ?? boundMs, boundMs),
      snapshotTimeoutMs: Math.min(options.snapshotTimeoutMs ?? boundMs, boundMs),
    });
    capturing.catch(() => {}); // if given up, its late failure is nobody's business
    try {
      const captured = await Promise.race([capturing, giveUp]);
      report.document = captured.main;
      if (trimArgv(captured.argv).length > 0) report.argv = trimArgv(captured.argv);
      report.workers = captured.workers.map((worker) => ({
        workerId: worker.info.workerId,
        title: worker.info.title,
        url: worker.info.url,
        ...(worker.document ? { document: worker.document } : {}),
        ...(worker.error ? { error: worker.error } : {}),
      }));
      if (captured.workersError) report.workersError = captured.workersError;
    } catch (error) {
      if (error instanceof InspectorUnavailableError && proc.sigusr1 === 'blocked') {
        // node --test's runner: it blocks SIGUSR1 and runs no test itself. Not worth a warning.
        report.skipped = 'not inspectable from outside: SIGUSR1 is blocked in this process (as in the `node --test` runner, which runs no tests itself)';
        options.onDone?.(report);
        return;
      }
      const failure =
        error instanceof AsyncgraphError
          ? error
          : new AsyncgraphError(`unexpected error: ${(error as Error)?.message ?? String(error)}`, ExitCode.Failure);
      report.error = failure.message;
      errors.push(failure);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
    options.onDone?.(report);
  };

  const worker = async () => {
    while (next < processes.length) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, processes.length) }, worker));
  return { processes: reports, errors };
}

function formatMs(ms: number): string {
  return ms >= 1000 ? formatSeconds(ms) : `${Math.round(ms)} ms`;
}
