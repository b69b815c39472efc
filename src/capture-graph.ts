import { createRequire } from 'node:module';
import { buildDocument } from './graph/document.js';
import type { AwaitGraphDocument } from './graph/types.js';
import { TargetExitedError, UsageError } from './errors.js';
import { processExists } from './inspector/proc.js';
import { captureOnSession } from './inspector/capture.js';
import { connectCdp } from './inspector/cdp-session.js';
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
  /** Refuse larger snapshots (default 4 GiB). */
  maxSnapshotBytes?: number;
  onProgress?: (message: string) => void;
}

interface Endpoint {
  pid: number | null;
  webSocketDebuggerUrl: string;
  nodeVersion?: string;
}

/** Attach, take one consistent picture of the target's awaits, detach. */
export async function captureGraph(spec: TargetSpec, options: CaptureGraphOptions = {}): Promise<AwaitGraphDocument> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  options.onProgress?.('finding the inspector');
  const endpoint = await resolveEndpoint(spec, connectTimeoutMs);
  options.onProgress?.('connecting');
  const session = await connectCdp(endpoint.webSocketDebuggerUrl, { timeoutMs: connectTimeoutMs, commandTimeoutMs: 30_000 });
  let capture;
  try {
    capture = await captureOnSession(session, {
      locationBudgetMs: options.locationBudgetMs ?? 1000,
      snapshotTimeoutMs: options.snapshotTimeoutMs ?? 300_000,
      maxSnapshotBytes: options.maxSnapshotBytes ?? 4 * 1024 ** 3,
      onProgress: options.onProgress,
    });
  } catch (error) {
    if (error instanceof TargetExitedError && endpoint.pid !== null && !processExists(endpoint.pid)) {
      throw new TargetExitedError(`process ${endpoint.pid} exited during the capture`);
    }
    throw error;
  } finally {
    await session.close();
  }
  const scriptUrls = new Map([...capture.scripts].map(([id, script]) => [id, script.url]));
  return buildDocument({
    nodes: capture.nodes,
    scriptUrls,
    exact: capture.exact,
    target: { pid: endpoint.pid, nodeVersion: endpoint.nodeVersion ?? null, url: endpoint.webSocketDebuggerUrl },
    capturedAt: capture.capturedAt,
    toolVersion: TOOL_VERSION,
    stats: {
      snapshotBytes: capture.snapshotBytes,
      heapNodes: capture.heapNodes,
      locationBudgetMs: options.locationBudgetMs ?? 1000,
      locationLookupMs: Math.round(capture.locationLookupMs),
    },
  });
}

async function resolveEndpoint(spec: TargetSpec, timeoutMs: number): Promise<Endpoint> {
  if ('pid' in spec) {
    const target = await resolveTarget(spec.pid, { timeoutMs });
    return { pid: target.pid, webSocketDebuggerUrl: target.webSocketDebuggerUrl, nodeVersion: target.nodeVersion };
  }
  if ('port' in spec) {
    const host = spec.host ?? DEFAULT_INSPECTOR_HOST;
    const targets = await fetchInspectorTargets(host, spec.port, timeoutMs);
    const first = targets.find((target) => target.webSocketDebuggerUrl);
    if (!first) throw new UsageError(`the inspector at ${host}:${spec.port} lists no debuggable target`);
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
  const nodeVersion = await fetchNodeVersion(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80));
  return { pid: null, webSocketDebuggerUrl: spec.url, nodeVersion };
}
