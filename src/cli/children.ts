// `attach <pid> --children` and `snapshot --pid <pid> --children`: the await graphs of a whole
// running process tree — the pid, every Node.js process below it, and their worker threads.

import { DEFAULT_SNAPSHOT_TIMEOUT_MS } from '../capture/capture-graph.js';
import { captureTree } from '../capture/capture-tree.js';
import { NoSuchProcessError, NotNodeProcessError, UsageError } from '../errors.js';
import { parsePid } from '../target/discover.js';
import { nodeProcesses, processTree } from '../target/process-tree.js';
import { processExists } from '../target/proc.js';
import { writeFile } from 'node:fs/promises';
import { REPORT_VERSION, renderTreeReport, renderTreeReportJson, type TreeReport } from '../render/report.js';
import { captureOptions, type CaptureFlags } from './capture-options.js';
import { abortError } from '../session/guarded-session.js';
import { filterDocument, type FilterOptions } from '../views/filter.js';
import type { AwaitGraphDocument } from '../schema.js';
import { useColors } from './output.js';
import { cannotWrite } from './output-path.js';
import { failOnExitCode, hiddenDeadlockLines, type WakeupFlags } from './wakeup-options.js';

/** The CLI action: capture, print (text or JSON, to stdout or a file), set the exit code. */
export async function printChildren(
  pid: string | undefined,
  flags: CaptureFlags & WakeupFlags,
  format: 'text' | 'json',
  output?: string,
  filters: FilterOptions = {},
  signal?: AbortSignal,
): Promise<void> {
  const { report, exitCode } = await captureChildren(pid, flags, signal);
  // --fail-on deadlock: judged on the unfiltered graphs, of every thread of every process.
  const documents = report.processes.flatMap((proc) => [proc.document, ...proc.workers.map((worker) => worker.document)]);
  const failOn = documents.reduce<number | undefined>((code, doc) => code ?? (doc ? failOnExitCode(doc, flags) : undefined), undefined);
  // --depth, --filter, --no-internals: applied to each thread's graph.
  // With --fail-on deadlock, what a filter hides of a deadlock is said on stderr.
  const hidden: string[] = [];
  const filtered = (doc: AwaitGraphDocument, where: string) => {
    const shown = filterDocument(doc, filters);
    if (failOn !== undefined && failOnExitCode(doc, flags) !== undefined) hidden.push(...hiddenDeadlockLines(doc, shown, where));
    return shown;
  };
  for (const proc of report.processes) {
    if (proc.document) proc.document = filtered(proc.document, `process ${proc.pid}`);
    for (const worker of proc.workers) if (worker.document) worker.document = filtered(worker.document, `worker ${worker.workerId} of process ${proc.pid}`);
  }
  const text =
    format === 'json'
      ? renderTreeReportJson(report)
      : renderTreeReport(report, { colors: !output && useColors(process.stdout, flags.color), cwd: process.cwd() });
  if (output) await writeFile(output, text).catch((error: unknown) => Promise.reject(cannotWrite(output, error)));
  else process.stdout.write(text);
  for (const line of hidden) process.stderr.write(line + '\n');
  process.exitCode = exitCode !== 0 ? exitCode : (failOn ?? 0);
}

/** Captures the tree under `pidArg`; the exit code says whether anything could be captured. */
export async function captureChildren(
  pidArg: string | undefined,
  flags: CaptureFlags,
  signal?: AbortSignal,
): Promise<{ report: TreeReport; exitCode: number }> {
  if (pidArg === undefined || flags.port !== undefined || flags.url !== undefined) {
    throw new UsageError('--children needs a pid', 'the process tree is found from /proc; --port and --url name a single inspector');
  }
  const pid = parsePid(pidArg);
  if (!processExists(pid)) throw new NoSuchProcessError(pid);
  const options = captureOptions(flags);
  const capturedAt = new Date().toISOString();
  const processes = nodeProcesses(processTree({ rootPid: pid }));
  if (processes.length === 0) throw new NotNodeProcessError(`no Node.js process in the process tree of ${pid}`);
  const captured = await captureTree(processes, {
    concurrency: 2,
    perProcessTimeoutMs: (options.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS) + 30_000,
    locationBudgetMs: options.locationBudgetMs,
    snapshotTimeoutMs: options.snapshotTimeoutMs,
    maxSnapshotBytes: options.maxSnapshotBytes,
    keepInspector: options.keepInspector,
    onWarning: options.onWarning,
    waitForOtherMs: options.waitForOtherMs,
    activationTimeoutMs: options.activationTimeoutMs,
    force: options.force,
    signal,
  });
  // Interrupted: the captures undo their work in the background (bounded), nothing is printed.
  if (signal?.aborted) throw abortError(signal);
  const report: TreeReport = { reportVersion: REPORT_VERSION, reason: { kind: 'attach' }, rootPid: pid, capturedAt, processes: captured.processes };
  const allFailed = captured.errors.length === processes.length;
  return { report, exitCode: allFailed ? captured.errors[0].exitCode : 0 };
}
