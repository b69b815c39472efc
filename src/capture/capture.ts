import type { FoundNode } from '../awaits/await-graph.js';
import { PRIMED, type HeapWakeups } from '../wakeups/wakers.js';
import { ClosureNames } from '../wakeups/closure-names.js';
import { analyzeSnapshot, type AnalysisOptions, type ScriptInfo, type SnapshotAnalysis } from '../document/snapshot-to-document.js';
import { adoptLookedUpPoints, inferLocations, scriptsToInfer, type ExactPoint, type NodePoints, type PointsByNode } from '../locations/infer-await.js';
import type { ScriptParses } from '../locations/parsed-script.js';
import { nameTranspiledFunctions } from '../locations/transpiled-names.js';
import { fetchScriptSources } from './script-sources.js';
import { SnapshotParseError, SnapshotParser } from '../snapshot/snapshot-parser.js';
import { AsyncgraphError, ExitCode, TargetExitedError, TimeoutError } from '../errors.js';
import type { CdpSession } from '../session/cdp-session.js';
import { budgetCoversEveryFrame, lookupExactLocations } from './locations.js';
import { threadActivity } from '../target/proc.js';
import { readProcessFacts, type ProcessFacts } from '../target/proc-facts.js';
import { runInNewContext } from 'node:vm';
import type { ExecutionInput, RawFrame } from '../document/document.js';
import type { ExecutionState } from '../schema.js';
import { abortable, abortError } from '../session/guarded-session.js';
import { PauseGuard } from './pause-guard.js';
import { pauseOnce, sampleExecution, type RawSample } from './running-stack.js';
import { frameMatcher, linkFrames } from './stack-nodes.js';
import { formatDuration } from '../units.js';

export type { ScriptInfo };

export interface CaptureOptions {
  /** Target main-thread time to spend on exact suspension points. */
  locationBudgetMs: number;
  /** Bound on the whole snapshot transfer. */
  snapshotTimeoutMs: number;
  /** Refuse snapshots larger than this, so the tool cannot exhaust its own memory. */
  maxSnapshotBytes: number;
  onProgress?: (message: string) => void;
  /**
   * Bound on each pause request that finds out whether the target runs JavaScript (default 300
   * ms); 0 skips that step (no pause is ever requested).
   */
  pauseTimeoutMs?: number;
  /** Pause rounds (default 1). */
  samples?: number;
  /** Start-to-start spacing of the rounds (default 100 ms). */
  sampleIntervalMs?: number;
  /** Cancels the capture; everything the capture did to the target is undone first. */
  signal?: AbortSignal;
  /**
   * The local pid whose main thread this session inspects: for its CPU clock, and its /proc facts
   * (timers' time left, TCP addresses); not for workers.
   */
  mainThreadOf?: number;
  /**
   * A heap snapshot already taken, read instead of asking the session for one: a thread capturing
   * itself takes it synchronously, at the moment that matters (src/in-process/own-snapshot.ts).
   */
  takenSnapshot?: TakenSnapshot;
  /**
   * Scripts whose code holds everything and settles nothing of it (a test runner's, seen from its
   * own worker): the wake-up analysis does not climb through their functions and scopes.
   */
  isBystanderScript?: (url: string) => boolean;
  /**
   * Tests only: keep each pause this long before resuming it, so a test can kill the tool while
   * the target is paused.
   */
  holdPauseMs?: number;
  /** Tests only: idle pause rounds wait their whole timeout (no early end), so a test can kill the tool meanwhile. */
  fullPauseWait?: boolean;
}

/** A snapshot taken before the capture began (v8.getHeapSnapshot): its serialized chunks. */
export interface TakenSnapshot {
  chunks: AsyncIterable<string> & { destroy?: () => void };
  takenAt: Date;
  /** How long taking it stopped the thread. */
  snapshotMs: number;
}

/**
 * What the pause rounds found, with the running stack's frames linked to graph nodes (the
 * input of buildDocument's `execution`). `state` is `running` if any round caught JavaScript
 * running, else `blocked` if any round got no answer, else `idle`; `stack` is the latest running
 * round's.
 */
export type CapturedExecution = ExecutionInput;

