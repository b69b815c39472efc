// GET over a plain TCP socket, for asking a target's ports whether they are its inspector.
//
// Discovery sends `GET /json/list` to every loopback port the target listens on — including the
// application's own servers, which may not speak HTTP at all. Node's HTTP client destroys its
// socket on anything unexpected (a parse error, an abort), and closing a socket with unread data
// makes the kernel send a TCP RST: a server without an 'error' handler on its sockets then dies
// of ECONNRESET — asyncgraph would have killed the process it came to look at. So this client
// never resets: it reads (and discards) whatever the peer sends, closes its side with a FIN, and
// waits (bounded) for the peer to close too. Only then is the socket released.

import { connect, isIP, type Socket } from 'node:net';
import { AsyncgraphError, InspectorUnavailableError, NotAnInspectorError, TimeoutError } from '../errors.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** After our FIN, how long the peer gets to close its side before we let go anyway. */
const LINGER_MS = 1000;

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Close without a reset: stop writing (FIN), keep draining what arrives, release the socket when
 * the peer has closed (or after LINGER_MS).
 */
export function closeGently(socket: Socket): void {
  if (socket.destroyed) return;
  socket.removeAllListeners('data');
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.resume();
  // Lingering must not keep asyncgraph alive.
  socket.unref();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  if (socket.connecting) {
    // Nothing sent or received yet: destroying before the handshake completes sends no RST with data.
    clearTimeout(timer);
    socket.destroy();
    return;
  }
  socket.end();
  if (socket.readableEnded) socket.destroy();
}

interface Head {
  status: number;
  headerEnd: number;
  contentLength?: number;
  chunked: boolean;
}

function parseHead(buffer: Buffer): Head | null | 'not-http' {
  // Status line first: an answer that does not start like HTTP is not HTTP, whatever follows.
  const prefix = buffer.subarray(0, Math.min(buffer.length, 12)).toString('latin1');
  if (!'HTTP/1.'.startsWith(prefix.slice(0, 7)) || (prefix.length >= 12 && !/^HTTP\/1\.[01] \d{3}/.test(prefix))) return 'not-http';
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return buffer.length > 64 * 1024 ? 'not-http' : null;
  const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!status) return 'not-http';
  let contentLength: number | undefined;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length' && /^\d+$/.test(value)) contentLength = Number(value);
    if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
  }
  return { status: Number(status[1]), headerEnd: end + 4, contentLength, chunked };
}

/** Decodes a chunked body; null while incomplete, 'bad' if malformed. */
function dechunk(body: Buffer): Buffer | null | 'bad' {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) return 'bad';
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (body.length < start + size + 2) return null;
    parts.push(body.subarray(start, start + size));
    at = start + size + 2;
  }
}

/**
 * GET http://HOST:PORT/PATH with a deadline covering connect, headers and body, and a cap on the
 * answer's size. Errors: InspectorUnavailableError (nothing listening, unreachable),
 * NotAnInspectorError (not HTTP, closed early, too big), TimeoutError.
 */
export function gentleGet(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  options: { signal?: AbortSignal; maxBytes: number },
): Promise<HttpAnswer> {
  const where = hostPort(host, port);
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    let received = Buffer.alloc(0);
    const socket = connect({ host, port });
    const { signal } = options;

    const finish = (error: Error | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      closeGently(socket);
      if (error) reject(error);
      else resolve(answer!);
    };
    const onAbort = () => finish(new AsyncgraphError(`request to ${where} aborted`));
    const timer = setTimeout(
      () => finish(new TimeoutError(`${where} did not answer GET ${path} within ${timeoutMs} ms`)),
      Math.max(0, timeoutMs),
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    /** Whether `received` holds a complete answer; settles if so (or if it cannot be one). */
    const check = (peerEnded: boolean) => {
      const head = parseHead(received);
      if (head === 'not-http') return finish(new NotAnInspectorError(`${where} did not answer HTTP`));
      if (head === null) {
        if (peerEnded) finish(new NotAnInspectorError(`${where} closed the connection mid-response`));
        return;
      }
      const body = received.subarray(head.headerEnd);
      if (head.chunked) {
        const decoded = dechunk(body);
        if (decoded === 'bad') return finish(new NotAnInspectorError(`${where} sent a malformed chunked answer`));
        if (decoded) return finish(null, { status: head.status, body: decoded.toString('utf8') });
        if (peerEnded) finish(new NotAnInspectorError(`${where} closed the connection mid-response`));
        return;
      }
      if (head.contentLength !== undefined) {
        if (body.length >= head.contentLength) {
          return finish(null, { status: head.status, body: body.subarray(0, head.contentLength).toString('utf8') });
        }
        if (peerEnded) finish(new NotAnInspectorError(`${where} closed the connection mid-response`));
        return;
      }
      if (peerEnded) finish(null, { status: head.status, body: body.toString('utf8') });
    };

    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${where}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (received.length + chunk.length > options.maxBytes) {
        return finish(new NotAnInspectorError(`${where} sent more than ${options.maxBytes} bytes for ${path}`));
      }
      received = Buffer.concat([received, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('close', () => check(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      if (err.code === 'ECONNREFUSED') {
        finish(new InspectorUnavailableError(`nothing is listening on ${where}`, undefined, { cause: err }));
      } else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        finish(new NotAnInspectorError(`${where} did not answer HTTP (${err.code})`, undefined, { cause: err }));
      } else {
        finish(new InspectorUnavailableError(`cannot reach ${where}: ${err.message}`, undefined, { cause: err }));
      }
    });
  });
}
