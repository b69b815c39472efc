import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CaptureGraphOptions, TargetSpec } from '../capture-graph.js';

/** Options every capturing command shares. */
export interface CaptureFlags {
  port?: string;
  host?: string;
  url?: string;
  locationBudget: string;
  timeout: string;
  color?: boolean;
}

export function addCaptureOptions(command: Command): Command {
  return command
    .option('--port <port>', 'connect to an inspector already listening on this port (127.0.0.1)')
    .addOption(new Option('--host <host>', 'host of the inspector given with --port').default('127.0.0.1').hideHelp())
    .option('--url <ws-url>', 'connect to this inspector websocket URL (ws://HOST:PORT/ID)')
    .option(
      '--location-budget <ms>',
      'target main-thread time to spend finding exact await locations; the rest show their definition',
      '1000',
    )
    .option('--timeout <seconds>', 'give up if the heap snapshot takes longer than this', '300')
    .option('--no-color', 'never colour the output');
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
  const budget = Number(flags.locationBudget);
  if (!Number.isFinite(budget) || budget < 0) throw new UsageError(`invalid --location-budget: ${flags.locationBudget}`);
  const timeout = Number(flags.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`invalid --timeout: ${flags.timeout}`);
  return { locationBudgetMs: budget, snapshotTimeoutMs: timeout * 1000 };
}
