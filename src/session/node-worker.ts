// Worker threads through the inspector of their process: Node's own `NodeWorker` domain.
//
// `NodeWorker.enable` on the main thread's session announces every running worker with
// `NodeWorker.attachedToWorker` {sessionId, workerInfo} (before enable answers). From then on a
// DevTools message for a worker is sent as a string with `NodeWorker.sendMessageToWorker`
// {sessionId, message}, and whatever the worker answers or emits comes back as
// `NodeWorker.receivedMessageFromWorker` {sessionId, message}: a CDP session nested in another.
// `WorkerSession` speaks that nested protocol and implements `CdpSession`, so the ordinary capture
// (`captureOnSession`) runs over it unchanged.
//
// These domains are Node-only and not in devtools-protocol's types: they are typed here by hand.

import { AsyncgraphError, ExitCode, TargetExitedError, TimeoutError } from '../errors.js';
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';
import type { CdpSession, CommandParams, CommandResult, EventParams } from './cdp-session.js';
import type { NodeWorkerInfo } from './worker-info.js';

type CommandName = keyof ProtocolMapping.Commands & string;
type EventName = keyof ProtocolMapping.Events & string;

// Public (WorkerCapture.info), so it lives in a module without protocol types.
export type { NodeWorkerInfo } from './worker-info.js';

export interface AttachedToWorkerEvent {
  sessionId: string;
  workerInfo: NodeWorkerInfo;
  waitingForDebugger: boolean;
}

export interface DetachedFromWorkerEvent {
  sessionId: string;
}

export interface ReceivedMessageFromWorkerEvent {
  sessionId: string;
  /** One DevTools message of the worker's session, as JSON text. */
  message: string;
  workerId?: string;
}

/** The NodeWorker commands and events, as a protocol mapping like devtools-protocol's. */
export interface NodeWorkerCommands {
  'NodeWorker.enable': { params: { waitForDebuggerOnStart: boolean }; result: Record<string, never> };
  'NodeWorker.disable': { params: Record<string, never>; result: Record<string, never> };
  'NodeWorker.sendMessageToWorker': { params: { sessionId: string; message: string }; result: Record<string, never> };
  'NodeWorker.detach': { params: { sessionId: string }; result: Record<string, never> };
}

export interface NodeWorkerEvents {
  'NodeWorker.attachedToWorker': AttachedToWorkerEvent;
  'NodeWorker.detachedFromWorker': DetachedFromWorkerEvent;
  'NodeWorker.receivedMessageFromWorker': ReceivedMessageFromWorkerEvent;
}

/** A CdpSession seen through the NodeWorker domain's types. */
interface NodeWorkerView {
  send<M extends keyof NodeWorkerCommands>(
    method: M,
    params: NodeWorkerCommands[M]['params'],
    timeoutMs?: number,
  ): Promise<NodeWorkerCommands[M]['result']>;
  on<E extends keyof NodeWorkerEvents>(event: E, listener: (params: NodeWorkerEvents[E]) => void): void;
}

/**
 * The same session, typed for the NodeWorker domain. Every CdpSession passes method names and
 * event names through untouched (chrome-remote-interface emits each event under its method name,
 * and WorkerSession forwards any method), so only the types change.
 */
export function nodeWorkerView(session: CdpSession): NodeWorkerView {
  return session as unknown as NodeWorkerView;
}

export interface AttachedWorker {
  info: NodeWorkerInfo;
  session: WorkerSession;
}

export interface WorkerAttachOptions {
  /** Bound on each command sent to the parent session for the NodeWorker domain. */
  commandTimeoutMs: number;
  /** Default bound on a command sent to a worker (commands may pass their own). */
  workerCommandTimeoutMs: number;
}

/**
 * Turns on the NodeWorker domain on `parent` and returns a session for each worker running now.
 * Workers started later are not followed. `detachAll` closes every worker session and disables
 * the domain again (bounded; failures are ignored: the target may be gone).
 */
