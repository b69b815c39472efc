// One inspector session around a capture, from finding the target to leaving it as found:
//
//   lock (capture-lock.ts) → resolve → connect → guard (guarded-session.ts) → use →
//   [close the inspector we opened] → disconnect → unlock
//
// No way out leaves an inspector asyncgraph opened open without saying so: an activation that
// timed out watches for the late inspector to close it, a lost connection is re-made to close it,
// a second Ctrl-C closes it at once (closeOpenInspectorsNow), and every warning names
// `asyncgraph close-inspector PID` (closeInspectorOf).
//
// Every step is bounded, and an AbortSignal (SIGINT) may stop any of them: work in flight fails at
// once, the capture's own cleanup (resume, release the object group, disable the domains, detach
// workers) gets a short bound, then the inspector is closed if asyncgraph opened it, then the
// session. Errors are turned into what the user should hear: "interrupted", "snapshot too large",
// or "the process exited during the capture" when it did, whatever the protocol said.

import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncgraphError, InspectorUnavailableError, InterruptedError, TargetExitedError } from '../errors.js';
import { ActivationTimeoutError, findInspector, waitForLateInspector } from '../target/discover.js';
import { connectCdp, type CdpSession } from './cdp-session.js';
import { closeInspectorWeOpened, type CloseResult } from './close-inspector.js';
import {
  abortable,
  abortError,
  asSnapshotTooLarge,
  DEFAULT_CLEANUP_MS,
  guardSession,
  type GuardedSession,
} from './guarded-session.js';
import { processExists } from '../target/proc.js';
import { lockCapture, type CaptureLock } from './capture-lock.js';
import { formatSeconds } from '../units.js';

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
  /**
   * The target's pid when known before resolving (not for --port/--url): the capture then holds
   * its capture lock (capture-lock.ts) from before the inspector is found until after it is closed,
   * waiting up to `waitForOtherMs` (default 30 s) for another capture of it to end.
   */
  lockPid?: number;
  waitForOtherMs?: number;
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

/** The promise's value if it settles within `ms`, else undefined. Never rejects. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = sleep(Math.max(0, ms), undefined, { ref: false });
  return Promise.race([promise.catch(() => undefined), timeout]);
}

/** Default of --wait-for-other. */
export const DEFAULT_WAIT_FOR_OTHER_MS = 30_000;

export async function withTargetSession<E extends Endpoint, T>(
  resolve: () => Promise<E>,
  use: (context: SessionContext<E>) => Promise<T>,
  options: SessionLifecycleOptions,
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  // 0. One capture per target at a time; exiting, however, releases the lock too.
  const lock = options.lockPid !== undefined ? await lockTarget(options.lockPid, options) : null;
  try {
    return await sessionOf(resolve, use, options);
  } finally {
    lock?.release();
  }
}

/** The target's capture lock, waiting for another capture with a progress line. */
function lockTarget(
  pid: number,
  options: { waitForOtherMs?: number; signal?: AbortSignal; onProgress?: (message: string) => void },
): Promise<CaptureLock | null> {
  const { signal } = options;
  return lockCapture(pid, {
    waitMs: options.waitForOtherMs ?? DEFAULT_WAIT_FOR_OTHER_MS,
    signal,
    interrupted: () => abortError(signal!),
    onWaiting: (holder) =>
      options.onProgress?.(`waiting for another asyncgraph${holder !== null ? ` (pid ${holder})` : ''} capturing process ${pid} to finish`),
  });
}

async function sessionOf<E extends Endpoint, T>(
  resolve: () => Promise<E>,
  use: (context: SessionContext<E>) => Promise<T>,
  options: SessionLifecycleOptions,
): Promise<T> {
  const { signal } = options;
  const cleanupMs = options.cleanupMs ?? DEFAULT_CLEANUP_MS;
  if (signal?.aborted) throw abortError(signal);

  // 1. Find (or open) the inspector. Interrupted meanwhile: if that opened it, close it again.
  const resolving = resolve();
  let endpoint: E;
  try {
    endpoint = await abortable(resolving, signal);
  } catch (error) {
    if (signal?.aborted) {
      const deadline = Date.now() + cleanupMs;
      const late = await within(resolving, cleanupMs);
      if (late?.activated && !options.keepInspector) await closeLate(late, deadline, options);
    }
    if (error instanceof ActivationTimeoutError && !options.keepInspector) throw await closeLateInspector(error, options);
    throw error;
  }
  const tracked = track(endpoint, options);
  try {
    return await connectAndUse(endpoint, use, options, tracked);
  } finally {
    untrack(tracked);
  }
}

