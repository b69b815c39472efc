// The running stack joined with the await graph (pure): which suspendable function's node each
// frame of a pause runs, so the tree can mark the frames that are running now.

import type { RawFrame } from '../document/document.js';
import { FRAME_KINDS } from '../schema.js';

/** A suspendable function's node in the snapshot: what a frame is matched against. */
export interface GeneratorCandidate {
  id: number;
  kind: string;
  definition: { scriptId: number; line: number; column: number } | null;
}

/**
 * For each frame (innermost first), the generator nodes whose function is the frame's function:
 * same script and start position (the snapshot's closure location and the frame's
 * `functionLocation` are both the function's start, 0-based). Empty for sync functions.
 */
export function frameCandidates(frames: RawFrame[], nodes: GeneratorCandidate[]): number[][] {
  return frameMatcher(nodes)(frames);
}

/** frameCandidates for several stacks (pause rounds) over one graph: its nodes are indexed once. */
export function frameMatcher(nodes: GeneratorCandidate[]): (frames: RawFrame[]) => number[][] {
  const byDefinition = new Map<string, number[]>();
  for (const node of nodes) {
    if (!FRAME_KINDS.has(node.kind) || !node.definition) continue;
    const key = `${node.definition.scriptId}:${node.definition.line}:${node.definition.column}`;
    const list = byDefinition.get(key) ?? [];
    list.push(node.id);
    byDefinition.set(key, list);
  }
  return (frames) =>
    frames.map((frame) => {
      const at = frame.functionLocation;
      if (!at) return [];
      return byDefinition.get(`${at.scriptId}:${at.lineNumber}:${at.columnNumber}`) ?? [];
    });
}

/**
 * Which node each frame runs: the candidate whose [[GeneratorState]] is `running` (each node
 * claimed once, innermost frame first), or, when none of a frame's candidates was looked up,
 * the only candidate there is. Undefined where no node is known to be the frame's.
 */
export function linkFrames(candidates: number[][], stateOf: (id: number) => string | undefined): (number | undefined)[] {
  const claimed = new Set<number>();
  return candidates.map((ids) => {
    const running = ids.find((id) => stateOf(id) === 'running' && !claimed.has(id));
    if (running !== undefined) {
      claimed.add(running);
      return running;
    }
    if (ids.length === 1 && stateOf(ids[0]) === undefined && !claimed.has(ids[0])) {
      claimed.add(ids[0]);
      return ids[0];
    }
    return undefined;
  });
}
