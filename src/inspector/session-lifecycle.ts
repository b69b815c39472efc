// One inspector session around a capture, from finding the target to leaving it as found:
//
//   resolve → connect → guard (guarded-session.ts) → use → [close the inspector we opened] → disconnect
//
// Every step is bounded, and an AbortSignal (SIGINT) may stop any of them: work in flight fails at
// once, the capture's own cleanup (resume, release the object group, disable the domains, detach
// workers) gets a short bound, then the inspector is closed if asyncgraph opened it, then the
// session. Errors are turned into what the user should hear: "interrupted", "snapshot too large",
// or "the process exited during the capture" when it did, whatever the protocol said.

import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError, TargetExitedError } from '../errors.js';
import { connectCdp, type CdpSession } from './cdp-session.js';
import { closeInspectorWeOpened, type CloseResult } from './close-inspector.js';
import {
  asSnapshotTooLarge,
  DEFAULT_CLEANUP_MS,
  guardSession,
  interruptionOf,
  type GuardedSession,
} from './guarded-session.js';
import { processExists } from './proc.js';

/** Where a capture connects, and whether asyncgraph opened that inspector itself. */
export interface Endpoint {
  /** The target's pid, when known (not for --port/--url). */
  pid: number | null;
  webSocketDebuggerUrl: string;
  nodeVersion?: string;
  /** True if asyncgraph opened this inspector with SIGUSR1 (then it closes it again). */
  activated?: boolean;
  /** Where the inspector listens (for the check that it closed). */
  host?: string;
  port?: number;
}

export interface SessionLifecycleOptions {
  connectTimeoutMs: number;
  /** Bound on each command that does not bring its own. */
  commandTimeoutMs?: number;
  signal?: AbortSignal;
  /** Leave an inspector asyncgraph opened open (--keep-inspector). */
  keepInspector?: boolean;
  maxSnapshotBytes?: number;
  /** After a stop, the total time for undoing the capture and closing the inspector. */
  cleanupMs?: number;
  onWarning?: (message: string) => void;
  onProgress?: (message: string) => void;
}

export interface SessionContext<E extends Endpoint> {
  endpoint: E;
  /** The guarded main session. */
  session: GuardedSession;
  /** Guards another session (a worker thread's) with the same signal and limits. */
  guard(session: CdpSession): GuardedSession;
}

/** How long closing the inspector (the call, then the check that the port closed) may take normally. */
const CLOSE_TIMEOUT_MS = 3000;

/** The promise, or a rejection with the signal's interruption as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(interruptionOf(signal));
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interruptionOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** The promise's value if it settles within `ms`, else undefined. Never rejects. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = sleep(Math.max(0, ms), undefined, { ref: false });
  return Promise.race([promise.catch(() => undefined), timeout]);
}

export async function withTargetSession<E extends Endpoint, T>(
  resolve: () => Promise<E>,
  use: (context: SessionContext<E>) => Promise<T>,
  options: SessionLifecycleOptions,
): Promise<T> {
  const { signal } = options;
  const cleanupMs = options.cleanupMs ?? DEFAULT_CLEANUP_MS;
  if (signal?.aborted) throw interruptionOf(signal);

  // 1. Find (or open) the inspector. Interrupted meanwhile: if that opened it, close it again.
  const resolving = resolve();
  let endpoint: E;
  try {
    endpoint = await raceAbort(resolving, signal);
  } catch (error) {
    if (signal?.aborted) {
      const deadline = Date.now() + cleanupMs;
      const late = await within(resolving, cleanupMs);
      if (late?.activated && !options.keepInspector) await closeLate(late, deadline, options);
    }
    throw error;
  }

  // 2. Connect.
  options.onProgress?.('connecting');
  const connecting = connectCdp(endpoint.webSocketDebuggerUrl, {
    timeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
  });
  let raw: CdpSession;
  try {
    raw = await raceAbort(connecting, signal);
  } catch (error) {
    if (signal?.aborted) {
      const deadline = Date.now() + cleanupMs;
      const late = await within(connecting, cleanupMs);
      if (late) await leave(late, endpoint, Math.max(0, deadline - Date.now()), options);
      else warnStillOpen(endpoint, 'interrupted before it could connect to close it', options);
    } else {
      warnStillOpen(endpoint, 'could not connect to close it', options);
    }
    throw await mapError(error, endpoint, undefined, options);
  }

  // 3. Use it, guarded; 4. leave.
  const guard = (session: CdpSession) =>
    guardSession(session, { signal, maxSnapshotBytes: options.maxSnapshotBytes, cleanupMs });
  const session = guard(raw);
  watchForExit(raw, session, endpoint);
  let result: T | undefined;
  let failure: unknown;
  let failed = false;
  try {
    result = await use({ endpoint, session, guard });
    if (session.stopReason) throw session.stopReason;
  } catch (error) {
    failed = true;
    failure = await mapError(error, endpoint, session, options);
  }
  const interrupted = failed && failure instanceof InterruptedError;
  const closing = await leave(raw, endpoint, session.stopReason ? session.cleanupRemainingMs() : CLOSE_TIMEOUT_MS, options, interrupted);
  if (!failed) return result as T;
  if (interrupted && closing && !closing.closed && closing.queued) {
    // Interrupted while the target is busy (a snapshot): the close call waits in its queue.
    const stop = failure as InterruptedError;
    throw new InterruptedError(stop.message, stop.exitCode, `the inspector it opened (port ${endpoint.port}) closes once the target finishes what it is doing: the request is queued`);
  }
  throw failure;
}

/**
 * A target that exits (process.exit, end of its event loop) while we are attached waits —
 * "Waiting for the debugger to disconnect..." — until every session is gone, and answers nothing
 * meanwhile. Node tells sessions that ask for it (NodeRuntime.notifyWhenWaitingForDisconnect): we
 * ask, and when it comes we stop and disconnect at once, so the target can finish exiting.
 */
