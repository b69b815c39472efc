// chrome-remote-interface parses each websocket message with JSON.parse and dispatches it inside
// the socket's 'message' handler: a peer sending anything but a JSON object (a port that is not
// really an inspector, a broken proxy), or an event that a listener cannot handle, throws there —
// an uncaught exception that would end asyncgraph with a stack trace. This wraps that handler: a
// bad message ends the connection instead, and the session reports one line.

import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { AsyncgraphError, ExitCode, NotAnInspectorError } from '../errors.js';

export interface HardenedClient {
  /** Why the connection was ended by us, if it was. */
  error(): AsyncgraphError | undefined;
}

function short(error: unknown): string {
  const text = String((error as Error)?.message ?? error).split('\n')[0];
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

const hardened = new WeakMap<object, HardenedClient>();
let installed = false;

/**
 * Hardens every client as its websocket is created, before any message can arrive (a peer may
 * send garbage right after the handshake, before connectCdp has the client in hand). Patches
 * chrome-remote-interface's Chrome.prototype._connectToWebSocket, which creates the socket and
 * its handlers synchronously; if that ever changes, clients are still hardened once connected.
 */
export function installEarlyHardening(): void {
  if (installed) return;
  installed = true;
  try {
    const Chrome = createRequire(import.meta.url)('chrome-remote-interface/lib/chrome.js') as {
      prototype?: { _connectToWebSocket?: (...args: unknown[]) => unknown };
    };
    const original = Chrome.prototype?._connectToWebSocket;
    if (typeof original !== 'function') return;
    Chrome.prototype!._connectToWebSocket = function (this: object, ...args: unknown[]) {
      const result = original.apply(this, args);
      hardenClient(this);
      return result;
    };
  } catch {
    // Layout changed: the per-client hardening after connect still applies.
  }
}

/** Whether a websocket message's first non-blank character opens a JSON object. */
function startsLikeObject(data: unknown): boolean {
  const text = typeof data === 'string' ? data : String(data);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // JSON's whitespace: space, tab, line feed, carriage return.
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) continue;
    return code === 0x7b;
  }
  return false;
}

const notAnObjectError = () => new NotAnInspectorError('the inspector sent a message that is not a JSON object: not a V8 inspector, or a broken one');

/** Why a message is the peer's fault (not JSON, or not an object), or undefined when it is a JSON object. */
function notAnObject(data: unknown): AsyncgraphError | undefined {
  let message: unknown;
  try {
    message = JSON.parse(String(data));
  } catch (error) {
    return new NotAnInspectorError(`the inspector sent a message that is not JSON (${short(error)}): not a V8 inspector, or a broken one`);
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return notAnObjectError();
  return undefined;
}

function methodOf(data: unknown): string | undefined {
  try {
    const method = (JSON.parse(String(data)) as { method?: unknown }).method;
    return typeof method === 'string' ? method : undefined;
  } catch {
    return undefined;
  }
}

/** Wraps the client's message handler (once per client). */
export function hardenClient(client: object): HardenedClient {
  const existing = hardened.get(client);
  if (existing) return existing;
  let failure: AsyncgraphError | undefined;
  const result: HardenedClient = { error: () => failure };
  const ws = (client as { _ws?: EventEmitter & { terminate?: () => void } })._ws;
  if (!ws || typeof ws.listeners !== 'function') return result;
  hardened.set(client, result);
  const end = (error: AsyncgraphError) => {
    failure ??= error;
    ws.terminate?.();
  };
  for (const listener of ws.listeners('message') as ((...args: unknown[]) => void)[]) {
    ws.removeListener('message', listener);
    ws.on('message', (...args: unknown[]) => {
      if (failure) return;
      // The listener parses the message itself: parsing it here too doubled the main thread's work
      // while a snapshot streams in (200 MB of chunks at 100k chains). A JSON object starts with
      // '{'; the message is read again only to say why it could not be handled.
      if (!startsLikeObject(args[0])) return end(notAnObject(args[0]) ?? notAnObjectError());
      try {
        listener.apply(ws, args);
      } catch (error) {
        const peerFault = notAnObject(args[0]);
        if (peerFault) return end(peerFault);
        const method = methodOf(args[0]);
        end(new AsyncgraphError(`could not handle a message from the inspector${method ? ` (${method})` : ''}: ${short(error)}`, ExitCode.Failure));
      }
    });
  }
  return result;
}
