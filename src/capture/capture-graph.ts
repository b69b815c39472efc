import { createRequire } from 'node:module';
import { captureToDocument, targetInfo } from './capture-document.js';
import type { AwaitGraphDocument } from '../schema.js';
import { UsageError } from '../errors.js';
import { captureOnSession, type CaptureOptions } from './capture.js';
import { takeWatchLooks } from './watch.js';
import { DEFAULT_MAX_SNAPSHOT_MB } from '../session/guarded-session.js';
import { checkDebuggerUrl, checkUserAddress, isLoopbackHost, type RemotePolicy } from '../target/remote-policy.js';
import { withMemoryCheck, type MemoryCheckOptions, type MemoryLedger } from './snapshot-memory.js';
import { withTargetSession, type Endpoint, type SessionLifecycleOptions } from '../session/session-lifecycle.js';
import { DEFAULT_INSPECTOR_HOST, fetchInspectorTargets, fetchNodeVersion, isNodeProcess, parsePid, resolveTarget } from '../target/discover.js';
import { loopbackPortOwner, readProcessInfo } from '../target/proc.js';
import { refusePackageManager } from '../target/package-manager.js';

export const TOOL_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

// The defaults of CaptureGraphOptions, for every capture that takes them (captureGraph,
// captureProcess, captureTree, the in-process capture).
export const DEFAULT_LOCATION_BUDGET_MS = 1000;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 300_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_SNAPSHOT_BYTES = DEFAULT_MAX_SNAPSHOT_MB * 1024 * 1024;

/** Which process to look at: a pid (found or activated), a known inspector port, or its websocket URL. */
export type TargetSpec = { pid: number | string } | { port: number; host?: string } | { url: string };

export interface CaptureGraphOptions {
  /** Target main-thread time spent locating exact suspension points (default 1000 ms). */
  locationBudgetMs?: number;
  /** Bound on the heap snapshot (default 300 s). */
  snapshotTimeoutMs?: number;
  /** Bound on finding/opening the inspector and connecting (default 5 s). */
  connectTimeoutMs?: number;
  /** Refuse larger snapshots (default 2048 MB, DEFAULT_MAX_SNAPSHOT_MB), so the tool cannot exhaust its own memory. */
  maxSnapshotBytes?: number;
  onProgress?: (message: string) => void;
  /**
   * Stops the capture (SIGINT): work in flight is given up, what the capture did to the target is
   * undone within a short bound, and the capture rejects with the signal's reason (an
   * InterruptedError from the CLI).
   */
  signal?: AbortSignal;
  /** Leave an inspector that asyncgraph opened with SIGUSR1 open (default: close it again). */
  keepInspector?: boolean;
  /** Allow non-loopback inspector addresses (default: loopback only). */
  allowRemote?: boolean;
  /** Things the user should know that do not stop the capture (default: process.emitWarning). */
  onWarning?: (message: string) => void;
  /**
   * How long to wait for the pause that finds out whether the target runs JavaScript (default
   * 300 ms; 0: do not check). See src/capture/running-stack.ts.
   */
  pauseTimeoutMs?: number;
  /** Pause rounds, for a tiny sampling profile (default 1). */
  samples?: number;
  /** Start-to-start spacing of the pause rounds (default 100 ms). */
  sampleIntervalMs?: number;
  /** Tests only (CaptureOptions.holdPauseMs, fullPauseWait): hidden CLI options set them. */
  holdPauseMs?: number;
  fullPauseWait?: boolean;
  /**
   * `--watch`: take `looks` heap snapshots (the capture's own included) over `spanMs` in one
   * session, and mark the frames that did not move (src/capture/watch.ts).
   */
  watch?: { looks: number; spanMs: number };
  /**
   * How long to wait for another asyncgraph capturing the same process to finish (default 30 s;
   * 0: do not wait) before failing with exit 11 (src/session/capture-lock.ts).
   */
  waitForOtherMs?: number;
  /** How long to wait for the inspector that SIGUSR1 opens (default: connectTimeoutMs, 5 s). */
  activationTimeoutMs?: number;
  /**
   * Take the heap snapshot even when it would not fit in the target's memory (--force). By
   * default a capture whose snapshot would not fit is refused (NotEnoughMemoryError, exit 10).
   */
  force?: boolean;
  /** Shared by captures of processes that may share a cgroup (captureTree), so they are budgeted together. */
  memoryLedger?: MemoryLedger;
}