export interface Capture {
  capturedAt: Date;
  nodes: FoundNode[];
  scripts: Map<string, ScriptInfo>;
  exact: Map<number, ExactPoint>;
  /** Suspension points inferred from the sources, for every frame inference could place. */
  inferred: NodePoints;
  snapshotBytes: number;
  heapNodes: number;
  locationLookupMs: number;
  /** How many exact lookups were made (each a scan of the target's heap). */
  locationLookups: number;
  /** From the snapshot request to its answer: the target's thread did nothing else meanwhile. */
  snapshotMs: number;
  /** Absent when the pause step was skipped (pauseTimeoutMs 0). */
  execution?: CapturedExecution;
  /** What can settle each leaf, what never settles, what keeps the loop alive (src/wakeups/wakers.ts). */
  wakeups?: HeapWakeups;
  /** Optional steps that failed or ran out of time, each said once: that part of the answer is less precise. */
  notes: string[];
  /** /proc facts of `mainThreadOf`, read while V8 built the snapshot. */
  processFacts?: ProcessFacts;
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
  const pauseTimeoutMs = options.pauseTimeoutMs ?? 300;
  const holdMs = options.holdPauseMs ?? 0;
  // Created before Debugger.enable: a target already paused when we attach (another debugger's
  // breakpoint) reports it during enable, and that pause is left to its owner; every later one
  // (ours, or a `debugger;` statement hit meanwhile) is resumed at once.
  const signal = options.signal;
  const guard = new PauseGuard(session, holdMs, signal, (scriptId) => scripts.get(scriptId)?.url);
  let kick: Promise<unknown> | undefined;
  const notes: string[] = [];
  try {
    if (signal?.aborted) throw abortError(signal);
    // Every already-loaded script is announced before enable answers.
    await session.send('Debugger.enable', {});
    debuggerEnabled = true;
    guard.debuggerEnabled();

    // Pause → stack → resume (src/capture/running-stack.ts), before the snapshot: the lookups
    // that follow it look at the running frame's generators first.
    let samples: RawSample[] | undefined;
    if (pauseTimeoutMs > 0) {
      options.onProgress?.('checking whether it runs JavaScript');
      samples = await optional(notes, 'the pause that shows whether it runs JavaScript', signal, () => sampleExecution(session, guard, {
        pauseTimeoutMs,
        samples: Math.max(1, options.samples ?? 1),
        intervalMs: options.sampleIntervalMs ?? 100,
        signal,
        // Tests that kill the tool while it waits for a pause turn the early end of idle rounds off.
        ...(options.mainThreadOf !== undefined && !options.fullPauseWait
          ? { thread: threadActivity.bind(null, options.mainThreadOf, options.mainThreadOf) }
          : {}),
      }), 'the execution state is not reported');
    }

    const taken = options.takenSnapshot;
    const capturedAt = taken?.takenAt ?? new Date();
    const parser = new SnapshotParser({ maxBytes: options.maxSnapshotBytes });
    let parseError: unknown;
    const write = (chunk: string) => {
      if (parseError) return;
      try {
        parser.write(chunk);
      } catch (error) {
        parseError = error;
      }
    };
    if (!taken) {
      session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => write(chunk));
      options.onProgress?.('taking heap snapshot');
    }
    const snapshotStarted = performance.now();
    const snapshotTaken = taken
      ? readTakenSnapshot(taken, write, () => parseError !== undefined)
      : session.send(
          'HeapProfiler.takeHeapSnapshot',
          // Numbers (timers' delays, pids) are read by src/wakeups/resources.ts and keep-alive.ts; they add ~1% to the snapshot.
          { reportProgress: false, captureNumericValue: true },
          options.snapshotTimeoutMs,
        );
    // V8 12+ (Node 22, 24) takes a snapshot only once the thread's stack is empty (a task on the
    // event loop, V8HeapProfilerAgentImpl::HeapSnapshotTask) or when the debugger pauses
    // (takePendingHeapSnapshots): a thread that never returns to its event loop would never be
    // snapshotted. So one more pause round follows the request: a running thread pauses, takes the
    // snapshot in the pause, and is resumed as usual; an idle one cancels the request as usual.
    // Its wait ends with the snapshot: a pause landing later is resumed by the guard all the same.
    if (samples && !guard.foreignPause) kick = pauseOnce(session, guard, { pauseTimeoutMs, signal, until: snapshotTaken }).catch(() => undefined);
    // Read while V8 builds the snapshot, when this process waits idle for its first chunk (0.3 s on
    // a small heap, seconds on a large one). It never throws: a fact it cannot read is a problem noted.
    const processFacts = options.mainThreadOf !== undefined ? readProcessFacts(options.mainThreadOf) : undefined;
    await abortable(snapshotTaken, signal).catch((error: unknown) => {
      if (error instanceof TimeoutError) {
        throw new TimeoutError(
          `the heap snapshot did not finish within ${formatDuration(options.snapshotTimeoutMs)}`,
          'raise --timeout for very large heaps',
        );
      }
      throw error;
    });
    const snapshotMs = taken?.snapshotMs ?? performance.now() - snapshotStarted;
    await kick;
    if (parseError) throw snapshotError(parseError);
    options.onProgress?.('rebuilding the await graph');
    // Script sources and their parses, shared by inference and the wake-up analysis's scope check.
    const sources = new Map<string, string>();
    const parses: ScriptParses = new Map();
    let analysis: SnapshotAnalysis | undefined = startAnalysis(parser, scripts, {
      closureNames: new ClosureNames(parses, sources),
      ...(options.isBystanderScript ? { isBystanderScript: options.isBystanderScript } : {}),
    });
    const { nodes, heapNodes } = analysis;

