// A CdpSession wrapper that enforces, whatever the capture code above it does, three promises
// asyncgraph makes to the process it inspects and to the machine it runs on (docs/safety.md):
//
//  1. No code runs in the target. Commands that evaluate or inject code, change variables or
//     scripts, or set breakpoints are refused before they reach the wire. (The one exception,
//     closing an inspector asyncgraph itself opened, does not go through this wrapper: see
//     close-inspector.ts.)
//  2. Stopping is quick and leaves nothing queued. Once stopped — the caller's AbortSignal
//     (SIGINT), or a snapshot over the size limit — every command in flight fails at once, no new
//     work is sent (only the commands that undo earlier ones: resume, release, disable, detach),
//     and those get only what is left of a short cleanup bound. Snapshot chunks are no longer
//     delivered.
//  3. Bounded memory. The heap snapshot stream is counted as it arrives and refused past
//     `maxSnapshotBytes`, before the parser holds it.

import { AsyncgraphError, ExitCode, InterruptedError, SnapshotTooLargeError } from '../errors.js';
import type { CdpSession, CommandParams, CommandResult, EventParams } from './cdp-session.js';
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';
import { formatMegabytes } from '../units.js';

type CommandName = keyof ProtocolMapping.Commands & string;
type EventName = keyof ProtocolMapping.Events & string;

/** Default for --max-snapshot-mb. */
export const DEFAULT_MAX_SNAPSHOT_MB = 2048;

/** After SIGINT (or any other stop), how long undoing the capture may take in total. */
export const DEFAULT_CLEANUP_MS = 2000;

/**
 * Never sent through a guarded session: each runs code in the target, changes its state, or
 * can pause it on its own (breakpoints). Pausing on request (`Debugger.pause`, always followed by
 * `Debugger.resume`) is allowed; it is bounded by the capture code that asks for it.
 */
export const REFUSED_METHODS: ReadonlySet<string> = new Set([
  'Runtime.evaluate',
  'Runtime.callFunctionOn',
  'Runtime.compileScript',
  'Runtime.runScript',
  'Runtime.addBinding',
  'Runtime.setCustomObjectFormatterEnabled',
  'Runtime.terminateExecution',
  'Runtime.setMaxCallStackSizeToCapture',
  'Debugger.evaluateOnCallFrame',
  'Debugger.setScriptSource',
  'Debugger.setVariableValue',
  'Debugger.setReturnValue',
  'Debugger.restartFrame',
  'Debugger.setBreakpoint',
  'Debugger.setBreakpointByUrl',
  'Debugger.setBreakpointOnFunctionCall',
  'Debugger.setInstrumentationBreakpoint',
  'Debugger.setPauseOnExceptions',
  'Debugger.stepInto',
  'Debugger.stepOver',
  'Debugger.stepOut',
  'Debugger.continueToLocation',
  'Debugger.setSkipAllPauses',
  'HeapProfiler.startSampling',
  'HeapProfiler.startTrackingHeapObjects',
  'HeapProfiler.collectGarbage',
  'Profiler.start',
  'Profiler.startPreciseCoverage',
]);

/** After a stop, only these may still be sent: each undoes something the capture did. */
export const CLEANUP_METHODS: ReadonlySet<string> = new Set([
  'Debugger.resume',
  'Debugger.setBreakpointsActive',
  'Debugger.disable',
  'Runtime.releaseObjectGroup',
  'Runtime.releaseObject',
  'Runtime.disable',
  'HeapProfiler.disable',
  'NodeWorker.detach',
  'NodeWorker.disable',
]);

const SNAPSHOT_EVENTS: ReadonlySet<string> = new Set(['HeapProfiler.addHeapSnapshotChunk', 'HeapProfiler.reportHeapSnapshotProgress']);

export interface GuardOptions {
  /** Stops the session's work (SIGINT). Its reason, if an AsyncgraphError, is what pending calls fail with. */
  signal?: AbortSignal;
  /** Refuse a heap snapshot stream longer than this many characters (default: no limit). */
  maxSnapshotBytes?: number;
  /** Total time the undo commands get after a stop (default DEFAULT_CLEANUP_MS). */
  cleanupMs?: number;
}

export interface GuardedSession extends CdpSession {
  /** Why the session stopped (interrupted, snapshot too large), or undefined while it runs. */
  readonly stopReason: AsyncgraphError | undefined;
  /** Milliseconds of the cleanup bound left after a stop; Infinity while running. */
  cleanupRemainingMs(): number;
  /** Stops the session's work now (as an abort does), failing what is in flight with `reason`. */
  stop(reason: AsyncgraphError): void;
}

export function snapshotTooLarge(maxBytes: number): SnapshotTooLargeError {
  const mb = formatMegabytes(maxBytes);
  return new SnapshotTooLargeError(
    `the heap snapshot is larger than ${mb} MB (--max-snapshot-mb); stopped reading it, the target keeps running`,
    `raise the limit, e.g. --max-snapshot-mb ${Math.max(1, Math.ceil((maxBytes * 2) / (1024 * 1024)))}: asyncgraph needs memory ` +
      'in proportion to the snapshot',
  );
}

/**
 * An error from deep in the capture that really means "the snapshot is over the limit" (the
 * parser's own checks, including one on the header's declared sizes), as SnapshotTooLargeError.
 */