/**
 * @internal Not in the published types (stripInternal): CaptureOptions reaches the CDP types.
 * The per-session capture options, defaults applied: one place for both `captureGraph` and
 * `captureProcess` (main thread and workers), so an option cannot reach one and not the other.
 */
export function sessionCaptureOptions(options: CaptureGraphOptions): CaptureOptions {
  return {
    locationBudgetMs: options.locationBudgetMs ?? DEFAULT_LOCATION_BUDGET_MS,
    snapshotTimeoutMs: options.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS,
    maxSnapshotBytes: options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES,
    onProgress: options.onProgress,
    signal: options.signal,
    pauseTimeoutMs: options.pauseTimeoutMs,
    samples: options.samples,
    sampleIntervalMs: options.sampleIntervalMs,
    holdPauseMs: options.holdPauseMs,
    fullPauseWait: options.fullPauseWait,
  };
}

/** Attach, take one consistent picture of the target's awaits, detach (see docs/safety.md). */
export async function captureGraph(spec: TargetSpec, options: CaptureGraphOptions = {}): Promise<AwaitGraphDocument> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const maxSnapshotBytes = options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES;
  const onWarning = options.onWarning ?? defaultWarning;
  options.onProgress?.('finding the inspector');
  return withTargetSession(
    () => resolveEndpoint(spec, connectTimeoutMs, { allowRemote: options.allowRemote, onWarning }, options.activationTimeoutMs),
    async ({ endpoint, session }) => {
      // Before the first snapshot (a --watch look's, or the capture's own): would it fit?
      const { result, memory } = await withMemoryCheck(session, memoryCheckOptions(options, endpoint), async () => {
        const looks = options.watch
          ? await takeWatchLooks(session, { ...options.watch, snapshotTimeoutMs: options.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS, maxSnapshotBytes, signal: options.signal, onProgress: options.onProgress })
          : undefined;
        const capture = await captureOnSession(session, {
          ...sessionCaptureOptions(options),
          ...(endpoint.pid !== null ? { mainThreadOf: endpoint.pid } : {}),
        });
        return { looks, capture };
      });
      const { looks, capture } = result;
      return captureToDocument(capture, {
        target: targetInfo(endpoint.pid ?? inspectorOwner(endpoint.webSocketDebuggerUrl), endpoint.nodeVersion, endpoint.webSocketDebuggerUrl),
        toolVersion: TOOL_VERSION,
        locationBudgetMs: options.locationBudgetMs ?? DEFAULT_LOCATION_BUDGET_MS,
        ...(capture.processFacts ? { processFacts: capture.processFacts } : {}),
        ...(looks ? { watch: looks } : {}),
        ...(memory ? { memory } : {}),
      });
    },
    sessionLifecycleOptions(options, 'pid' in spec ? parsePid(spec.pid) : undefined),
  );
}

/**
 * @internal (the session's types reach the CDP types, which are not published)
 * How the session around a capture behaves, defaults applied: one place for `captureGraph` and
 * `captureProcess`. With `lockPid`, the capture holds that process's capture lock.
 */
export function sessionLifecycleOptions(options: CaptureGraphOptions, lockPid?: number): SessionLifecycleOptions {
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    signal: options.signal,
    keepInspector: options.keepInspector,
    maxSnapshotBytes: options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES,
    onWarning: options.onWarning ?? defaultWarning,
    onProgress: options.onProgress,
    ...(lockPid !== undefined ? { lockPid, waitForOtherMs: options.waitForOtherMs } : {}),
  };
}

