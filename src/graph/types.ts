// The await graph as asyncgraph reports it. These types are the JSON schema (version 1):
// fields may be added within a version, never removed or changed in meaning.

export const SCHEMA_VERSION = 1;

export type AwaitNodeKind =
  | 'async-function'
  | 'async-generator'
  | 'module'
  | 'combinator'
  | 'then'
  | 'promise';

export type CombinatorKind = 'all' | 'allSettled' | 'any' | 'race';

/** How a `.then` step was attached. */
export type ThenMethod = 'then' | 'catch' | 'finally';

/**
 * - exact: the `await`/`yield` the frame is suspended at, read from V8 ([[GeneratorLocation]]);
 * - definition: where the function (or `.then` handler) is defined, when no exact lookup was made;
 * - none: nothing is known (bare promises, combinators).
 */
export type LocationSource = 'exact' | 'definition' | 'none';

/** A place in a script. `line` and `column` are 1-based. */
export interface SourceLocation {
  url: string;
  line: number;
  column: number;
}

export interface AwaitNode {
  /** The V8 heap object id: stable for the life of one inspector session. */
  id: number;
  kind: AwaitNodeKind;
  /** The function's own name (`poll`), the handler's for `then`, `Promise.all` for combinators. */
  name: string;
  /** The name with its receiver's class where known (`Poller.poll`). */
  qualifiedName?: string;
  combinator?: CombinatorKind;
  thenMethod?: ThenMethod;
  /** [[GeneratorState]] when an exact lookup was made: "suspended" or "running". */
  state?: string;
  /** Code of Node.js itself (`node:internal/…`). */
  internal?: boolean;
  location: SourceLocation | null;
  locationSource: LocationSource;
  /** Ids of the nodes that await this one. */
  awaitedBy: number[];
}

export interface TargetInfo {
  pid: number | null;
  nodeVersion: string | null;
  url: string;
}

export interface AwaitGraphDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'asyncgraph'; version: string };
  target: TargetInfo;
  /** ISO 8601 time the heap snapshot was requested. */
  capturedAt: string;
  nodes: AwaitNode[];
  /** Each await cycle as the ids along it, smallest id first. */
  cycles: number[][];
  /** How the capture went: sizes and what the location budget covered. */
  stats?: CaptureStats;
}

export interface CaptureStats {
  snapshotBytes: number;
  heapNodes: number;
  exactLocations: number;
  definitionLocations: number;
  locationBudgetMs: number;
  locationLookupMs: number;
}
