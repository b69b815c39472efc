import type CDP from 'chrome-remote-interface';
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';
import { AsyncgraphError, ExitCode, InspectorUnavailableError, NotAnInspectorError, TargetExitedError, TimeoutError } from '../errors.js';
import { AckNudger, type NudgedSocket } from './ack-nudge.js';
import { hardenClient, installEarlyHardening } from './harden-client.js';
import { chromeRemoteInterface } from './native-utf8-check.js';

type Commands = ProtocolMapping.Commands;
type Events = ProtocolMapping.Events;
type CommandName = keyof Commands & string;
type EventName = keyof Events & string;
export type CommandParams<M extends CommandName> = Commands[M]['paramsType'][0];
export type CommandResult<M extends CommandName> = Commands[M]['returnType'];
export type EventParams<E extends EventName> = Events[E][0];

/**
 * The few things asyncgraph needs from a DevTools Protocol connection. Kept this small so the
 * capture logic can be tested against a fake.
 */
export interface CdpSession {
  send<M extends CommandName>(method: M, params?: CommandParams<M>, timeoutMs?: number): Promise<CommandResult<M>>;
  on<E extends EventName>(event: E, listener: (params: EventParams<E>) => void): void;
  /** Resolves once the connection is gone, whoever closed it. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: the commands `send` is called for inside `issue` leave in one network write, so the
   * target's inspector usually reads and dispatches them together (see running-stack.ts).
   */
  batch?(issue: () => void): void;
}

export interface ConnectOptions {
  timeoutMs: number;
  /** Default bound for one command; commands may pass their own. */
  commandTimeoutMs: number;
}

/**
 * The protocol description chrome-remote-interface builds its `client.Domain.method` shorthands
 * from. Sessions only use `send` and `on` by method name, so none are built: with `local: true`
 * it loaded its 1.2 MB protocol.json (once per process) and built every domain's methods at each
 * connection, about 30 ms of a run (chrome-remote-interface lib/chrome.js `_fetchProtocol`,
 * lib/api.js `prepare`).
 */
const NO_SHORTHANDS: CDP.Protocol = { version: { major: '1', minor: '3' }, domains: [] };