export function asSnapshotTooLarge(error: unknown, maxBytes: number | undefined): AsyncgraphError | undefined {
  if (maxBytes === undefined || !Number.isFinite(maxBytes)) return undefined;
  if (error instanceof SnapshotTooLargeError) return error;
  const message = (error as Error | undefined)?.message ?? '';
  if (/heap snapshot (exceeds \S+ MB|header declares more \S+ than fit in)/.test(message)) return snapshotTooLarge(maxBytes);
  return undefined;
}

/** Wraps `session`; see the file comment. */
export function guardSession(session: CdpSession, options: GuardOptions = {}): GuardedSession {
  return new Guarded(session, options);
}

class Guarded implements GuardedSession {
  private stopped: AsyncgraphError | undefined;
  private cleanupDeadline = Infinity;
  private readonly pending = new Set<(error: Error) => void>();
  private snapshotChars = 0;
  private readonly cleanupMs: number;
  readonly closed: Promise<void>;

  constructor(
    private readonly inner: CdpSession,
    options: GuardOptions,
  ) {
    this.closed = inner.closed;
    this.cleanupMs = options.cleanupMs ?? DEFAULT_CLEANUP_MS;
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.stop(abortError(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      // Not kept beyond the connection's life.
      void inner.closed.then(() => signal.removeEventListener('abort', onAbort));
    }
    const max = options.maxSnapshotBytes;
    if (max !== undefined && Number.isFinite(max)) {
      // Registered before anyone else's listener, so an oversize chunk never reaches the parser.
      inner.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
        if (this.stopped) return;
        this.snapshotChars += chunk.length;
        if (this.snapshotChars > max) this.stop(snapshotTooLarge(max));
      });
    }
  }

  get stopReason(): AsyncgraphError | undefined {
    return this.stopped;
  }

  cleanupRemainingMs(): number {
    return this.stopped ? Math.max(0, this.cleanupDeadline - Date.now()) : Infinity;
  }

  stop(reason: AsyncgraphError): void {
    if (this.stopped) return;
    this.stopped = reason;
    // A snapshot that is too large keeps the target busy until V8 has written all of it: the undo
    // commands queue behind it, so they get more time (the snapshot bound) than after a SIGINT.
    const cleanupMs = reason instanceof SnapshotTooLargeError ? Math.max(this.cleanupMs, 30_000) : this.cleanupMs;
    this.cleanupDeadline = Date.now() + cleanupMs;
    for (const reject of this.pending) reject(reason);
    this.pending.clear();
  }

  async send<M extends CommandName>(method: M, params?: CommandParams<M>, timeoutMs?: number): Promise<CommandResult<M>> {
    // A worker thread's commands travel inside NodeWorker.sendMessageToWorker: judge the inner one.
    const effective = (method as string) === 'NodeWorker.sendMessageToWorker' ? innerMethod(params) : method;
    if (REFUSED_METHODS.has(effective)) {
      throw new AsyncgraphError(`internal error: refusing to send ${effective}, which could run code in or change the target`, ExitCode.Failure);
    }
    if ((method as string) === 'NodeWorker.enable' && (params as { waitForDebuggerOnStart?: boolean } | undefined)?.waitForDebuggerOnStart) {
      throw new AsyncgraphError('internal error: refusing NodeWorker.enable with waitForDebuggerOnStart, which would hold new workers', ExitCode.Failure);
    }
    if (this.stopped) {
      if (!CLEANUP_METHODS.has(effective)) throw this.stopped;
      const left = this.cleanupRemainingMs();
      if (left <= 0) throw this.stopped;
      return this.inner.send(method, params, Math.max(1, Math.min(timeoutMs ?? left, left)));
    }
    let reject!: (error: Error) => void;
    const stoppedWhileWaiting = new Promise<never>((_, rejectPromise) => {
      reject = rejectPromise;
    });
    this.pending.add(reject);
    const sending = this.inner.send(method, params, timeoutMs);
    sending.catch(() => {}); // a late failure after a stop is not ours to report
    try {
      return await Promise.race([sending, stoppedWhileWaiting]);
    } finally {
      this.pending.delete(reject);
    }
  }

  on<E extends EventName>(event: E, listener: (params: EventParams<E>) => void): void {
    // After a stop the snapshot stream is dropped; every other event still arrives (a pause must
    // still be seen to be resumed, a worker's answers to its cleanup commands must get through).
    if (!SNAPSHOT_EVENTS.has(event)) return this.inner.on(event, listener);
    this.inner.on(event, (params) => {
      if (!this.stopped) listener(params);
    });
  }

  batch(issue: () => void): void {
    if (this.inner.batch) this.inner.batch(issue);
    else issue();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The method of a worker message (`{"id":1,"method":"…"}` as text); '?' if unreadable. */
function innerMethod(params: unknown): string {
  try {
    const method: unknown = JSON.parse(String((params as { message?: unknown } | undefined)?.message)).method;
    return typeof method === 'string' ? method : '?';
  } catch {
    return '?';
  }
}

/** The error an aborted signal stands for: its reason when that is one of ours. */
export function abortError(signal: AbortSignal): AsyncgraphError {
  const reason: unknown = signal.reason;
  if (reason instanceof AsyncgraphError) return reason;
  return new InterruptedError(reason instanceof Error && reason.message ? `interrupted: ${reason.message}` : 'interrupted');
}

/** The promise, or the signal's abort error if that comes first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // Given up on: its own failure (the session stopped too) is not reported.
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(abortError(signal));
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
