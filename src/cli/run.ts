// `asyncgraph run [--timeout 10m] [--json-out FILE] -- <command…>`: run a command (a test suite) and,
// if it has not finished in time or asyncgraph is told to stop (SIGINT/SIGTERM), report what every
// Node.js process of its tree is waiting for, stop the tree and exit 124 like `timeout`.
//
// Output: the command's stdin/stdout/stderr are its own (inherited, untouched). asyncgraph's report
// goes to stderr, after a banner line; on GitHub Actions the job summary gets a Markdown version
// and stdout gets `::error` annotations (workflow commands are read from stdout).
//
// The command runs in a new session and process group (spawn detached: setsid), so a terminal's
// Ctrl-C reaches asyncgraph only, which then reports before stopping the tree. Every process the
// command starts is found by ppid links, its process group, and a marker in its environment.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { captureTree } from '../capture/capture-tree.js';
import { AsyncgraphError, UsageError } from '../errors.js';
import { splitNodeOptions } from '../target/discover.js';
import { nodeProcesses, processTree, signalGroup, stopTree, type TreeSelector } from '../target/process-tree.js';
import { assertLinux } from '../target/proc.js';
import { REPORT_VERSION, reportBanner, type ReportReason, type TreeReport } from '../render/report.js';
import { parseDuration } from './duration.js';
import { formatDuration } from '../units.js';
import { useColors } from './output.js';
import { writeTreeReport } from './tree-output.js';
import { checkOutputPath } from './output-path.js';
import { parseMaxSnapshotMb, printWarning, snapshotLimitOption } from './safety-options.js';
import { forceOption } from './capture-options.js';

/** Exit code after a timeout (or a stop signal), as coreutils `timeout`. */
export const EXIT_TIMED_OUT = 124;
/** The command could not be run (permission denied, not executable), as shells. */
export const EXIT_CANNOT_EXECUTE = 126;
/** The command was not found, as shells. */
export const EXIT_NOT_FOUND = 127;

/** On a stop signal, how long the captures may take at most (CI gives a few seconds). */
const SIGNAL_CAPTURE_BUDGET_MS = 5000;

/** The preload that makes SIGUSR1 pick a random inspector port (src/preload/inspect-port.cts). */
export const PRELOAD_PATH = fileURLToPath(new URL('../preload/inspect-port.cjs', import.meta.url));

interface RunFlags {
  timeout?: string;
  jsonOut?: string;
  captureTimeout: string;
  killAfter: string;
  locationBudget: string;
  maxSnapshotMb: string;
  color?: boolean;
  force?: boolean;
}

export function registerRunCommand(program: Command): void {
  // `run`'s own options stop at the command: `run node --test` must leave --test to node.
  program.enablePositionalOptions();
  program
    .command('run')
    .description('run a command; if it hangs, print the await graphs of all its Node.js processes, stop it, exit 124')
    .argument('<command...>', 'the command and its arguments (after --)')
    .passThroughOptions()
    .option('--timeout <duration>', 'report and stop the command if it runs longer (500ms, 30s, 10m, 1h; a bare number is seconds); without it, only SIGINT/SIGTERM do')
    .option('--json-out <file>', 'also write the report as JSON to this file (only when a report is made)')
    .option('--capture-timeout <duration>', 'bound on capturing one process, worker threads included', '30s')
    .option('--kill-after <duration>', 'after the report, SIGTERM the tree and SIGKILL what is left after this long', '3s')
    .addOption(new Option('--location-budget <ms>', 'target main-thread time per thread spent finding exact await locations; frames beyond it get their await inferred from the source, or else their definition').default('1000'))
    .addOption(snapshotLimitOption())
    .addOption(forceOption())
    .option('--no-color', 'never colour the report')
    .addHelpText(
      'after',
      `
Exit status: the command's own, when it finishes in time (128+N if killed by signal N); 124 when
asyncgraph stopped it (timeout, SIGINT or SIGTERM); 127 when the command is not found; 2 for bad
arguments.

Examples:
  asyncgraph run --timeout 10m -- npm test
  asyncgraph run --timeout 5m --json-out hang.json -- npx vitest run
  asyncgraph run -- node --test          # report only when cancelled (SIGINT/SIGTERM)`,
    )
    .action(async (command: string[], flags: RunFlags) => {
      const code = await runCommand(command, flags);
      process.exitCode = code;
      // A capture given up on may still hold a connection open for a moment: do not wait for it.
      if (code === EXIT_TIMED_OUT) setTimeout(() => process.exit(code), 1000).unref();
    });
}