export async function attachToWorkers(
  parent: CdpSession,
  options: WorkerAttachOptions,
): Promise<{ workers: AttachedWorker[]; detachAll: () => Promise<void> }> {
  const view = nodeWorkerView(parent);
  const sessions = new Map<string, WorkerSession>();
  const workers: AttachedWorker[] = [];
  let accepting = true;
  view.on('NodeWorker.attachedToWorker', (event) => {
    if (!accepting || sessions.has(event.sessionId)) return;
    const session = new WorkerSession(parent, event.sessionId, event.workerInfo, options.workerCommandTimeoutMs);
    sessions.set(event.sessionId, session);
    workers.push({ info: event.workerInfo, session });
  });
  view.on('NodeWorker.receivedMessageFromWorker', (event) => {
    sessions.get(event.sessionId)?.receive(event.message);
  });
  view.on('NodeWorker.detachedFromWorker', (event) => {
    sessions.get(event.sessionId)?.detached(new TargetExitedError('the worker thread exited'));
  });
  void parent.closed.then(() => {
    for (const session of sessions.values()) {
      session.detached(new TargetExitedError('the target closed the inspector connection (did the process exit?)'));
    }
  });

  // The attachedToWorker events of running workers arrive before enable's answer.
  await view.send('NodeWorker.enable', { waitForDebuggerOnStart: false }, options.commandTimeoutMs);
  accepting = false;

  const detachAll = async () => {
    await Promise.all([...sessions.values()].map((session) => session.close()));
    await view.send('NodeWorker.disable', {}, Math.min(options.commandTimeoutMs, 2000)).catch(() => {});
  };
  return { workers: [...workers], detachAll };
}

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface WorkerMessage {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message?: string; code?: number };
}

/** The DevTools session of one worker thread, tunnelled through its process's session. */
export class WorkerSession implements CdpSession {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private isClosed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, ((params: unknown) => void)[]>();

  constructor(
    private readonly parent: CdpSession,
    readonly sessionId: string,
    readonly info: NodeWorkerInfo,
    private readonly commandTimeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  send<M extends CommandName>(
    method: M,
    params?: CommandParams<M>,
    timeoutMs = this.commandTimeoutMs,
  ): Promise<CommandResult<M>> {
    if (this.isClosed) return Promise.reject(new TargetExitedError(`the session of worker ${this.info.workerId} is closed (did it exit?)`));
    const id = this.nextId++;
    return new Promise<CommandResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`${method} (worker ${this.info.workerId}) did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
      nodeWorkerView(this.parent)
        .send('NodeWorker.sendMessageToWorker', {
          sessionId: this.sessionId,
          message: JSON.stringify({ id, method, params: params ?? {} }),
        })
        .catch((error: unknown) => this.settle(id, undefined, error instanceof Error ? error : new Error(String(error))));
    });
  }

  on<E extends EventName>(
    event: E,
    listener: (params: EventParams<E>) => void,
  ): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as (params: unknown) => void);
    this.listeners.set(event, list);
  }

  /** One message from the worker (JSON text): an answer to a command, or an event. */
  receive(text: string): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(text) as WorkerMessage;
    } catch {
      return;
    }
    if (typeof message.id === 'number') {
      const error = message.error
        ? new AsyncgraphError(`${this.pending.get(message.id)?.method ?? 'command'} failed: ${message.error.message ?? 'unknown error'}`, ExitCode.Failure)
        : undefined;
      this.settle(message.id, message.result ?? {}, error);
    } else if (typeof message.method === 'string') {
      for (const listener of this.listeners.get(message.method) ?? []) listener(message.params ?? {});
    }
  }

  /** The worker went away (or its process did): fail everything still waiting. */
  detached(error: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, error);
    this.resolveClosed();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    await nodeWorkerView(this.parent)
      .send('NodeWorker.detach', { sessionId: this.sessionId }, 2000)
      .catch(() => {});
    this.detached(new TargetExitedError(`the session of worker ${this.info.workerId} is closed`));
  }

  private settle(id: number, result: unknown, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result);
  }
}
