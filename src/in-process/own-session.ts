// A DevTools Protocol session of a thread with its own isolate (node:inspector's Session,
// connected in the main thread or in a worker thread), behind the CdpSession interface the capture
// pipeline takes, so a test worker captures itself through the same steps `attach` takes remotely.

import { Session } from 'node:inspector';
import { AsyncgraphError, ExitCode, TimeoutError } from '../errors.js';
import type { CdpSession, CommandParams, CommandResult, EventParams } from '../session/cdp-session.js';
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js';

type CommandName = keyof ProtocolMapping.Commands & string;
type EventName = keyof ProtocolMapping.Events & string;

export class OwnThreadSession implements CdpSession {
  readonly closed: Promise<void>;
  private readonly session = new Session();
  private markClosed!: () => void;
  private isClosed = false;

  constructor() {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.session.connect();
  }

  send<M extends CommandName>(method: M, params?: CommandParams<M>, timeoutMs = 5000): Promise<CommandResult<M>> {
    if (this.isClosed) return Promise.reject(new AsyncgraphError(`${method} failed: the session is closed`, ExitCode.Failure));
    return new Promise((resolve, reject) => {
      // Most commands answer during post itself (the session dispatches on its own thread); the
      // bound is for the rest.
      const timer = setTimeout(() => reject(new TimeoutError(`${method} did not answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      (this.session.post as (m: string, p: object, cb: (error: Error | null, result?: unknown) => void) => void)(method, params ?? {}, (error, result) => {
        clearTimeout(timer);
        if (error) reject(new AsyncgraphError(`${method} failed: ${error.message}`, ExitCode.Failure));
        else resolve(result as CommandResult<M>);
      });
      // A thread cannot pause itself and go on: with the debugger on, a `debugger;` statement
      // reached meanwhile must not stop it (no one would resume it).
      if (method === 'Debugger.enable') this.session.post('Debugger.setSkipAllPauses', { skip: true });
    });
  }

  on<E extends EventName>(event: E, listener: (params: EventParams<E>) => void): void {
    this.session.on(event, (message: { params: EventParams<E> }) => listener(message.params));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.session.disconnect();
    this.markClosed();
  }
}
