import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CaptureGraphOptions, TargetSpec } from '../capture/capture-graph.js';
import { addSafetyOptions, safetyOptions, type SafetyFlags } from './safety-options.js';
import { parseDuration } from './duration.js';
import { DEFAULT_WAIT_FOR_OTHER_MS } from '../session/session-lifecycle.js';

/** Options every capturing command shares. */
export interface CaptureFlags extends Partial<SafetyFlags> {
  /** --pid (the positional pid is passed apart). */
  pid?: string;
  port?: string;
  host?: string;
  url?: string;
  locationBudget: string;
  timeout: string;
  color?: boolean;
  pauseTimeout?: string;
  samples?: string;
  sampleInterval?: string;
  waitForOther?: string;
  activationTimeout?: string;
  force?: boolean;
  /** Test hooks (hidden options, see testHookOptions). */
  testProgress?: boolean;
  testHoldPause?: string;
  testFullPauseWait?: boolean;
}

export function addCaptureOptions(command: Command): Command {
  command
    .option('--pid <pid>', 'process id of the Node.js process (the same as the positional pid)')
    .option('--port <port>', 'connect to an inspector already listening on this port (of --host)')
    .addOption(new Option('--host <host>', 'host of the inspector given with --port (loopback unless --allow-remote)').default('127.0.0.1'))
    .option('--url <ws-url>', 'connect to this inspector websocket URL (ws://HOST:PORT/ID)')
    .option(
      '--location-budget <ms>',
      'target main-thread time to spend finding exact await locations; frames beyond it get their await inferred from the source, or else their definition',
      '1000',
    )
    .option('--timeout <duration>', 'give up if the heap snapshot takes longer than this (30s, 5m; a bare number is seconds)', '300')
    .option('--pause-timeout <ms>', 'wait this long for a pause that shows whether it runs JavaScript, and where (0: do not check)', '300')
    .option('--samples <n>', 'pause this many times and report where it was each time (a tiny sampling profile)', '1')
    .option('--sample-interval <ms>', 'time between the starts of two --samples pauses', '100')
    .option('--wait-for-other <duration>', 'wait this long for another asyncgraph capturing the same process to finish (0: do not wait; exit 11 after)', '30s')
    .option('--activation-timeout <duration>', 'wait this long for the inspector SIGUSR1 opens (a target blocked in native code opens it late)', '5s')
    .option('--no-color', 'never colour the output')
    .addOption(forceOption());
  for (const option of testHookOptions()) command.addOption(option.hideHelp());
  return addSafetyOptions(command);
}

/**
 * For the fault tests, which start the CLI as a process and hurt it at a chosen step; hidden from
 * --help. Options, not environment variables: nothing in the environment changes what a capture does.
 */
function testHookOptions(): Option[] {
  return [
    new Option('--test-progress', 'print each progress step as a line on stderr (tests time their faults by it)'),
    new Option('--test-hold-pause <ms>', 'keep each pause this long before resuming it (CaptureOptions.holdPauseMs)'),
    new Option('--test-full-pause-wait', 'idle pause rounds wait their whole --pause-timeout (CaptureOptions.fullPauseWait)'),
  ];
}

/** --force: the only way past the memory check before the heap snapshot (src/capture/snapshot-memory.ts). */
export function forceOption(): Option {
  return new Option('--force', "take the heap snapshot even when it would not fit in the target's memory (it may then be killed)");
}

/** The pid, given either way: `attach 1234` or `attach --pid 1234` (both: they must agree). */
export function targetPid(positional: string | undefined, flags: Pick<CaptureFlags, 'pid'>): string | undefined {
  if (positional !== undefined && flags.pid !== undefined && positional !== flags.pid) {
    throw new UsageError(`two different pids given: ${positional} and --pid ${flags.pid}`, 'give the pid once, as an argument or with --pid');
  }
  return positional ?? flags.pid;
}

export function targetSpec(pid: string | undefined, flags: CaptureFlags): TargetSpec {
  const given = [pid !== undefined, flags.port !== undefined, flags.url !== undefined].filter(Boolean).length;
  if (given === 0) throw new UsageError('no target given', 'pass a pid, --port <port> or --url <ws-url>');
  if (given > 1) throw new UsageError('give only one of: a pid, --port, --url');
  if (pid !== undefined) return { pid };
  if (flags.port !== undefined) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`invalid port: ${flags.port}`);
    const host = flags.host ?? '127.0.0.1';
    return { port, host };
  }
  return { url: flags.url! };
}

export function captureOptions(flags: CaptureFlags): CaptureGraphOptions {
  // Bare numbers keep their documented units: ms for the budget, seconds for --timeout.
  const budget = parseDuration(flags.locationBudget, '--location-budget', { bareUnit: 'ms', allowZero: true });
  const timeout = parseDuration(flags.timeout, '--timeout');
  return {
    locationBudgetMs: budget,
    snapshotTimeoutMs: timeout,
    waitForOtherMs: waitForOtherMs(flags.waitForOther),
    activationTimeoutMs: parseDuration(flags.activationTimeout ?? '5s', '--activation-timeout'),
    ...pauseOptions(flags),
    ...safetyOptions(flags),
    ...(flags.force ? { force: true } : {}),
    ...(flags.testHoldPause !== undefined ? { holdPauseMs: parseDuration(flags.testHoldPause, '--test-hold-pause', { bareUnit: 'ms' }) } : {}),
    ...(flags.testFullPauseWait ? { fullPauseWait: true } : {}),
  };
}

/** --pause-timeout, --samples, --sample-interval (src/capture/running-stack.ts). */
function pauseOptions(flags: CaptureFlags): { pauseTimeoutMs: number; samples: number; sampleIntervalMs: number } {
  const pauseTimeoutMs = parseDuration(flags.pauseTimeout ?? '300', '--pause-timeout', { bareUnit: 'ms', allowZero: true });
  if (pauseTimeoutMs > 60_000) throw new UsageError(`invalid --pause-timeout: ${flags.pauseTimeout}`, 'at most 60s (60000 ms); 0 skips the check');
  const samples = Number(flags.samples ?? 1);
  if (!Number.isInteger(samples) || samples < 1 || samples > 1000) throw new UsageError(`invalid --samples: ${flags.samples}`, 'a whole number from 1 to 1000');
  const sampleIntervalMs = parseDuration(flags.sampleInterval ?? '100', '--sample-interval', { bareUnit: 'ms', allowZero: true });
  if (samples > 1 && pauseTimeoutMs === 0) throw new UsageError('--samples needs pauses: --pause-timeout must not be 0');
  return { pauseTimeoutMs, samples, sampleIntervalMs };
}

/** --wait-for-other: a duration, or 0 for not waiting at all. */
function waitForOtherMs(text: string | undefined): number {
  return text === undefined ? DEFAULT_WAIT_FOR_OTHER_MS : parseDuration(text, '--wait-for-other', { allowZero: true });
}