/** NODE_OPTIONS with our preload appended (once), quoted the way Node splits NODE_OPTIONS. */
export function withPreload(nodeOptions: string | undefined, preloadPath = PRELOAD_PATH): string {
  const existing = nodeOptions?.trim() ?? '';
  if (splitNodeOptions(existing).includes(preloadPath)) return existing;
  const quoted = `"${preloadPath.replace(/(["\\])/g, '\\$1')}"`;
  return `${existing ? existing + ' ' : ''}--require ${quoted}`;
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

async function runCommand(command: string[], flags: RunFlags): Promise<number> {
  if (command.length === 0) throw new UsageError('no command given', 'asyncgraph run [--timeout 10m] -- <command> [args…]');
  const timeoutMs = flags.timeout !== undefined ? parseDuration(flags.timeout, '--timeout') : undefined;
  const captureTimeoutMs = parseDuration(flags.captureTimeout, '--capture-timeout');
  const killAfterMs = parseDuration(flags.killAfter, '--kill-after');
  const locationBudgetMs = parseDuration(flags.locationBudget, '--location-budget', { bareUnit: 'ms', allowZero: true });
  const maxSnapshotBytes = parseMaxSnapshotMb(flags.maxSnapshotMb);
  // Now, not when the report is due: a typo must not lose the report of a hang that took an hour.
  if (flags.jsonOut !== undefined) checkOutputPath(flags.jsonOut, '--json-out');

  assertLinux();

  const runId = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ASYNCGRAPH_RUN_ID: runId };
  // Without the preload (asyncgraph run from its sources) SIGUSR1 still works, on port 9229.
  if (existsSync(PRELOAD_PATH)) {
    env.NODE_OPTIONS = withPreload(process.env.NODE_OPTIONS);
    env.ASYNCGRAPH_INSPECT_PORT = '0';
  }

  const child = await start(command, env);
  const pid = child.pid!;
  const selector: TreeSelector = { rootPid: pid, pgrp: pid, envMarker: `ASYNCGRAPH_RUN_ID=${runId}` };

  return new Promise<number>((resolve) => {
    let triggered = false;
    const abortCaptures = new AbortController();
    let stopping = false;

    const onSignal = (signal: NodeJS.Signals) => {
      if (!triggered) {
        void trigger({ kind: 'signal', signal });
      } else if (!stopping) {
        // Asked again while capturing (CI follows SIGINT with SIGTERM): report what we have.
        abortCaptures.abort();
      } else {
        // Asked again while the tree gets its grace period: no more grace.
        process.stderr.write(`asyncgraph: ${signal} again: killing the process tree now\n`);
        void stopTree(selector, { graceMs: 0, killWaitMs: 1000 }).catch(() => signalGroup(pid, 'SIGKILL'));
      }
    };
    const onSigint = () => onSignal('SIGINT');
    const onSigterm = () => onSignal('SIGTERM');
    // The terminal went away: no one to report to. Stop the tree (it is in its own session, so
    // nothing else would) and go.
    const onSighup = () => {
      if (triggered) return;
      triggered = true;
      clearTimeout(timer);
      void stopQuietly().then(() => finish(128 + signalNumber('SIGHUP')));
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    process.on('SIGHUP', onSighup);
    const timer = timeoutMs !== undefined ? setTimeout(() => void trigger({ kind: 'timeout', timeoutMs }), timeoutMs) : undefined;

    const finish = (code: number) => {
      clearTimeout(timer);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('SIGHUP', onSighup);
      resolve(code);
    };

    /** stopTree, and if even that fails, at least SIGKILL the group and the child. */
    const stopQuietly = async () => {
      try {
        return await stopTree(selector, { graceMs: killAfterMs, killWaitMs: 2000 });
      } catch {
        signalGroup(pid, 'SIGKILL');
        child.kill('SIGKILL');
        return { terminated: 0, killed: 0, survivors: [] };
      }
    };

    child.on('exit', (code, signal) => {
      if (triggered) return;
      finish(code ?? 128 + signalNumber(signal ?? 'SIGKILL'));
    });

    const trigger = async (reason: ReportReason) => {
      triggered = true;
      clearTimeout(timer);
      try {
        await report(reason, selector, command, {
          captureTimeoutMs,
          deadline: reason.kind === 'signal' ? Date.now() + Math.min(captureTimeoutMs, SIGNAL_CAPTURE_BUDGET_MS) : undefined,
          abort: abortCaptures.signal,
          locationBudgetMs,
          maxSnapshotBytes,
          force: flags.force === true,
          jsonOut: flags.jsonOut,
          colors: useColors(process.stderr, flags.color),
        });
      } catch (error) {
        // The report is best effort; stopping the tree is not.
        const message = error instanceof AsyncgraphError ? error.message : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
        process.stderr.write(`asyncgraph: could not report: ${message}\n`);
      }
      stopping = true;
      const stopped = await stopQuietly();
      if (stopped.survivors.length > 0) {
        process.stderr.write(
          `asyncgraph: ${stopped.survivors.length} process(es) survived SIGKILL: ${stopped.survivors.map((entry) => entry.pid).join(', ')}\n`,
        );
      }
      finish(EXIT_TIMED_OUT);
    };
  });
}

/** Spawns the command; a command that cannot start fails like a shell would (127, 126). */
function start(command: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', detached: true, env });
    child.once('spawn', () => resolve(child));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a later error (a failed kill): not a start failure
      if (error.code === 'ENOENT') reject(new AsyncgraphError(`command not found: ${command[0]}`, EXIT_NOT_FOUND));
      else if (error.code === 'EACCES' || error.code === 'EISDIR' || error.code === 'ENOEXEC') {
        reject(new AsyncgraphError(`cannot run ${command[0]}: permission denied or not executable`, EXIT_CANNOT_EXECUTE));
      } else reject(new AsyncgraphError(`cannot run ${command[0]}: ${error.message}`, EXIT_CANNOT_EXECUTE));
    });
  });
}

