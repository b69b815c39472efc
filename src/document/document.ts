import type { FoundNode } from '../awaits/await-graph.js';
import { PointsByNode, type ExactPoint, type NodePoints } from '../locations/infer-await.js';
import { linkHolderFrames } from '../wakeups/holder-links.js';
import { findCycles } from '../awaits/cycles.js';
import { compareNodes } from './order.js';
import { applyWakeups, type WakeupInput } from './wakeup-document.js';
import { applyWatch, type WatchLook } from './watch.js';
import type { PositionMapper } from '../locations/source-map.js';
import { awaitsByPosition } from '../awaits/await-edges.js';
import { siblingGroups } from './sibling-groups.js';
import {
  FRAME_KINDS,
  SCHEMA_VERSION,
  type AwaitGraphDocument,
  type AwaitNode,
  type CaptureStats,
  type Execution,
  type ExecutionState,
  type SourceLocation,
  type StackFrame,
  type TargetInfo,
} from '../schema.js';

/** One call frame as V8 reports it: positions 0-based, `scriptId` as in Debugger.scriptParsed. */
export interface RawFrame {
  functionName: string;
  scriptId: string;
  /** The script's URL as the pause reported it, else as scriptParsed announced it (may be empty: then `scriptUrls` is asked). */
  url: string;
  lineNumber: number;
  columnNumber: number;
  /** Where the frame's function starts. */
  functionLocation?: { scriptId: string; lineNumber: number; columnNumber: number };
}

export interface RawSample {
  atMs: number;
  state: ExecutionState;
  frames?: RawFrame[];
  /** Per frame: the kind of async function it runs, if any (from the heap). */
  kinds?: (string | undefined)[];
}

/** The pause rounds of a capture, the running stack's frames already matched with nodes. */
export interface ExecutionInput {
  state: ExecutionState;
  pauseTimeoutMs: number;
  sampleIntervalMs: number;
  samples: RawSample[];
  stack?: RawFrame[];
  /** Per frame of `stack`: the id of the node it runs, if known. */
  stackNodeIds?: (number | undefined)[];
  /** Per frame of `stack`: the kind of async function it runs, if any. */
  stackKinds?: (string | undefined)[];
}

export interface DocumentInput {
  nodes: FoundNode[];
  /** scriptId → URL, from Debugger.scriptParsed. */
  scriptUrls: Map<string, string>;
  exact: Map<number, ExactPoint>;
  /** Suspension points inferred from the source (src/locations/infer-await.ts), for frames without an exact one. */
  inferred?: NodePoints;
  /** Source maps: every position is passed through it; a mapped one keeps the generated one too. */
  mapPosition?: PositionMapper;
  target: TargetInfo;
  capturedAt: Date;
  toolVersion: string;
  stats?: Omit<CaptureStats, 'exactLocations' | 'inferredLocations' | 'definitionLocations'>;
  /** The pause rounds (src/capture/running-stack.ts); becomes the document's `execution`. */
  execution?: ExecutionInput;
  /** What can settle the leaves and what keeps the loop alive (src/document/wakeup-document.ts). */
  wakeups?: WakeupInput;
  /** With --watch: the earlier looks of the same session (src/document/watch.ts). */
  watch?: WatchLook[];
}

/** Turns what the capture found into the versioned document every output format renders. */
export function buildDocument(input: DocumentInput): AwaitGraphDocument {
  const locator = sharedLocator(input);
  // Points inferred over this very node list are read by position.
  const inferredAt = input.inferred instanceof PointsByNode && input.inferred.nodes === input.nodes ? input.inferred : undefined;
  // Library work that settles a leaf without awaiting it hangs under that leaf (holder-links.ts);
  // positions are kept, so inferred points are still read by position.
  const found = input.wakeups ? linkHolderFrames(input.nodes, input.wakeups.wakeups.settlements) : input.nodes;
  const nodes = found
    .map((node, index) =>
      inferredAt
        ? toAwaitNode(node, input, locator, inferredAt.at(index), inferredAt.isCertainAt(index))
        : toAwaitNode(node, input, locator, input.inferred?.get(node.id), input.inferred?.isCertain?.(node.id) ?? false),
    )
    .sort(compareNodes);
  // Who awaits whom by position, once for the wake-up fields, cycles and sibling groups.
  const graph = awaitsByPosition(nodes);
  const wake =
    input.wakeups &&
    applyWakeups(nodes, input.wakeups, (raw) => locator(String(raw.scriptId), raw.line, raw.column)?.location ?? null, graph.position);
  const watch = input.watch && applyWatch(nodes, input.watch, input.capturedAt);
  const stats = input.stats && {
    ...input.stats,
    exactLocations: nodes.filter((node) => node.locationSource === 'exact').length,
    inferredLocations: nodes.filter((node) => node.locationSource === 'inferred').length,
    definitionLocations: nodes.filter((node) => node.locationSource === 'definition').length,
  };
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'asyncgraph', version: input.toolVersion },
    target: input.target,
    capturedAt: input.capturedAt.toISOString(),
    ...(input.execution ? { execution: toExecution(input.execution, input, idsPresent(nodes, input.execution.stackNodeIds ?? [])) } : {}),
    nodes,
    cycles: findCycles(nodes, graph),
    groups: siblingGroups(nodes, graph),
    ...(wake ? { keepAlive: wake.keepAlive, ...(wake.tcpSockets ? { tcpSockets: wake.tcpSockets } : {}) } : {}),
    ...(watch ? { watch } : {}),
    ...(stats ? { stats } : {}),
  };
}

