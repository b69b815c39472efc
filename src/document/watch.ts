// `--watch`: several heap snapshots in one inspector session, and which frames did not move
// between them. Pure: compares the graphs of the looks.
//
// Heap object ids are stable for as long as the session keeps the heap profiler enabled (V8's
// HeapObjectsMap; HeapProfiler.disable clears it), so the same id in two looks is the same
// object. A frame is stuck across the looks when the same generator object awaits the same
// objects in every look: a suspended function resumes only when what it awaits settles, and a
// settled promise is no longer pending, so it cannot be awaited again in a later look. (A loop
// awaiting a fresh promise each time has new ids every look.) This is stronger than comparing
// locations, which need a [[GeneratorLocation]] lookup per frame per look; the last look's exact
// locations are shown.

import type { FoundNode } from '../awaits/await-graph.js';
import { FRAME_KINDS, type AwaitNode, type WatchInfo } from '../schema.js';
import { awaitsIndex } from '../awaits/await-edges.js';

/** One earlier look: when, how long its snapshot stalled the target, and each frame's signature. */
export interface WatchLook {
  at: Date;
  snapshotMs: number;
  /** Frame (generator) id → the sorted ids of what it awaits. */
  frames: Map<number, string>;
}

/** What each suspended frame of a graph awaits: the ids of the nodes whose awaitedBy names it. */
export function frameSignatures(nodes: readonly Pick<FoundNode, 'id' | 'kind' | 'awaitedBy'>[]): Map<number, string> {
  const awaits = awaitsIndex(nodes);
  const signatures = new Map<number, string>();
  for (const node of nodes) {
    if (!FRAME_KINDS.has(node.kind)) continue;
    const awaited = awaits.get(node.id)?.map((awaitedNode) => awaitedNode.id);
    // A frame awaiting nothing visible (a settled promise whose continuation is queued) has no signature.
    if (awaited && awaited.length > 0) signatures.set(node.id, awaited.sort((a, b) => a - b).join(','));
  }
  return signatures;
}

/**
 * Marks `stuckMs` on the frames of the last look (the document's nodes) that had the same
 * signature in every earlier look, and returns the document's `watch` field.
 */
export function applyWatch(nodes: AwaitNode[], looks: WatchLook[], capturedAt: Date): WatchInfo {
  const last = frameSignatures(nodes);
  const first = looks[0];
  const spanMs = first ? Math.max(0, capturedAt.getTime() - first.at.getTime()) : 0;
  if (looks.length > 0) {
    for (const node of nodes) {
      const signature = last.get(node.id);
      if (signature !== undefined && looks.every((look) => look.frames.get(node.id) === signature)) node.stuckMs = spanMs;
    }
  }
  return {
    looks: looks.length + 1,
    spanMs,
    lookedAt: [...looks.map((look) => look.at.toISOString()), capturedAt.toISOString()],
    snapshotMs: looks.map((look) => Math.round(look.snapshotMs)),
  };
}
