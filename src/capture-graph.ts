import { createRequire } from 'node:module';
import { captureToDocument } from './capture-document.js';
import type { AwaitGraphDocument } from './graph/types.js';
import { UsageError } from './errors.js';
import { captureOnSession, type CaptureOptions } from './inspector/capture.js';
import { readProcessFacts } from './inspector/proc-facts.js';
import { takeWatchLooks } from './inspector/watch.js';
import { DEFAULT_MAX_SNAPSHOT_MB } from './inspector/guarded-session.js';
import { checkDebuggerUrl, checkUserAddress, type RemotePolicy } from './inspector/remote-policy.js';
import { withTargetSession, type Endpoint } from './inspector/session-lifecycle.js';
import { DEFAULT_INSPECTOR_HOST, fetchInspectorTargets, fetchNodeVersion, resolveTarget } from './inspector/discover.js';

export const TOOL_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

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
   * 300 ms; 0: do not check). See src/inspector/running-stack.ts.
   */
  pauseTimeoutMs?: number;
  /** Pause rounds, for a tiny sampling profile (default 1). */
  samples?: number;
  /** Start-to-start spacing of the pause rounds (default 100 ms). */
  sampleIntervalMs?: number;
  /**
   * `--watch`: take `looks` heap snapshots (the capture's own included) over `spanMs` in one
   * session, and mark the frames that did not move (src/inspector/watch.ts).
   */
  watch?: { looks: number; spanMs: number };
}

/**
 * @internal Not in the published types (stripInternal): CaptureOptions reaches the CDP types.
 * The per-session capture options, defaults applied: one place for both `captureGraph` and
 * `captureProcess` (main thread and workers), so an option cannot reach one and not the other.
 */
export function sessionCaptureOptions(options: CaptureGraphOptions): CaptureOptions {
  return {
    locationBudgetMs: options.locationBudgetMs ?? 1000,
    snapshotTimeoutMs: options.snapshotTimeoutMs ?? 300_000,
    maxSnapshotBytes: options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_MB * 1024 * 1024,
    onProgress: options.onProgress,
    signal: options.signal,
    pauseTimeoutMs: options.pauseTimeoutMs,
    samples: options.samples,
    sampleIntervalMs: options.sampleIntervalMs,
  };
}

/** Attach, take one consistent picture of the target's awaits, detach (see docs/safety.md). */
export async function captureGraph(spec: TargetSpec, options: CaptureGraphOptions = {}): Promise<AwaitGraphDocument> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const maxSnapshotBytes = options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_MB * 1024 * 1024;
  const onWarning = options.onWarning ?? defaultWarning;
  options.onProgress?.('finding the inspector');
  return withTargetSession(
    () => resolveEndpoint(spec, connectTimeoutMs, { allowRemote: options.allowRemote, onWarning }),
    async ({ endpoint, session }) => {
      const looks = options.watch
        ? await takeWatchLooks(session, { ...options.watch, snapshotTimeoutMs: options.snapshotTimeoutMs ?? 300_000, maxSnapshotBytes, signal: options.signal, onProgress: options.onProgress })
        : undefined;
      const capture = await captureOnSession(session, {
        ...sessionCaptureOptions(options),
        ...(endpoint.pid !== null ? { mainThreadOf: endpoint.pid } : {}),
      });
      return captureToDocument(capture, {
        target: { pid: endpoint.pid, nodeVersion: endpoint.nodeVersion ?? null, url: endpoint.webSocketDebuggerUrl },
        toolVersion: TOOL_VERSION,
        locationBudgetMs: options.locationBudgetMs ?? 1000,
        ...(endpoint.pid !== null ? { processFacts: readProcessFacts(endpoint.pid) } : {}),
        ...(looks ? { watch: looks } : {}),
      });
    },
    { connectTimeoutMs, signal: options.signal, keepInspector: options.keepInspector, maxSnapshotBytes, onWarning, onProgress: options.onProgress },
  );
}

/** Library default for warnings: a process warning (the CLI prints `asyncgraph: warning: …`). */
export function defaultWarning(message: string): void {
  process.emitWarning(message, 'AsyncgraphWarning');
}

async function resolveEndpoint(spec: TargetSpec, timeoutMs: number, policy: RemotePolicy): Promise<Endpoint> {
  if ('pid' in spec) {
    const target = await resolveTarget(spec.pid, { timeoutMs });
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