    // The latest round that caught JavaScript running (or another debugger's pause) is the
    // stack joined with the graph.
    const running = samples && [...samples].reverse().find((sample) => sample.frames !== undefined);
    // The graph's nodes are indexed by function only if some round caught frames.
    let matcher: ((frames: RawFrame[]) => number[][]) | undefined;
    const candidatesOf = (frames: RawFrame[]) => (matcher ??= frameMatcher(nodes))(frames);
    const candidates = running?.frames ? candidatesOf(running.frames) : [];

    options.onProgress?.('locating suspended frames');
    const lookupOptions = { budgetMs: options.locationBudgetMs, objectGroup: OBJECT_GROUP, heapNodes };
    // When the budget cannot look up every frame, inference comes first, while the target is idle
    // (a lookup keeps its thread busy for up to a second), so lookups go where it has no answer.
    // Otherwise it comes after, for the frames left without an exact location (if any: a big
    // bundle's source is not even fetched then).
    let inferred: PointsByNode | undefined;
    const inferFirst = !budgetCoversEveryFrame(nodes, lookupOptions);
    const infer = async (exact: ReadonlyMap<number, ExactPoint>) => {
      const onIncomplete = (reason: string) => notes.push(`script sources: ${reason}, so some frames show where their function is defined instead of an inferred await`);
      const wanted = scriptsToInfer(nodes, exact).filter((id) => !sources.has(id));
      const fetched = await abortable(fetchScriptSources(session, wanted, { debuggerEnabled: true, onIncomplete }), signal);
      for (const [id, text] of fetched) sources.set(id, text);
      // Names first: inference matches an `await`'s call against the names of what the frame awaits.
      nameTranspiledFunctions(nodes, sources, parses);
      const points = inferLocations(nodes, exact, sources, parses);
      // The frames of the stack the pause round caught may be running, not at their await.
      points.doubt(candidates.flat());
      return points;
    };
    if (inferFirst) inferred = await infer(new Map());
    // The target works on the lookups while this process analyses the heap: their times overlap.
    // They start once the analysis has the sources its first leaves asked for (finishAnalysis):
    // asked for later, a source waits in the target behind a lookup's heap scan.
    let lookingUp: ReturnType<typeof lookupExactLocations> | undefined;
    const startLookups = () => {
      // Not after a stop (SIGINT): the capture is being undone.
      if (lookingUp || signal?.aborted) return;
      lookingUp = lookupExactLocations(session, nodes, {
        ...lookupOptions,
        first: candidates.filter((ids) => ids.length > 0),
        ...(inferFirst ? { inferred: inferred! } : {}),
      });
      lookingUp.catch(() => {});
    };
    const wakeups = await abortable(finishAnalysis(analysis, session, { signal, notes, onPrimed: startLookups }), signal);
    // The snapshot's arrays are garbage from here on.
    analysis = undefined;
    startLookups();
    if (!lookingUp) throw abortError(signal!);
    if (parser.bytesSeen >= FULL_COLLECTION_MIN_BYTES) collectGarbage();
    const lookup = await abortable(lookingUp, signal);
    if (lookup.note) notes.push(lookup.note);
    if (!inferFirst) inferred = await infer(lookup.exact);
    else adoptLookedUpPoints(nodes, lookup.exact, inferred!);
    const execution = samples
      ? executionOf(samples, running, { nodes, candidates, candidatesOf, exact: lookup.exact, pauseTimeoutMs, sampleIntervalMs: options.sampleIntervalMs ?? 100 })
      : undefined;
    return {
      capturedAt,
      nodes,
      scripts,
      exact: lookup.exact,
      inferred: inferred ?? new Map(),
      snapshotBytes: parser.bytesSeen,
      heapNodes,
      locationLookupMs: lookup.elapsedMs,
      locationLookups: lookup.lookups,
      snapshotMs,
      ...(execution ? { execution } : {}),
      ...(wakeups ? { wakeups } : {}),
      notes,
      ...(processFacts ? { processFacts } : {}),
    };
  } finally {
    // A pause round still waiting (the snapshot failed) ends within its bound; then undo.
    await kick;
    await leaveAsFound(session, debuggerEnabled, guard);
  }
}

