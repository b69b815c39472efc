// The pure stages in one place: a parsed heap snapshot (plus the scripts' URLs, and their sources
// where known) → the await graph → the wake-up analysis → inferred await points → the document.
// `analyzeSnapshot` is the first step the live capture takes too (it then drives the wake-up steps
// while it fetches sources and looks up exact locations over the session); `documentFromSnapshot`
// runs every step with what it is given, for the tests on recorded snapshots.

import { findAwaitGraph, type FoundNode } from '../awaits/await-graph.js';
import { inferLocations, type ExactPoint } from '../locations/infer-await.js';
import type { ScriptParses } from '../locations/parsed-script.js';
import { nameTranspiledFunctions } from '../locations/transpiled-names.js';
import { HeapGraph } from '../snapshot/heap-graph.js';
import type { RawSnapshot } from '../snapshot/snapshot-types.js';
import type { AwaitGraphDocument } from '../schema.js';
import { ClosureNames } from '../wakeups/closure-names.js';
import { heapWakeupSteps, newAwaitGraphTrace, runWakeupSteps, type HeapWakeups, type WakeupStep } from '../wakeups/wakers.js';
import { buildDocument, isInternalUrl, type DocumentInput } from './document.js';
import type { WakeupInput } from './wakeup-document.js';

/** A script as the session announced it (Debugger.scriptParsed). */
export interface ScriptInfo {
  url: string;
  sourceMapURL?: string;
}

/** The snapshot's await graph, and the wake-up analysis still to run over it (in steps). */
export interface SnapshotAnalysis {
  nodes: FoundNode[];
  heapNodes: number;
  /** Each step may yield script ids whose sources `closureNames` wants before the next step (wakers.ts). */
  wakeups: Generator<WakeupStep, HeapWakeups | undefined>;
  closureNames: ClosureNames | undefined;
}

export interface AnalysisOptions {
  /** Tells which closures use a scope's variable; without it every closure counts as using it. */
  closureNames?: ClosureNames;
  /** Scripts whose code the wake-up search does not climb through (a test runner's). */
  isBystanderScript?: (url: string) => boolean;
}

export function analyzeSnapshot(raw: RawSnapshot, scripts: ReadonlyMap<string, ScriptInfo>, options: AnalysisOptions = {}): SnapshotAnalysis {
  const heap = new HeapGraph(raw);
  const trace = newAwaitGraphTrace();
  const nodes = findAwaitGraph(heap, trace);
  const internalScripts = new Set<number>();
  const bystanderScripts = new Set<number>();
  for (const [id, script] of scripts) {
    if (isInternalUrl(script.url)) internalScripts.add(Number(id));
    if (options.isBystanderScript?.(script.url)) bystanderScripts.add(Number(id));
  }
  return {
    nodes,
    heapNodes: raw.nodeCount,
    wakeups: heapWakeupSteps(heap, nodes, trace, options.closureNames, { internalScripts, bystanderScripts }),
    closureNames: options.closureNames,
  };
}

export interface SnapshotDocumentInput extends Omit<DocumentInput, 'nodes' | 'scriptUrls' | 'exact' | 'inferred' | 'wakeups'> {
  scripts: ReadonlyMap<string, ScriptInfo>;
  /** Script id → source. Without it, no await point is inferred and closures count as using every name. */
  sources?: ReadonlyMap<string, string>;
  exact?: Map<number, ExactPoint>;
  isBystanderScript?: (url: string) => boolean;
  /**
   * What the wake-up document needs besides the analysis (the loop's clock, TCP rows); `false`
   * leaves the wake-up analysis out (the await graph alone, as its own tests look at it).
   */
  wakeups?: Omit<WakeupInput, 'wakeups'> | false;
}

/** Every pure stage, from a parsed snapshot to the document. */
export function documentFromSnapshot(raw: RawSnapshot, input: SnapshotDocumentInput): AwaitGraphDocument {
  const { scripts, exact = new Map(), isBystanderScript, wakeups: wakeupFacts, ...rest } = input;
  const sources = input.sources && new Map(input.sources);
  const parses: ScriptParses = new Map();
  const closureNames = sources ? new ClosureNames(parses, sources) : undefined;
  const analysis = analyzeSnapshot(raw, scripts, { ...(closureNames ? { closureNames } : {}), ...(isBystanderScript ? { isBystanderScript } : {}) });
  const wakeups = wakeupFacts === false ? undefined : runWakeupSteps(analysis.wakeups, analysis.closureNames, sources);
  const { nodes } = analysis;
  let inferred;
  if (sources) {
    nameTranspiledFunctions(nodes, sources, parses);
    inferred = inferLocations(nodes, exact, sources, parses);
  }
  return buildDocument({
    ...rest,
    nodes,
    scriptUrls: new Map([...scripts].map(([id, script]) => [id, script.url])),
    exact,
    ...(inferred ? { inferred } : {}),
    ...(wakeups ? { wakeups: { ...wakeupFacts, wakeups } } : {}),
  });
}
