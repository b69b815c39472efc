// `attach` / `snapshot` options of the wake-up report (issue 5): --watch, --looks, --fail-on.

import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { AwaitGraphDocument } from '../graph/types.js';
import { parseDuration } from './duration.js';

export interface WakeupFlags {
  watch?: string;
  looks?: string;
  failOn?: string;
}

export function addWakeupOptions(command: Command): Command {
  return command
    .option('--watch <duration>', 'look again over this long (e.g. 30s) in the same session and mark frames that did not move as stuck')
    .option('--looks <n>', 'heap snapshots taken over --watch, the last one included (each stalls the target like the first)', '2')
    .addOption(
      new Option('--fail-on <what>', 'exit with code 1 when the graph has a deadlock: an await that can never settle, or an await cycle nothing can break').choices([
        'deadlock',
      ]),
    );
}

/** The capture's `watch` option, or nothing without --watch. */
export function watchOption(flags: WakeupFlags): { watch?: { looks: number; spanMs: number } } {
  if (flags.watch === undefined) {
    if (flags.looks !== undefined && flags.looks !== '2') throw new UsageError('--looks needs --watch <duration>');
    return {};
  }
  const spanMs = parseDuration(flags.watch, '--watch');
  const looks = Number(flags.looks ?? 2);
  if (!Number.isInteger(looks) || looks < 2 || looks > 100) throw new UsageError(`invalid --looks: ${flags.looks}`, 'a whole number from 2 to 100');
  return { watch: { looks, spanMs } };
}

/** Whether `--fail-on deadlock` applies: some node can never settle (which includes unbreakable cycles). */
export function hasDeadlock(doc: AwaitGraphDocument): boolean {
  return doc.nodes.some((node) => node.neverSettles === true);
}

/** Exit code 1 with --fail-on deadlock when the (unfiltered) document has one; else undefined. */
export function failOnExitCode(doc: AwaitGraphDocument, flags: WakeupFlags): number | undefined {
  if (flags.failOn === 'deadlock' && hasDeadlock(doc)) return 1;
  return undefined;
}

/** --watch applies to one process's capture, not to the --children report (--fail-on does). */
export function noWakeupOptionsWithChildren(flags: WakeupFlags): void {
  if (flags.watch !== undefined) throw new UsageError('--watch is not available with --children');
}
