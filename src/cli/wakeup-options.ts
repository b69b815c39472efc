// `attach` / `snapshot` options of the wake-up report (issue 5): --watch, --looks, --fail-on.

import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { filterText } from '../views/filter.js';
import { displayName } from '../document/order.js';
import { wokenFrames } from '../render/wakeup.js';
import type { AwaitGraphDocument } from '../schema.js';
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

const MAX_LISTED_DEADLOCKS = 5;

/**
 * Why `--fail-on deadlock` exits 1 when the view (`shown`, the filtered document) hides some of
 * it: the awaits that can never settle and the unbreakable cycles, those hidden listed. Empty when
 * the view shows them all (or there is none).
 */
export function hiddenDeadlockLines(doc: AwaitGraphDocument, shown: AwaitGraphDocument, where?: string): string[] {
  if (shown === doc || !shown.filter) return [];
  const visible = new Set(shown.nodes.map((node) => node.id));
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const deadlocks: { text: string; hidden: boolean }[] = [];
  for (const node of doc.nodes) {
    if (node.kind !== 'promise' || node.settlement?.verdict !== 'never') continue;
    const awaiters = [...new Set(wokenFrames(node.id, byId).map((frame) => displayName(frame)))].join(', ');
    deadlocks.push({ text: `${awaiters ? `${awaiters} → ` : ''}${displayName(node)}: never settles: ${node.settlement.reason}`, hidden: !visible.has(node.id) });
  }
  for (const cycle of doc.cycles) {
    if (!cycle.every((id) => byId.get(id)?.neverSettles)) continue;
    const names = [...cycle, cycle[0]].map((id) => displayName(byId.get(id)));
    deadlocks.push({ text: `await cycle ${names.join(' → ')}: nothing outside it can break it`, hidden: cycle.some((id) => !visible.has(id)) });
  }
  const hidden = deadlocks.filter((deadlock) => deadlock.hidden);
  if (hidden.length === 0) return [];
  const what = `${deadlocks.length} ${deadlocks.length === 1 ? 'deadlock' : 'deadlocks'}`;
  const lines = [`asyncgraph: --fail-on deadlock${where ? ` in ${where}` : ''}: ${what}, ${hidden.length === deadlocks.length ? (hidden.length === 1 ? 'hidden' : 'all hidden') : `${hidden.length} hidden`} by ${filterText(shown.filter)}:`];
  for (const deadlock of hidden.slice(0, MAX_LISTED_DEADLOCKS)) lines.push(`  ${deadlock.text}`);
  if (hidden.length > MAX_LISTED_DEADLOCKS) lines.push(`  … and ${hidden.length - MAX_LISTED_DEADLOCKS} more (the view without filters shows them all)`);
  return lines;
}

/** --watch applies to one process's capture, not to the --children report (--fail-on does). */
export function noWakeupOptionsWithChildren(flags: WakeupFlags): void {
  if (flags.watch !== undefined) throw new UsageError('--watch is not available with --children');
}
