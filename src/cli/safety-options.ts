// The options that bound what asyncgraph may do (docs/safety.md): how much snapshot it reads,
// whether it may connect off this machine, and whether it leaves an inspector it opened open.

import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_MAX_SNAPSHOT_MB } from '../session/guarded-session.js';

export interface SafetyFlags {
  maxSnapshotMb: string;
  allowRemote?: boolean;
  keepInspector?: boolean;
}

export interface SafetyOptions {
  maxSnapshotBytes: number;
  allowRemote: boolean;
  keepInspector: boolean;
  onWarning: (message: string) => void;
}

/** --max-snapshot-mb (`run` has only this one: its captures never keep an inspector nor go remote). */
export function snapshotLimitOption(): Option {
  return new Option('--max-snapshot-mb <mb>', 'stop reading a heap snapshot larger than this, so asyncgraph cannot run out of memory').default(
    String(DEFAULT_MAX_SNAPSHOT_MB),
  );
}

export function addSafetyOptions(command: Command): Command {
  return command
    .addOption(snapshotLimitOption())
    .option('--allow-remote', 'allow a --host/--url that is not a loopback address (prints a warning: the protocol is unauthenticated)')
    .option('--keep-inspector', 'leave the inspector open if asyncgraph opened it (by default it is closed again)');
}

export function parseMaxSnapshotMb(value: string): number {
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new UsageError(`invalid --max-snapshot-mb: ${value}`, 'a size in MB, e.g. --max-snapshot-mb 4096');
  return Math.round(mb * 1024 * 1024);
}

export function safetyOptions(flags: Partial<SafetyFlags>): SafetyOptions {
  return {
    maxSnapshotBytes: parseMaxSnapshotMb(flags.maxSnapshotMb ?? String(DEFAULT_MAX_SNAPSHOT_MB)),
    allowRemote: flags.allowRemote === true,
    keepInspector: flags.keepInspector === true,
    onWarning: printWarning,
  };
}

/** `asyncgraph: warning: …` on stderr. */
export function printWarning(message: string): void {
  process.stderr.write(`asyncgraph: warning: ${message}\n`);
}