/** Feeds a snapshot taken before the capture to the parser, until it ends or cannot be read. */
async function readTakenSnapshot(taken: TakenSnapshot, write: (chunk: string) => void, failed: () => boolean): Promise<void> {
  for await (const chunk of taken.chunks) {
    write(chunk);
    if (failed()) return;
  }
}

/**
 * What the pause rounds found, joined with the graph: each round's stack linked to the nodes of
 * its frames (their kinds), and the latest running round's stack as the execution's.
 */
function executionOf(
  samples: RawSample[],
  running: RawSample | undefined,
  graph: {
    nodes: readonly FoundNode[];
    candidates: number[][];
    candidatesOf: (frames: RawFrame[]) => number[][];
    exact: ReadonlyMap<number, ExactPoint>;
    pauseTimeoutMs: number;
    sampleIntervalMs: number;
  },
): CapturedExecution {
  const { nodes, candidates, candidatesOf, exact } = graph;
  const sampleCandidates = samples.length > 1 ? samples.map((sample) => (sample.frames ? candidatesOf(sample.frames) : undefined)) : [];
  // The kinds of the stacks' nodes only, in one pass (the graph can have a million nodes).
  const wanted = new Set([candidates, ...sampleCandidates].flatMap((groups) => groups?.flatMap((group) => group.slice(0, 1)) ?? []));
  const kindOf = new Map<number, string>();
  if (wanted.size > 0) for (const node of nodes) if (wanted.has(node.id)) kindOf.set(node.id, node.kind);
  const kindsOf = (ids: number[][]) => ids.map((group) => (group.length > 0 ? kindOf.get(group[0]) : undefined));
  sampleCandidates.forEach((groups, k) => {
    if (groups) samples[k].kinds = kindsOf(groups);
  });
  const execution: CapturedExecution = {
    state: overallState(samples),
    pauseTimeoutMs: graph.pauseTimeoutMs,
    samples,
    sampleIntervalMs: graph.sampleIntervalMs,
  };
  if (running?.frames) {
    execution.stack = running.frames;
    execution.stackNodeIds = linkFrames(candidates, (id) => exact.get(id)?.state);
    execution.stackKinds = kindsOf(candidates);
  }
  return execution;
}

/**
 * Undo what the capture turned on; failures here (target gone) change nothing for the user.
 * A target paused by anything during the capture is resumed first.
 */
async function leaveAsFound(session: CdpSession, debuggerEnabled: boolean, guard: PauseGuard): Promise<void> {
  const quiet = (promise: Promise<unknown>) => promise.catch(() => {});
  await guard.release();
  guard.dispose();
  await quiet(session.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }, 2000));
  if (debuggerEnabled) await quiet(session.send('Debugger.disable', undefined, 2000));
  // Drops the heap object id map the snapshot built in the target (V8HeapProfilerAgentImpl::disable).
  await quiet(session.send('HeapProfiler.disable', undefined, 2000));
}

/**
 * An optional step: its failure (a timeout, a protocol error) is a note and `undefined`, never the
 * end of the capture; a stop (SIGINT) or a target gone still ends it.
 */
async function optional<T>(notes: string[], what: string, signal: AbortSignal | undefined, step: () => Promise<T>, cost: string): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    if (signal?.aborted || error instanceof TargetExitedError || !(error instanceof AsyncgraphError)) throw error;
    notes.push(`${what} failed (${error.message}): ${cost}`);
    return undefined;
  }
}

