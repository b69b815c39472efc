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

/**
 * The helper that runs an async function compiled to a generator: `__awaiter` (TypeScript's, inline
 * or from tslib, and esbuild's `__async`, built the same way), `__generator` when the generator is
 * itself compiled to an ES5 state machine (tslib's `__generator`, run by `__awaiter`), or Babel's
 * `asyncToGenerator`; `generator` for another helper of the same shape.
 */
export type TranspiledHelper = '__awaiter' | '__generator' | 'asyncToGenerator' | 'generator';

/** How a `.then` step was attached. */
export type ThenMethod = 'then' | 'catch' | 'finally';

/**
 * - exact: the `await`/`yield` the frame is suspended at: read from V8 ([[GeneratorLocation]]), or
 *   the only `await` of an async function (it can be suspended nowhere else) when no lookup was
 *   made for it, unless the frame was on the stack the pause round caught;
 * - inferred: no exact lookup was made (the location budget ran out), and the `await`/`yield` was
 *   inferred: from the function's source (its only one, or the one calling what the frame awaits),
 *   or where V8 placed the function's other frames awaiting the same kinds of things;
 * - definition: where the function (or `.then` handler) is defined, when no exact lookup was made
 *   and inference found no single candidate;
 * - none: nothing is known (bare promises, combinators).
 */
export type LocationSource = 'exact' | 'inferred' | 'definition' | 'none';

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
  /**
   * On `async-function` nodes: the function was compiled to a generator (TypeScript for ES2015/2016,
   * Babel, esbuild) and runs through this helper; `location` is its `yield` (mapped to the source's
   * `await` when a source map applies).
   */
  transpiled?: TranspiledHelper;
  /**
   * On `then` nodes: the step's handler settles the promise of the node that awaits it (its closure
   * holds that promise's resolve function: `p.then((v) => { cleanup(); resolve(v); })`).
   */
  viaHandler?: true;
  /**
   * On a frame that no one awaits but whose locals hold the resolve function of the promise in its
   * `awaitedBy` (undici's mainFetch holds the caller's fetch promise in `fetchParams`): it is the
   * work that will settle that promise, drawn under it.
   */
  linkedBy?: 'holder';
  /** [[GeneratorState]] when an exact lookup was made: "suspended" or "running". */
  state?: string;
  /** Code of Node.js itself (`node:internal/…`). */
  internal?: boolean;
  location: SourceLocation | null;
  /**
   * Where `location` is in the code that runs, when `location` was mapped through a source map
   * to the original source (a `.ts` file…). Absent when no map applied.
   */
  generatedLocation?: SourceLocation;
  locationSource: LocationSource;
  /** Ids of the nodes that await this one. */
  awaitedBy: number[];
  /** Set by `--depth`: this node awaits something that was cut off below it. */
  truncated?: true;
  /** On `promise` leaves: what can settle it, or why nothing can (see Settlement). */
  settlement?: Settlement;
  /**
   * Proven never to settle: a leaf whose settlement is `never`, or a node that waits only on
   * such nodes, or an await cycle nothing outside can break (docs/json-schema.md: "Never settles").
   */
  neverSettles?: true;
  /**
   * With `--watch`: the frame was suspended at the same `await` (same generator object, same
   * location) in every look, which spanned this many milliseconds: it has waited at least this long.
   */
  stuckMs?: number;
}

/**
 * Siblings (nodes awaited by the same node, or roots) whose whole subtrees are identical: the same
 * functions at the same locations, in the same shape. Only subtrees that are plain trees (every
 * node in them awaited from one place, no cycle) are grouped. The tree prints such a group once,
 * with `× count`.
 */
export interface SiblingGroup {
  /** 1-based, in the order the tree prints the groups. */
  id: number;
  /** The node the members are awaited by; null for roots. */
  awaiter: number | null;
  /** Ids of the members' top nodes, ascending; at least two. */
  members: number[];
}

