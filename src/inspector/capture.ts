import { findAwaitGraph, type FoundNode } from '../graph/await-graph.js';
import { HeapGraph } from '../graph/heap-graph.js';
import { SnapshotParseError, SnapshotParser } from '../graph/snapshot-parser.js';
import { AsyncgraphError, ExitCode, TimeoutError } from '../errors.js';
import type { CdpSession } from './cdp-session.js';
import { lookupExactLocations } from './locations.js';
import type { ExactPoint } from '../graph/document.js';

export interface ScriptInfo {
  url: string;
  sourceMapURL?: string;
}

export interface CaptureOptions {
  /** Target main-thread time to spend on exact suspension points. */
  locationBudgetMs: number;
  /** Bound on the whole snapshot transfer. */
  snapshotTimeoutMs: number;
  /** Refuse snapshots larger than this, so the tool cannot exhaust its own memory. */
  maxSnapshotBytes: number;
  onProgress?: (message: string) => void;
}

export interface Capture {
  capturedAt: Date;
  nodes: FoundNode[];
  scripts: Map<string, ScriptInfo>;
  exact: Map<number, ExactPoint>;
  snapshotBytes: number;
  heapNodes: number;
  locationLookupMs: number;
}

const OBJECT_GROUP = 'asyncgraph';

/**
 * Takes one consistent picture of the target through an open session: script URLs, a heap
 * snapshot parsed while it streams, the await graph, then exact suspension points within the
 * budget. Leaves the session's domains disabled and its object group released; the caller
 * closes the session.
 */
export async function captureOnSession(session: CdpSession, options: CaptureOptions): Promise<Capture> {
  const scripts = new Map<string, ScriptInfo>();
  session.on('Debugger.scriptParsed', (script) => {
    scripts.set(script.scriptId, { url: script.url, sourceMapURL: script.sourceMapURL || undefined });
  });
  let debuggerEnabled = false;
  try {
    // Every already-loaded script is announced before enable answers.
    await session.send('Debugger.enable', {});
    debuggerEnabled = true;

    const capturedAt = new Date();
    const parser = new SnapshotParser({ maxBytes: options.maxSnapshotBytes });
    let parseError: unknown;
    session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
      if (parseError) return;
      try {
        parser.write(chunk);
      } catch (error) {
        parseError = error;
      }
    });
    options.onProgress?.('taking heap snapshot');
    await session.send(
      'HeapProfiler.takeHeapSnapshot',
      { reportProgress: false, captureNumericValue: false },
      options.snapshotTimeoutMs,
    ).catch((error: unknown) => {
      if (error instanceof TimeoutError) {
        throw new TimeoutError(
          `the heap snapshot did not finish within ${Math.round(options.snapshotTimeoutMs / 1000)} s`,
          'raise --timeout for very large heaps',
        );
      }
      throw error;
    });
    if (parseError) throw snapshotError(parseError);
    let raw;
    try {
      raw = parser.end();
    } catch (error) {
      throw snapshotError(error);
    }
    options.onProgress?.('rebuilding the await graph');
    const heap = new HeapGraph(raw);
    const nodes = findAwaitGraph(heap);

    options.onProgress?.('locating suspended frames');
    const lookup = await lookupExactLocations(session, nodes, {
      budgetMs: options.locationBudgetMs,
      objectGroup: OBJECT_GROUP,
    });
    return {
      capturedAt,
      nodes,
      scripts,
      exact: lookup.exact,
      snapshotBytes: parser.bytesSeen,
      heapNodes: raw.nodeCount,
      locationLookupMs: lookup.elapsedMs,
    };
  } finally {
    await leaveAsFound(session, debuggerEnabled);
  }
}

/** Undo what the capture turned on; failures here (target gone) change nothing for the user. */
async function leaveAsFound(session: CdpSession, debuggerEnabled: boolean): Promise<void> {
  const quiet = (promise: Promise<unknown>) => promise.catch(() => {});
  await quiet(session.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }, 2000));
  if (debuggerEnabled) await quiet(session.send('Debugger.disable', undefined, 2000));
  // Drops the heap object id map the snapshot built in the target (V8HeapProfilerAgentImpl::disable).
  await quiet(session.send('HeapProfiler.disable', undefined, 2000));
}

function snapshotError(error: unknown): AsyncgraphError {
  if (error instanceof AsyncgraphError) return error;
  if (error instanceof SnapshotParseError) {
    return new AsyncgraphError(`cannot read the heap snapshot: ${error.message}`, ExitCode.Failure);
  }
  return new AsyncgraphError(`cannot read the heap snapshot: ${(error as Error).message}`, ExitCode.Failure);
}