function watchForExit(raw: CdpSession, session: GuardedSession, endpoint: Endpoint): void {
  const events = raw as unknown as { on(event: 'NodeRuntime.waitingForDisconnect', listener: () => void): void };
  events.on('NodeRuntime.waitingForDisconnect', () => {
    session.stop(new TargetExitedError(endpoint.pid !== null ? `process ${endpoint.pid} exited during the capture` : 'the target exited during the capture'));
    void raw.close();
  });
  const commands = raw as unknown as { send(method: string, params: object, timeoutMs: number): Promise<unknown> };
  // Not every inspector has the NodeRuntime domain (old Node, a worker): then nothing changes.
  commands.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }, 2000).catch(() => {});
}

/** What the user should hear about a failed capture. */
async function mapError(
  error: unknown,
  endpoint: Endpoint,
  session: GuardedSession | undefined,
  options: SessionLifecycleOptions,
): Promise<unknown> {
  if (options.signal?.aborted) return interruptionOf(options.signal);
  if (session?.stopReason) return session.stopReason;
  const tooLarge = asSnapshotTooLarge(error, options.maxSnapshotBytes);
  if (tooLarge) return tooLarge;
  // The process went away: whatever the protocol said last ("Cannot find context with specified
  // id", a closed socket, a timeout), that is the reason. A killed process closes its sockets
  // before /proc shows it dead (the kernel releases its files, then its memory, then makes it a
  // zombie), so a closed connection gets a short wait for the process to finish dying.
  if (endpoint.pid !== null) {
    const graceMs = error instanceof TargetExitedError ? EXIT_GRACE_MS : 0;
    if (!(await processAliveAfter(endpoint.pid, graceMs))) {
      return new TargetExitedError(`process ${endpoint.pid} exited during the capture`);
    }
  }
  return error;
}

const EXIT_GRACE_MS = 1500;

/** False as soon as the process is gone, polling for up to `graceMs`. */
async function processAliveAfter(pid: number, graceMs: number): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    if (!processExists(pid)) return false;
    if (Date.now() >= deadline) return true;
    await sleep(20);
  }
}

/**
 * Last step: close the inspector if we opened it (the one call into the target), then disconnect.
 * Says (onWarning) when it stays open — except a close left queued while interrupting, which the
 * caller reports with the interruption (`quietQueued`).
 */
async function leave(
  raw: CdpSession,
  endpoint: Endpoint,
  closeBudgetMs: number,
  options: SessionLifecycleOptions,
  quietQueued = false,
): Promise<CloseResult | undefined> {
  try {
    if (endpoint.activated && !options.keepInspector && endpoint.pid !== null && endpoint.port !== undefined) {
      options.onProgress?.('closing the inspector it opened');
      const result = await closeInspectorWeOpened(
        raw,
        { pid: endpoint.pid, host: endpoint.host ?? '127.0.0.1', port: endpoint.port },
        closeBudgetMs,
      );
      if (!result.closed && !(quietQueued && result.queued)) warnStillOpen(endpoint, result.reason, options);
      return result;
    }
    return undefined;
  } finally {
    await raw.close();
  }
}

/** Interrupted while opening the inspector: connect just to close it, within what is left. */
async function closeLate(endpoint: Endpoint, deadline: number, options: SessionLifecycleOptions): Promise<void> {
  const left = deadline - Date.now();
  const connecting = connectCdp(endpoint.webSocketDebuggerUrl, { timeoutMs: Math.max(1, left), commandTimeoutMs: Math.max(1, left) });
  const raw = await within(connecting, left);
  if (!raw) {
    warnStillOpen(endpoint, 'interrupted before it could connect to close it', options);
    return;
  }
  await leave(raw, endpoint, Math.max(0, deadline - Date.now()), options);
}

function warnStillOpen(endpoint: Endpoint, reason: string, options: SessionLifecycleOptions): void {
  if (!endpoint.activated || options.keepInspector || endpoint.pid === null) return;
  const where = endpoint.port !== undefined ? ` on ${endpoint.host ?? '127.0.0.1'}:${endpoint.port}` : '';
  options.onWarning?.(
    `the inspector asyncgraph opened in process ${endpoint.pid}${where} is still open (${reason}); ` +
      'any local user who can reach it can run code in that process: restart it, or close it from a debugger',
  );
}