/** The view options that shaped a document (nodes left out); absent when nothing was filtered. */
export interface DocumentFilter {
  /** `--no-internals`: Node's own frames removed, edges through them kept. */
  noInternals?: true;
  /** `--filter`: only paths through nodes whose name or location contains this text. */
  text?: string;
  /** `--depth`: only this many levels from the roots. */
  depth?: number;
  /** Nodes of the capture left out. */
  hiddenNodes: number;
  /** `--filter`: how many nodes' name or location contains the text (0: nothing matched). */
  matched?: number;
  /** What the capture holds before the filters, for "N of M shown" (absent in documents of older versions). */
  captured?: ViewCounts;
}

/** Counts a view's header shows. */
export interface ViewCounts {
  nodes: number;
  /** Suspended async functions, async generators and modules (not those running on the stack). */
  suspendedFrames: number;
  pendingPromises: number;
}

export interface TargetInfo {
  /**
   * The process. With --port/--url: the Node.js process of this machine listening on the port
   * (named only), null when there is none asyncgraph can see (a remote or containerised target).
   */
  pid: number | null;
  nodeVersion: string | null;
  url: string;
  /** The process's working directory (/proc/PID/cwd), when read: the views show paths under it relative to it. */
  cwd?: string;
}

export interface AwaitGraphDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'asyncgraph'; version: string };
  target: TargetInfo;
  /** ISO 8601 time the heap snapshot was requested. */
  capturedAt: string;
  /** Whether the main thread was running JavaScript, and its stack if so (absent: not checked). */
  execution?: Execution;
  nodes: AwaitNode[];
  /** Each await cycle as the ids along it, smallest id first. */
  cycles: number[][];
  /** Identical sibling subtrees (see SiblingGroup); absent in documents of older versions. */
  groups?: SiblingGroup[];
  /** Present when `--depth`, `--filter` or `--no-internals` removed nodes from this document. */
  filter?: DocumentFilter;
  /** What keeps the event loop alive (timers, servers, sockets, child processes…), from the heap. */
  keepAlive?: KeepAliveHandle[];
  /** The target's TCP sockets as the kernel lists them (/proc), when asyncgraph could read them. */
  tcpSockets?: TcpSocket[];
  /** With `--watch`: how the looks went. */
  watch?: WatchInfo;
  /** How the capture went: sizes and what the location budget covered. */
  stats?: CaptureStats;
  /**
   * Optional steps that failed or ran out of time (a location lookup, script sources, a source
   * map, the pause round), each said once: the part of the answer they serve is less precise.
   */
  notes?: string[];
  /** What the capture cost the target's memory, and the check made before its snapshot (docs/safety.md). */
  memory?: CaptureMemory;
}

/**
 * The memory check before the heap snapshot, and the target's RSS around the capture. RSS is the
 * whole process's (for a worker thread's document too).
 */
export interface CaptureMemory {
  /** The thread's V8 heap in use before the snapshot (Runtime.getHeapUsage); absent if it did not answer (RSS stood in). */
  heapUsedBytes?: number;
  /** The extra memory the snapshot was estimated to need in the target (the model in docs/safety.md). */
  estimatedBytes: number;
  /** What the target could still allocate before the snapshot: its cgroup's room or the machine's available memory, the smaller. Absent when unknown. */
  headroomBytes?: number;
  /** Which of the two bounded it. */
  limitedBy?: 'cgroup' | 'machine';
  /** The cgroup (the target's own or an ancestor) with the least room under its memory limit, when one is limited. */
  cgroup?: { version: 1 | 2; path: string; limitBytes: number; usageBytes: number };
  /** It did not fit, and `--force` took the snapshot anyway. */
  forced?: true;
  /** The process's RSS just before the capture (VmRSS). */
  rssBeforeBytes?: number;
  /** Its highest RSS during the capture (VmHWM), when that rose above every earlier peak of the process. */
  rssPeakBytes?: number;
  /** Its RSS right after the capture: glibc keeps much of the snapshot's freed memory. */
  rssAfterBytes?: number;
}