/** Paused (by another debugger) wins, then running in any round, then blocked, then idle. */
function overallState(samples: RawSample[]): ExecutionState {
  for (const state of ['paused', 'running', 'blocked'] as const) {
    if (samples.some((sample) => sample.state === state)) return state;
  }
  return 'idle';
}

/** Ends the parse and starts the analysis; the parsed snapshot is only referenced from the analysis. */
function startAnalysis(parser: SnapshotParser, scripts: ReadonlyMap<string, ScriptInfo>, options: AnalysisOptions): SnapshotAnalysis {
  let raw;
  try {
    raw = parser.end();
  } catch (error) {
    throw snapshotError(error);
  }
  return analyzeSnapshot(raw, scripts, options);
}

/**
 * Runs the wake-up analysis in slices, so the session's replies (the lookups) are handled
 * meanwhile; `onPrimed` once the first leaf of each kind is settled (wakers.ts, PRIMED).
 */
async function finishAnalysis(
  analysis: SnapshotAnalysis,
  session: CdpSession,
  { signal, notes, onPrimed }: { signal: AbortSignal | undefined; notes: string[]; onPrimed: () => void },
): Promise<HeapWakeups | undefined> {
  const steps = analysis.wakeups;
  let sliceEnd = performance.now() + ANALYSIS_SLICE_MS;
  // One bound for all the sources the analysis asks for (they queue in the target behind the
  // location lookups); once it is spent, the rest are not asked for, and that is said once.
  const sourcesDeadline = performance.now() + SOURCE_FETCH_MS;
  let incomplete = false;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value === PRIMED) {
      onPrimed();
      continue;
    }
    if (step.value && step.value.length > 0) {
      // A source that does not come makes the closures of that script count as using every name.
      const ids = step.value.map(String);
      const timeoutMs = Math.round(sourcesDeadline - performance.now());
      const sources =
        timeoutMs > 0
          ? await fetchScriptSources(session, ids, { debuggerEnabled: true, timeoutMs, onIncomplete: () => (incomplete = true) })
          : new Map<string, string>();
      if (timeoutMs <= 0) incomplete = true;
      for (const id of ids) analysis.closureNames?.addSource(Number(id), sources.get(id) ?? null);
      if (incomplete && !notes.some((note) => note.startsWith(SOURCES_NOTE))) {
        notes.push(`${SOURCES_NOTE} did not all arrive within ${SOURCE_FETCH_MS} ms, so every function of those scripts counts as able to reach what its scope holds (wakers may include unrelated timers or listeners)`);
      }
      if (signal?.aborted) throw abortError(signal);
      sliceEnd = performance.now() + ANALYSIS_SLICE_MS;
      continue;
    }
    if (performance.now() >= sliceEnd) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw abortError(signal);
      sliceEnd = performance.now() + ANALYSIS_SLICE_MS;
    }
  }
}

const ANALYSIS_SLICE_MS = 10;
/** Bound on all the fetches of sources the wake-up analysis asks for, together. */
const SOURCE_FETCH_MS = 5000;
const SOURCES_NOTE = 'script sources for the wake-up analysis';

let fullCollections = false;

/**
 * Below this snapshot size (a few thousand chains) the full collection is not worth its time: it
 * frees a few MB of arrays, and without lookups in flight to hide behind it took 17 ms of a 1 s
 * capture at 4.5 MB.
 */
const FULL_COLLECTION_MIN_BYTES = 16 * 1024 * 1024;

/**
 * The CLI's opt-in to one full collection per capture (a library user's process is not collected
 * behind its back, even if it runs with --expose-gc).
 */
export function allowFullCollections(): void {
  fullCollections = true;
}

/**
 * One full collection, where allowed and possible (bin/asyncgraph.js sets --expose-gc, which V8
 * applies to contexts created after it): the snapshot's arrays, hundreds of MB, are freed before
 * the document is built rather than whenever V8 next collects the old generation.
 */
function collectGarbage(): void {
  if (!fullCollections) return;
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  gc?.();
}

function snapshotError(error: unknown): AsyncgraphError {
  if (error instanceof AsyncgraphError) return error;
  if (error instanceof SnapshotParseError) {
    return new AsyncgraphError(`cannot read the heap snapshot: ${error.message}`, ExitCode.Failure);
  }
  return new AsyncgraphError(`cannot read the heap snapshot: ${(error as Error).message}`, ExitCode.Failure);
}