/** @internal The memory check's options for the main thread of a capture's target. */
export function memoryCheckOptions(options: CaptureGraphOptions, endpoint: { pid: number | null; webSocketDebuggerUrl: string }): MemoryCheckOptions {
  let remote = false;
  try {
    remote = !isLoopbackHost(new URL(endpoint.webSocketDebuggerUrl).hostname);
  } catch {
    remote = false;
  }
  return {
    pid: endpoint.pid,
    what: endpoint.pid !== null ? `process ${endpoint.pid}` : 'the target',
    force: options.force,
    ledger: options.memoryLedger,
    signal: options.signal,
    remote,
    onProgress: options.onProgress,
  };
}

/**
 * --port/--url to an inspector on this machine: the Node.js process listening on its port, to name
 * it in the document (its pid and working directory). Only named: the capture does not act on a
 * pid it was not given (a proxy or another process may own the port); null when not found.
 */
export function inspectorOwner(webSocketDebuggerUrl: string): number | null {
  let url: URL;
  try {
    url = new URL(webSocketDebuggerUrl);
  } catch {
    return null;
  }
  if (!isLoopbackHost(url.hostname.replace(/^\[|\]$/g, '')) || !url.port) return null;
  const owner = loopbackPortOwner(Number(url.port));
  if (!owner) return null;
  try {
    return isNodeProcess(readProcessInfo(owner.pid)) ? owner.pid : null;
  } catch {
    return null;
  }
}

/** Library default for warnings: a process warning (the CLI prints `asyncgraph: warning: …`). */
export function defaultWarning(message: string): void {
  process.emitWarning(message, 'AsyncgraphWarning');
}

async function resolveEndpoint(spec: TargetSpec, timeoutMs: number, policy: RemotePolicy, activationTimeoutMs?: number): Promise<Endpoint> {
  if ('pid' in spec) {
    // `npm start`'s own process runs npm, not the program: named, not captured.
    refusePackageManager(parsePid(spec.pid));
    const target = await resolveTarget(spec.pid, { timeoutMs, activationTimeoutMs });
    const endpoint = {
      pid: target.pid,
      webSocketDebuggerUrl: target.webSocketDebuggerUrl,
      nodeVersion: target.nodeVersion,
      activated: target.activated,
      host: target.host,
      port: target.port,
    };
    checkDebuggerUrl(target.webSocketDebuggerUrl, `the inspector of process ${target.pid}`, policy);
    return endpoint;
  }
  if ('port' in spec) {
    const host = spec.host ?? DEFAULT_INSPECTOR_HOST;
    checkUserAddress(host, `the inspector at ${host}:${spec.port}`, policy);
    const targets = await fetchInspectorTargets(host, spec.port, timeoutMs);
    const first = targets.find((target) => target.webSocketDebuggerUrl);
    if (!first) throw new UsageError(`the inspector at ${host}:${spec.port} lists no debuggable target`);
    checkDebuggerUrl(first.webSocketDebuggerUrl, `the inspector at ${host}:${spec.port}`, policy, host);
    return { pid: null, webSocketDebuggerUrl: first.webSocketDebuggerUrl, nodeVersion: await fetchNodeVersion(host, spec.port) };
  }
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new UsageError(`invalid inspector URL: ${spec.url}`, 'expected ws://HOST:PORT/ID as printed by "Debugger listening on"');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`invalid inspector URL: ${spec.url}`, 'expected ws://HOST:PORT/ID as printed by "Debugger listening on"');
  }
  checkUserAddress(url.hostname, `the inspector at ${url.host}`, policy);
  const nodeVersion = await fetchNodeVersion(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80));
  return { pid: null, webSocketDebuggerUrl: spec.url, nodeVersion };
}