export interface CaptureStats {
  snapshotBytes: number;
  heapNodes: number;
  exactLocations: number;
  /** Frames located by inference from their source (see LocationSource). */
  inferredLocations?: number;
  definitionLocations: number;
  locationBudgetMs: number;
  locationLookupMs: number;
  /** How many exact lookups those were (absent in documents from before it was counted). */
  locationLookups?: number;
  /** How long the heap snapshot took, request to answer: the target's thread does nothing else meanwhile. */
  snapshotMs?: number;
}

/**
 * What the thread was doing when asked to pause, just before the heap snapshot:
 * - running: running JavaScript (it paused, and was resumed at once);
 * - idle: waiting in the event loop (it answered and did not pause);
 * - blocked: it did not answer within the pause timeout (a synchronous native call such as
 *   execSync or Atomics.wait, a long garbage collection, or a long builtin call);
 * - paused: already stopped in another debugger (a breakpoint) when asyncgraph attached; left so.
 */
export type ExecutionState = 'running' | 'idle' | 'blocked' | 'paused';

/** One frame of a synchronous call stack. */
export interface StackFrame {
  /** V8's name of the function; empty for anonymous functions and a script's top level. */
  functionName: string;
  /** Where the frame is executing (the call into the frame above it, or the busy statement). */
  location: SourceLocation | null;
  /** Where `location` is in the code that runs, when it was mapped through a source map. */
  generatedLocation?: SourceLocation;
  /** `exact` for a frame's position. */
  locationSource: LocationSource;
  /** The frame runs the body of an async function, async generator or module (per the heap). */
  kind?: 'async-function' | 'async-generator' | 'module';
  /** The node in `nodes` of this frame's running generator, where it is known. */
  nodeId?: number;
  /** The top level of a script or module (a CommonJS module body, for one). */
  topLevel?: true;
  /** Code of Node.js itself. */
  internal?: true;
}

export interface ExecutionSample {
  /** Milliseconds from the first pause request. */
  atMs: number;
  state: ExecutionState;
  /** Innermost frame first; only when running. */
  stack?: StackFrame[];
}

export interface Execution {
  /** `paused` if so; else `running` when any round found JavaScript running; else `blocked` if any round got no answer; else `idle`. */
  state: ExecutionState;
  /** The synchronous call stack, innermost (the busy frame) first, of the latest running round (or of the other debugger's pause). */
  stack?: StackFrame[];
  /** The innermost async function on `stack`: its node, state "running", is where the stack joins the graph. */
  runningNodeId?: number;
  /** How long each pause round waited. */
  pauseTimeoutMs: number;
  /** Every round, when more than one was taken (`--samples N`). */
  samples?: ExecutionSample[];
  /** Start-to-start spacing of the rounds, with `samples`. */
  sampleIntervalMs?: number;
}

// ------------------------------------------------------------------------------------------------
// What will wake it up (src/wakeups/wakers.ts, src/wakeups/keep-alive.ts)

/**
 * - can-settle: something alive can settle the promise; `wakers` says what;
 * - never: nothing can: no resolving function of it is alive and nothing native holds it;
 * - unknown: neither could be shown (e.g. no resolving function, but a native root or a queued
 *   job holds the promise).
 */
export type SettleVerdict = 'can-settle' | 'never' | 'unknown';

export interface Settlement {
  verdict: SettleVerdict;
  /** Why, in one line. */
  reason: string;
  /** What can settle it, most specific first (a resource before a variable); [] unless can-settle. */
  wakers: Waker[];
}

export type WakerKind =
  | ResourceKind
  | 'event-listener'
  | 'abort-signal'
  | 'variable'
  | 'global'
  | 'frame'
  | 'promise-reaction'
  | 'microtask'
  | 'native'
  | 'holder';

