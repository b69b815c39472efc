// What a capture cost its target, in one line under the tree's header: how long the heap
// snapshot stopped its thread, and its RSS before, at the peak and after (docs/safety.md).

import type { ChalkInstance } from 'chalk';
import type { AwaitGraphDocument } from '../schema.js';
import { formatMb, formatStopped } from '../units.js';

/** Starts the line, so that readers (and tests) can tell it from the forest. */
export const CAPTURE_COST_PREFIX = 'capture cost: ';

/** The line, or none for documents without the memory facts (older ones, --port/--url without /proc). */
export function captureCostLines(doc: AwaitGraphDocument, paint: ChalkInstance): string[] {
  const memory = doc.memory;
  if (!memory) return [];
  const parts: string[] = [];
  if (doc.stats?.snapshotMs !== undefined) parts.push(`the heap snapshot stopped it for ${formatStopped(doc.stats.snapshotMs)}`);
  const rss = [
    memory.rssBeforeBytes !== undefined ? `${formatMb(memory.rssBeforeBytes)} before` : undefined,
    memory.rssPeakBytes !== undefined ? `${formatMb(memory.rssPeakBytes)} at the peak` : undefined,
    memory.rssAfterBytes !== undefined ? `${formatMb(memory.rssAfterBytes)} after` : undefined,
  ].filter(Boolean);
  if (rss.length > 0) parts.push(`RSS ${rss.join(', ')}`);
  if (parts.length === 0) return [];
  const line = paint.dim(CAPTURE_COST_PREFIX + parts.join('; '));
  if (!memory.forced) return [line];
  const room = memory.headroomBytes !== undefined ? `, ${formatMb(memory.headroomBytes)} free` : '';
  return [line + paint.yellow(`  (--force: estimated to need ${formatMb(memory.estimatedBytes)}${room})`)];
}