async function connectAndUse<E extends Endpoint, T>(
  endpoint: E,
  use: (context: SessionContext<E>) => Promise<T>,
  options: SessionLifecycleOptions,
  tracked: OpenInspector | undefined,
): Promise<T> {
  const { signal } = options;
  const cleanupMs = options.cleanupMs ?? DEFAULT_CLEANUP_MS;

  // 2. Connect.
  options.onProgress?.('connecting');
  const connecting = connectCdp(endpoint.webSocketDebuggerUrl, {
    timeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
  });
  let raw: CdpSession;
  try {
    raw = await abortable(connecting, signal);
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
  if (tracked) tracked.raw = raw;
  void raw.closed.then(() => disconnected.add(raw));
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
    closedByUs.add(raw);
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
  if (options.signal?.aborted) return abortError(options.signal);
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
  const deadline = Date.now() + closeBudgetMs;
  let again: CdpSession | undefined;
  try {
    if (endpoint.activated && !options.keepInspector && endpoint.pid !== null && endpoint.port !== undefined) {
      options.onProgress?.('closing the inspector it opened');
      let through = raw;
      // The connection was lost (not closed by us, the process alive): connect again to close it.
      if (disconnected.has(raw) && !closedByUs.has(raw) && processExists(endpoint.pid)) {
        options.onProgress?.('connecting again to close the inspector');
        again = await within(
          connectCdp(endpoint.webSocketDebuggerUrl, { timeoutMs: Math.max(1, closeBudgetMs), commandTimeoutMs: Math.max(1, closeBudgetMs) }),
          closeBudgetMs,
        );
        if (again) through = again;
      }
      const result = await closeInspectorWeOpened(
        through,
        { pid: endpoint.pid, host: endpoint.host ?? '127.0.0.1', port: endpoint.port },
        Math.max(0, deadline - Date.now()),
      );
      if (!result.closed && !(quietQueued && result.queued)) warnStillOpen(endpoint, result.reason, options);
      return result;
    }
    return undefined;
  } finally {
    closedByUs.add(raw);
    await raw.close();
    await again?.close();
  }
}

/** Sessions whose end was asyncgraph's doing (not a lost connection). */
const closedByUs = new WeakSet<CdpSession>();
/** Sessions whose connection is gone, whoever ended it. */
const disconnected = new WeakSet<CdpSession>();

/** An inspector asyncgraph opened and has not closed yet, for a second Ctrl-C (closeOpenInspectorsNow). */
interface OpenInspector {
  endpoint: Endpoint;
  options: SessionLifecycleOptions;
  /** The capture's own connection, once connected. */
  raw?: CdpSession;
}

const openInspectors = new Set<OpenInspector>();

function track(endpoint: Endpoint, options: SessionLifecycleOptions): OpenInspector | undefined {
  if (!endpoint.activated || options.keepInspector || endpoint.pid === null || endpoint.port === undefined) return undefined;
  const entry: OpenInspector = { endpoint, options };
  openInspectors.add(entry);
  return entry;
}

function untrack(entry: OpenInspector | undefined): void {
  if (entry) openInspectors.delete(entry);
}

/** How many inspectors asyncgraph opened are not closed yet. */
export function openInspectorCount(): number {
  return openInspectors.size;
}

/**
 * A second Ctrl-C: no more waiting for the capture's cleanup, but the inspectors asyncgraph opened
 * are closed first, within `boundMs` (through the capture's connection, or a new one), and the
 * ones that could not be are named (onWarning). The target resumes by itself when our session
 * goes (V8 ends a pause with its session).
 */
export async function closeOpenInspectorsNow(boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  await Promise.all(
    [...openInspectors].map(async (entry) => {
      const { endpoint, options } = entry;
      const inspector = { pid: endpoint.pid!, host: endpoint.host ?? '127.0.0.1', port: endpoint.port! };
      let result: CloseResult;
      if (entry.raw && !disconnected.has(entry.raw)) {
        result = await closeInspectorWeOpened(entry.raw, inspector, Math.max(1, deadline - Date.now()));
      } else {
        const raw = await within(connectCdp(endpoint.webSocketDebuggerUrl, { timeoutMs: Math.max(1, deadline - Date.now()), commandTimeoutMs: Math.max(1, deadline - Date.now()) }), deadline - Date.now());
        result = raw ? await closeInspectorWeOpened(raw, inspector, Math.max(1, deadline - Date.now())) : { closed: false, reason: 'could not connect to close it in time' };
        await raw?.close();
      }
      openInspectors.delete(entry);
      if (result.closed) return;
      if (result.queued) {
        const where = `${inspector.host}:${inspector.port}`;
        options.onWarning?.(
          `the inspector asyncgraph opened in process ${inspector.pid} on ${where} stays open until the target finishes what it is doing (a heap snapshot): ` +
            `the close request is queued there; should it stay open, close it with \`asyncgraph close-inspector ${inspector.pid}\``,
        );
      } else {
        warnStillOpen(endpoint, result.reason, options);
      }
    }),
  );
}

/** Interrupted while opening the inspector: connect just to close it, within what is left. */
async function closeLate(endpoint: Endpoint, deadline: number, options: SessionLifecycleOptions, reason = 'interrupted before it could connect to close it'): Promise<CloseResult | undefined> {
  const left = deadline - Date.now();
  const connecting = connectCdp(endpoint.webSocketDebuggerUrl, { timeoutMs: Math.max(1, left), commandTimeoutMs: Math.max(1, left) });
  const raw = await within(connecting, left);
  if (!raw) {
    warnStillOpen(endpoint, reason, options);
    return { closed: false, reason };
  }
  return leave(raw, endpoint, Math.max(0, deadline - Date.now()), options);
}

/**
 * How long, after an activation timed out, asyncgraph keeps watching for the inspector its
 * SIGUSR1 will still open (a main thread blocked in native code opens it when it returns), to
 * close it again rather than leave it open behind us.
 */
export const LATE_INSPECTOR_WATCH_MS = 30_000;

/**
 * The activation timed out: watch (bounded, interruptible) for the late inspector and close it.
 * Returns the error to report: the timeout, saying whether the late inspector was closed, or
 * where it will open and how to close it then.
 */
async function closeLateInspector(timedOut: ActivationTimeoutError, options: SessionLifecycleOptions): Promise<AsyncgraphError> {
  const { pending } = timedOut;
  const pendingHint =
    `its SIGUSR1 is still pending: the inspector opens on ${pending.where} when the process gets back to its event loop, and stays open; ` +
    `close it then with \`asyncgraph close-inspector ${pending.pid}\``;
  if (pending.nonLoopback) return timedOut;
  options.onProgress?.(`waiting up to ${formatSeconds(LATE_INSPECTOR_WATCH_MS)} for the inspector to open late, to close it again`);
  const found = await waitForLateInspector(pending, Date.now() + LATE_INSPECTOR_WATCH_MS, options.signal).catch(() => null);
  if (options.signal?.aborted && !found) {
    const stop = abortError(options.signal);
    return new InterruptedError(stop.message, stop.exitCode, pendingHint);
  }
  if (!found) return new InspectorUnavailableError(`${timedOut.message}, nor within ${formatSeconds(LATE_INSPECTOR_WATCH_MS)} more`, pendingHint);
  const openedAfter = formatSeconds(Date.now() - pending.signalledAt);
  const endpoint: Endpoint = { pid: pending.pid, webSocketDebuggerUrl: found.webSocketDebuggerUrl, activated: true, host: found.host, port: found.port };
  const aborted = options.signal?.aborted === true;
  const closeMs = aborted ? (options.cleanupMs ?? DEFAULT_CLEANUP_MS) : CLOSE_TIMEOUT_MS + 2000;
  const closing = await closeLate(endpoint, Date.now() + closeMs, options, 'could not connect to close it');
  if (aborted) return abortError(options.signal!);
  const what = closing?.closed
    ? `it opened ${openedAfter} after SIGUSR1 (port ${found.port}) and asyncgraph closed it again`
    : `it opened ${openedAfter} after SIGUSR1 (port ${found.port}) and is still open (see the warning)`;
  return new InspectorUnavailableError(`${timedOut.message}; ${what}`, 'the process was busy (blocked in native code, or a long synchronous task): retry with a longer --activation-timeout');
}

function warnStillOpen(endpoint: Endpoint, reason: string, options: SessionLifecycleOptions): void {
  if (!endpoint.activated || options.keepInspector || endpoint.pid === null) return;
  const where = endpoint.port !== undefined ? ` on ${endpoint.host ?? '127.0.0.1'}:${endpoint.port}` : '';
  options.onWarning?.(
    `the inspector asyncgraph opened in process ${endpoint.pid}${where} is still open (${reason}); ` +
      `any local user who can reach it can run code in that process: close it with \`asyncgraph close-inspector ${endpoint.pid}\`, or restart it`,
  );
}

/**
 * `asyncgraph close-inspector PID`: closes the inspector process `pid` listens on (one asyncgraph
 * could not close, see the warnings), with the same single call, holding the target's capture
 * lock. Refuses while another debugger client is connected to it. Returns what it did.
 */
export async function closeInspectorOf(
  pid: number,
  options: { waitForOtherMs?: number; signal?: AbortSignal; onProgress?: (message: string) => void },
): Promise<string> {
  const lock = await lockTarget(pid, options);
  try {
    const found = await findInspector(pid, { timeoutMs: 2000 });
    if (!found) return `process ${pid} has no inspector open`;
    const where = `${found.host}:${found.port}`;
    const raw = await connectCdp(found.webSocketDebuggerUrl, { timeoutMs: 5000, commandTimeoutMs: 5000 });
    try {
      const result = await closeInspectorWeOpened(raw, { pid, host: found.host, port: found.port }, CLOSE_TIMEOUT_MS);
      if (result.closed) return `closed the inspector of process ${pid} on ${where}`;
      if (result.queued) return `the inspector of process ${pid} on ${where} closes once the process finishes what it is doing: the request is queued`;
      throw new InspectorUnavailableError(`the inspector of process ${pid} on ${where} is still open: ${result.reason}`);
    } finally {
      await raw.close();
    }
  } finally {
    lock?.release();
  }
}