interface ReportOptions {
  captureTimeoutMs: number;
  deadline?: number;
  abort: AbortSignal;
  locationBudgetMs: number;
  maxSnapshotBytes: number;
  force: boolean;
  jsonOut?: string;
  colors: boolean;
}

async function report(reason: ReportReason, selector: TreeSelector, command: string[], options: ReportOptions): Promise<void> {
  const capturedAt = new Date().toISOString();
  const processes = nodeProcesses(processTree(selector));
  process.stderr.write(`\n${reportBanner(reason, processes.length, formatDuration)}\n`);
  const captured = await captureTree(processes, {
    concurrency: 2,
    perProcessTimeoutMs: options.captureTimeoutMs,
    deadline: options.deadline,
    signal: options.abort,
    locationBudgetMs: options.locationBudgetMs,
    maxSnapshotBytes: options.maxSnapshotBytes,
    force: options.force,
    onWarning: printWarning,
  });
  const treeReport: TreeReport = {
    reportVersion: REPORT_VERSION,
    reason,
    command,
    rootPid: selector.rootPid,
    capturedAt,
    processes: captured.processes,
  };
  process.stderr.write('\n');
  writeTreeReport(treeReport, { text: process.stderr, colors: options.colors, cwd: process.cwd(), jsonOut: options.jsonOut });
}