/** One thing that can settle a leaf: what holds its resolve/reject function, or the native request holding it. */
export interface Waker {
  kind: WakerKind;
  /** One line for people: `timer 1h`, `'data' listener on TCP socket`, `held in pool.waiters[0]`. */
  description: string;
  /** How the resolving function is held, in source terms: `pool.waiters[0]`, `jobs.get('job-1').resolve`. */
  path?: string;
  /** Heap id of the resource (Timeout, Socket, emitter…): the `id` of its keepAlive entry. */
  resourceId?: number;
  /** The user function on the way (a timer callback, a listener), where it is defined. */
  location?: SourceLocation;
  /** The script whose top-level variable `path` starts at. */
  scope?: string;
  timer?: TimerInfo;
  /** For listeners: the emitter's class (or resource) and the event. */
  event?: { target: string; name: string };
  /** Child processes. */
  pid?: number;
  command?: string;
  /** Sockets and servers, where known. */
  localAddress?: string;
  remoteAddress?: string;
}

export interface TimerInfo {
  delayMs: number;
  /** setInterval. */
  repeat: boolean;
  /**
   * Time left before it fires, estimated from the target's start time (/proc): the timer's
   * `_idleStart` is event-loop time. Absent when not known (worker threads, --port/--url targets).
   */
  remainingMs?: number;
  /** false after unref(). */
  refed?: boolean;
  /** Cleared (or fired): it will not fire. */
  destroyed?: true;
}

/** The libuv handles and requests (and armed timers) asyncgraph recognises in a heap. */
export type ResourceKind =
  | 'timer'
  | 'immediate'
  | 'socket'
  | 'server'
  | 'child-process'
  | 'fs-request'
  | 'fs-watcher'
  | 'request'
  | 'worker'
  | 'message-port'
  | 'signal';

export type KeepAliveKind = ResourceKind;

/** A libuv handle or request (or an armed timer) found in the heap. */
export interface KeepAliveHandle {
  /** Heap id of its JavaScript object (the Timeout, the net.Socket…). */
  id: number;
  kind: KeepAliveKind;
  /** The constructor: Timeout, Socket, Server, ChildProcess, FSReqPromise… */
  className: string;
  description: string;
  /** listening, reading, not reading, connecting, running, armed, in flight… */
  state: string;
  /** Whether it keeps the loop alive as far as the heap tells (a socket that does not read does not). */
  active: boolean;
  /** Known only for timers, immediates and servers. */
  refed?: boolean;
  /** The callback (timers, immediates), where it is defined. */
  location?: SourceLocation;
  /** The callback is Node's own code. */
  internal?: true;
  timer?: TimerInfo;
  pid?: number;
  command?: string;
  localAddress?: string;
  remoteAddress?: string;
  /** Ids of the leaves (`promise` nodes) it can settle. */
  wakes: number[];
}

/** A TCP socket of the target process, from /proc/PID/net/tcp{,6}. */
export interface TcpSocket {
  localAddress: string;
  /** Absent for listening sockets. */
  remoteAddress?: string;
  /** LISTEN, ESTABLISHED, SYN_SENT, CLOSE_WAIT… */
  state: string;
  /** The inspector's own socket (its listening port, or asyncgraph's connection). */
  inspector?: true;
  /** The keepAlive entry it was matched to, when the match is unambiguous. */
  handleId?: number;
}

export interface WatchInfo {
  /** Heap snapshots taken, in one inspector session. */
  looks: number;
  /** From the first look to the last, in ms. */
  spanMs: number;
  /** ISO time of each look. */
  lookedAt: string[];
  /** How long each snapshot stalled the target (ms), per look. */
  snapshotMs: number[];
}

/** Kinds of node that are suspended frames (not steps, combinators or promises). */
export const FRAME_KINDS: ReadonlySet<string> = new Set(['async-function', 'async-generator', 'module']);