/** `certain`: the inferred point is its function's only await (infer-await.ts), reported as exact. */
function toAwaitNode(found: FoundNode, input: DocumentInput, locate: Locator, inferredPoint: ExactPoint | undefined, certain: boolean): AwaitNode {
  let place: Placed | null = null;
  let locationSource: AwaitNode['locationSource'] = 'none';
  let state: string | undefined;
  const exact = input.exact.get(found.id);
  const inferred = exact ? undefined : inferredPoint;
  const point = exact ?? inferred;
  if (point && (place = locate.point(point))) {
    locationSource = exact || certain ? 'exact' : 'inferred';
    state = exact?.state;
  } else if (found.definition) {
    place = locate.definition(found.definition);
    if (place) locationSource = 'definition';
  }
  const location = place?.location ?? null;
  // Keys in one fixed order, so JSON output diffs cleanly between captures. (Assigned one by one:
  // a node is made hundreds of thousands of times, and spreads allocate.)
  const node = {
    id: found.id,
    kind: found.kind,
    name: found.kind === 'module' && location ? moduleName(location.url) : found.name,
  } as AwaitNode;
  if (found.qualifiedName) node.qualifiedName = found.qualifiedName;
  if (found.combinator) node.combinator = found.combinator;
  if (found.thenMethod) node.thenMethod = found.thenMethod;
  if (found.transpiled) node.transpiled = found.transpiled;
  if (found.viaHandler) node.viaHandler = true;
  if (found.linkedBy) node.linkedBy = found.linkedBy;
  if (state) node.state = state;
  if (location && isInternalUrl(location.url)) node.internal = true;
  node.location = location;
  if (place?.generated) node.generatedLocation = place.generated;
  node.locationSource = locationSource;
  // The found node is not used after this: its array can be the document's.
  node.awaitedBy = found.awaitedBy.length > 1 ? [...found.awaitedBy].sort((a, b) => a - b) : found.awaitedBy;
  return node;
}

interface Placed {
  location: SourceLocation;
  /** The position in the running code, when `location` came from a source map. */
  generated?: SourceLocation;
}

interface Locator {
  (scriptId: string, line: number, column: number): Placed | null;
  /** The same, for points and definitions shared by many nodes: looked up by the object first. */
  point(point: ExactPoint): Placed | null;
  definition(definition: NonNullable<FoundNode['definition']>): Placed | null;
}

/**
 * `locate` for many nodes: one Placed per distinct position, shared by every node there (thousands
 * of frames stuck at the same await get the same location object; nothing changes them).
 */
function sharedLocator(input: DocumentInput): Locator {
  const cache = new Map<string, Placed | null>();
  const byObject = new Map<object, Placed | null>();
  const locator = (scriptId: string, line: number, column: number) => {
    const key = `${scriptId}:${line}:${column}`;
    let place = cache.get(key);
    if (place === undefined) {
      place = locate(input, scriptId, line, column);
      cache.set(key, place);
    }
    return place;
  };
  const viaObject = (object: object, scriptId: string, line: number, column: number) => {
    let place = byObject.get(object);
    if (place === undefined) byObject.set(object, (place = locator(scriptId, line, column)));
    return place;
  };
  locator.point = (point: ExactPoint) => viaObject(point, point.scriptId, point.lineNumber, point.columnNumber);
  locator.definition = (definition: NonNullable<FoundNode['definition']>) =>
    viaObject(definition, String(definition.scriptId), definition.line, definition.column);
  return locator;
}

