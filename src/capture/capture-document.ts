// From one thread's capture to its document: map positions through source maps, add what /proc
// tells of the process, build the versioned document. Shared by captureGraph and captureProcess.
// (Inference needs the session, so it runs within the capture: src/capture/capture.ts.)

import { buildDocument } from '../document/document.js';
import type { WakeupInput } from '../document/wakeup-document.js';
import { createSourceMapper } from '../locations/source-map.js';
import type { AwaitGraphDocument, CaptureMemory, TargetInfo } from '../schema.js';
import type { Capture } from './capture.js';
import { readLocalSourceMap } from './script-sources.js';
import { readCwd } from '../target/proc.js';
import { loopNowAt, type ProcessFacts } from '../target/proc-facts.js';
import type { WatchLook } from '../document/watch.js';

export interface DocumentOptions {
  target: TargetInfo;
  toolVersion: string;
  locationBudgetMs: number;
  /** The main thread's process facts (/proc): timers' time left, TCP addresses. Not for workers. */
  processFacts?: ProcessFacts;
  /**
   * The thread's event-loop clock at the snapshot, when known exactly (a thread capturing itself):
   * it stands in for the one derived from processFacts.
   */
  loopNowMs?: number;
  /** With --watch: the looks taken before this capture, in the same session (src/capture/watch.ts). */
  watch?: WatchLook[];
  /** The memory check before the snapshot and the process's RSS around the capture (src/capture/snapshot-memory.ts). */
  memory?: CaptureMemory;
}

/** The document's `target`: with the process's working directory where it can be read (local pids). */
export function targetInfo(pid: number | null, nodeVersion: string | null | undefined, url: string): TargetInfo {
  const cwd = pid !== null ? readCwd(pid) : undefined;
  return { pid, nodeVersion: nodeVersion ?? null, url, ...(cwd !== undefined ? { cwd } : {}) };
}

export function captureToDocument(capture: Capture, options: DocumentOptions): AwaitGraphDocument {
  const scriptUrls = new Map([...capture.scripts].map(([id, script]) => [id, script.url]));
  const unusableMaps: string[] = [];
  const document = buildDocument({
    nodes: capture.nodes,
    scriptUrls,
    exact: capture.exact,
    inferred: capture.inferred,
    mapPosition: createSourceMapper(capture.scripts, readLocalSourceMap, (mapUrl) => unusableMaps.push(mapUrl)),
    target: options.target,
    capturedAt: capture.capturedAt,
    toolVersion: options.toolVersion,
    ...(capture.execution ? { execution: capture.execution } : {}),
    ...(capture.wakeups ? { wakeups: wakeupInput(capture, options) } : {}),
    ...(options.watch ? { watch: options.watch } : {}),
    stats: {
      snapshotBytes: capture.snapshotBytes,
      heapNodes: capture.heapNodes,
      locationBudgetMs: options.locationBudgetMs,
      locationLookupMs: Math.round(capture.locationLookupMs),
      locationLookups: capture.locationLookups,
      snapshotMs: Math.round(capture.snapshotMs),
    },
  });
  const notes = [...(capture.notes ?? []), ...(capture.wakeups ? (options.processFacts?.problems ?? []) : [])];
  if (unusableMaps.length > 0) {
    const more = unusableMaps.length > 1 ? ` and ${unusableMaps.length - 1} more` : '';
    notes.push(`source maps: ${unusableMaps[0]}${more} could not be read, so those scripts' positions are in the code that runs`);
  }
  if (notes.length > 0) document.notes = notes;
  return options.memory ? { ...document, memory: options.memory } : document;
}

function wakeupInput(capture: Capture, options: DocumentOptions): WakeupInput {
  const facts = options.processFacts;
  const loopNowMs = options.loopNowMs ?? (facts ? loopNowAt(facts, capture.capturedAt) : undefined);
  let inspectorPort: number | undefined;
  try {
    inspectorPort = Number(new URL(options.target.url).port) || undefined;
  } catch {
    inspectorPort = undefined;
  }
  return {
    wakeups: capture.wakeups!,
    ...(loopNowMs !== undefined ? { loopNowMs } : {}),
    ...(facts?.tcpRows ? { tcpRows: facts.tcpRows } : {}),
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
  };
}