/** Opens one websocket session to an inspector target (`ws://host:port/uuid`). */
export async function connectCdp(webSocketDebuggerUrl: string, options: ConnectOptions): Promise<CdpSession> {
  let timer: NodeJS.Timeout | undefined;
  // Loaded first: the hardening loads its websocket module, ws's too (native-utf8-check.ts).
  const cdp = chromeRemoteInterface();
  installEarlyHardening();
  const connecting = cdp({ target: webSocketDebuggerUrl, protocol: NO_SHORTHANDS });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`the inspector at ${webSocketDebuggerUrl} did not accept a connection within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  let client: CDP.Client;
  try {
    client = await Promise.race([connecting, timeout]);
  } catch (error) {
    // A late connection must not stay open behind our back.
    connecting.then((late) => late.close()).catch(() => {});
    if (error instanceof AsyncgraphError) throw error;
    throw connectFailure(webSocketDebuggerUrl, error as NodeJS.ErrnoException);
  } finally {
    clearTimeout(timer);
  }
  return new ChromeRemoteSession(client, options.commandTimeoutMs);
}

/** Why a websocket to an inspector could not be opened, with the hint that fits the cause. */
function connectFailure(url: string, error: NodeJS.ErrnoException): AsyncgraphError {
  const where = hostOf(url);
  if (error.code === 'ECONNREFUSED') {
    return new InspectorUnavailableError(
      `cannot connect to the inspector at ${url}: nothing listens on ${where}`,
      'the URL is the one Node prints as "Debugger listening on ws://…" (its port and id change each time the inspector opens); or attach by pid',
    );
  }
  // ws: the HTTP upgrade was answered with a plain response (e.g. 200 from a web server, 400 from
  // a Node inspector that has no target with that id).
  const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
  if (status !== undefined) {
    return new NotAnInspectorError(
      `${where} answered HTTP ${status} instead of an inspector websocket at ${url}: not a V8 inspector, or no target with that id there`,
      `if it is an inspector, \`asyncgraph attach --port ${where.replace(/^.*:/, '')}\` finds its current target`,
    );
  }
  return new AsyncgraphError(
    `cannot connect to the inspector at ${url}: ${error.message}`,
    ExitCode.InspectorUnavailable,
    'another debugger may already be attached, or the process is exiting',
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * @internal For the tests: the acknowledgement nudges a session sent and the answers to them it
 * saw (ack-nudge.ts); undefined for a session without them.
 */
export function nudgesOf(session: CdpSession): { sent: number; answered: number } | undefined {
  return session instanceof ChromeRemoteSession ? session.nudges() : undefined;
}

class ChromeRemoteSession implements CdpSession {
  readonly closed: Promise<void>;
  private isClosed = false;
  private readonly closeWaiters = new Set<(error: Error) => void>();
  /** A malformed message from the peer ends the connection instead of crashing (harden-client.ts). */
  private readonly hardened: ReturnType<typeof hardenClient>;
  /** Absent if chrome-remote-interface no longer keeps its websocket in `_ws`: answers are then only slower. */
  private readonly nudger: AckNudger | undefined;

  constructor(
    private readonly client: CDP.Client,
    private readonly commandTimeoutMs: number,
  ) {
    this.hardened = hardenClient(client);
    const socket = (client as unknown as { _ws?: Partial<NudgedSocket> })._ws;
    this.nudger = typeof socket?.send === 'function' && typeof socket.on === 'function' ? new AckNudger(socket as NudgedSocket) : undefined;
    this.closed = new Promise((resolve) => {
      client.on('disconnect', () => {
        this.isClosed = true;
        this.nudger?.stop();
        const error = this.hardened.error() ?? new TargetExitedError('the target closed the inspector connection (did the process exit?)');
        for (const waiter of this.closeWaiters) waiter(error);
        resolve();
      });
    });
  }

  async send<M extends CommandName>(method: M, params?: CommandParams<M>, timeoutMs = this.commandTimeoutMs): Promise<CommandResult<M>> {
    if (this.isClosed) throw this.hardened.error() ?? new TargetExitedError('the inspector connection is closed (did the process exit?)');
    let timer: NodeJS.Timeout | undefined;
    let onClose: ((error: Error) => void) | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`${method} did not answer within ${timeoutMs} ms`)), timeoutMs);
      onClose = reject;
      this.closeWaiters.add(onClose);
    });
    try {
      const sending = (this.client.send as (m: string, p?: object) => Promise<unknown>)(method, params ?? {});
      // Outstanding until its answer comes (or the connection goes: chrome-remote-interface then
      // fails every command), not until we stop waiting: a snapshot that timed out still streams.
      const nudger = this.nudger;
      if (nudger) {
        nudger.commandStarted(method);
        const ended = () => nudger.commandEnded(method);
        sending.then(ended, ended);
      }
      sending.catch(() => {}); // a late failure after a timeout is not ours to report
      return (await Promise.race([sending, failure])) as CommandResult<M>;
    } catch (error) {
      if (error instanceof AsyncgraphError) throw error;
      if (this.hardened.error()) throw this.hardened.error();
      if (this.isClosed || /WebSocket (connection closed|is not open)/.test(String((error as Error).message))) {
        throw this.hardened.error() ?? new TargetExitedError('the target closed the inspector connection (did the process exit?)');
      }
      const message = (error as { response?: { message?: string } }).response?.message ?? (error as Error).message;
      throw new AsyncgraphError(`${method} failed: ${message}`, ExitCode.Failure);
    } finally {
      clearTimeout(timer);
      if (onClose) this.closeWaiters.delete(onClose);
    }
  }

  nudges(): { sent: number; answered: number } | undefined {
    return this.nudger && { sent: this.nudger.sent, answered: this.nudger.answered };
  }

  batch(issue: () => void): void {
    // chrome-remote-interface keeps its `ws` WebSocket in `_ws`; cork its socket if it is there.
    const socket = (this.client as unknown as { _ws?: { _socket?: { cork?: () => void; uncork?: () => void } } })._ws?._socket;
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return issue();
    socket.cork();
    try {
      issue();
    } finally {
      // ws writes each frame synchronously when the socket is open; uncork flushes them together.
      socket.uncork();
    }
  }

  on<E extends EventName>(event: E, listener: (params: EventParams<E>) => void): void {
    (this.client.on as (e: string, l: (p: unknown) => void) => void)(event, listener as (p: unknown) => void);
  }

  async close(): Promise<void> {
    this.nudger?.stop();
    if (this.isClosed) return;
    await Promise.race([this.client.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }
}