/** A 0-based script position as a 1-based location, through the source maps when one applies. */
function locate(input: DocumentInput, scriptId: string, line: number, column: number): Placed | null {
  const url = input.scriptUrls.get(scriptId);
  if (!url) return null;
  const generated = { url, line: line + 1, column: column + 1 };
  const original = input.mapPosition?.(scriptId, line, column);
  if (!original) return { location: generated };
  return { location: { url: original.url, line: original.line + 1, column: original.column + 1 }, generated };
}

/** Which of `ids` are ids of `nodes` (a few stack frames among hundreds of thousands of nodes). */
function idsPresent(nodes: readonly AwaitNode[], ids: readonly (number | undefined)[]): Set<number> {
  const wanted = new Set(ids.filter((id) => id !== undefined));
  const present = new Set<number>();
  if (wanted.size > 0) for (const node of nodes) if (wanted.has(node.id)) present.add(node.id);
  return present;
}

function toExecution(execution: ExecutionInput, input: DocumentInput, nodeIds: Set<number>): Execution {
  let stack: StackFrame[] | undefined;
  let runningNodeId: number | undefined;
  if (execution.stack) {
    stack = execution.stack.map((raw, i) => {
      const frame = withKind(toStackFrame(raw, input), execution.stackKinds?.[i]);
      const nodeId = execution.stackNodeIds?.[i];
      if (nodeId !== undefined && nodeIds.has(nodeId)) frame.nodeId = nodeId;
      return orderFrameKeys(frame);
    });
    runningNodeId = stack.find((frame) => frame.nodeId !== undefined)?.nodeId;
  }
  return {
    state: execution.state,
    ...(stack ? { stack } : {}),
    ...(runningNodeId !== undefined ? { runningNodeId } : {}),
    pauseTimeoutMs: execution.pauseTimeoutMs,
    ...(execution.samples.length > 1
      ? {
          samples: execution.samples.map((sample) => ({
            atMs: sample.atMs,
            state: sample.state,
            ...(sample.frames ? { stack: sample.frames.map((raw, i) => orderFrameKeys(withKind(toStackFrame(raw, input), sample.kinds?.[i]))) } : {}),
          })),
          sampleIntervalMs: execution.sampleIntervalMs,
        }
      : {}),
  };
}

function withKind(frame: StackFrame, kind: string | undefined): StackFrame {
  if (kind && FRAME_KINDS.has(kind)) frame.kind = kind as StackFrame['kind'];
  return frame;
}

function toStackFrame(raw: RawFrame, input: DocumentInput): StackFrame {
  const place = locate(raw.url ? { ...input, scriptUrls: withUrl(input.scriptUrls, raw) } : input, raw.scriptId, raw.lineNumber, raw.columnNumber);
  const at = raw.functionLocation;
  return {
    functionName: raw.functionName,
    location: place?.location ?? null,
    ...(place?.generated ? { generatedLocation: place.generated } : {}),
    locationSource: place ? 'exact' : 'none',
    ...(raw.functionName === '' && at && at.lineNumber === 0 && at.columnNumber === 0 ? { topLevel: true as const } : {}),
    ...(place && isInternalUrl(place.location.url) ? { internal: true as const } : {}),
  };
}

/** The frame's own URL wins over the table (they agree unless the table lacks the script). */
function withUrl(scriptUrls: Map<string, string>, raw: RawFrame): Map<string, string> {
  if (scriptUrls.get(raw.scriptId) === raw.url) return scriptUrls;
  return new Map(scriptUrls).set(raw.scriptId, raw.url);
}

/** Keys in one fixed order, as for nodes. */
function orderFrameKeys(frame: StackFrame): StackFrame {
  return {
    functionName: frame.functionName,
    location: frame.location,
    ...(frame.generatedLocation ? { generatedLocation: frame.generatedLocation } : {}),
    locationSource: frame.locationSource,
    ...(frame.kind ? { kind: frame.kind } : {}),
    ...(frame.nodeId !== undefined ? { nodeId: frame.nodeId } : {}),
    ...(frame.topLevel ? { topLevel: frame.topLevel } : {}),
    ...(frame.internal ? { internal: frame.internal } : {}),
  };
}

/** Node's own code: `node:internal/…`, `node:fs`… */
export function isInternalUrl(url: string): boolean {
  return url.startsWith('node:');
}

/** A module is named after its file: the last path segment of its URL. */
function moduleName(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || url;
}
