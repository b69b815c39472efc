// A fake V8 inspector on 127.0.0.1 for the fault tests: HTTP /json/list and /json/version, and a
// WebSocket speaking just enough of the DevTools protocol for a capture. Each test decides how it
// misbehaves (the snapshot stream, the answers, the /json/list body). Every method the client
// sends is recorded, so tests can also check what asyncgraph asks of a target.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import WebSocket from 'ws';

export interface Command {
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

export interface Connection {
  /** Sends an event. */
  emit(method: string, params: unknown): void;
  /** Answers a command. */
  reply(command: Command, result: unknown): void;
  /** Answers a command with a protocol error. */
  fail(command: Command, message: string): void;
  /** Sends a text frame as is (not necessarily JSON). */
  raw(text: string): void;
  /** Drops the connection abruptly. */
  drop(): void;
}

export type CommandHandler = (command: Command, connection: Connection) => void | Promise<void>;

export interface FakeInspectorOptions {
  /** Answers GET /json/list (default: one target at our own websocket URL). */
  jsonList?: (port: number) => { status?: number; body: string };
  /** Per method; a method without handler is answered `{}`. */
  handlers?: Record<string, CommandHandler>;
  /** Called when a client connects to the websocket. */
  onConnect?: (connection: Connection) => void;
  /** Instead of a websocket handshake, write this to the upgrading socket and close it. */
  upgradeGarbage?: Buffer;
  /** Address to listen on (default 127.0.0.1); /json/list names it in the websocket URL. */
  host?: string;
}

export interface FakeInspector {
  port: number;
  wsUrl: string;
  /** Every method received, in order. */
  readonly methods: string[];
  /** Every command received (with params). */
  readonly commands: Command[];
  close(): Promise<void>;
}

/** A real (pruned) Node 20 heap snapshot, as the text V8 streams. */
export const RECORDED_SNAPSHOT = gunzipSync(
  readFileSync(new URL('../recorded/kitchen-sink.node20.heapsnapshot.gz', import.meta.url)),
).toString('utf8');

/** A takeHeapSnapshot handler that streams `text` in chunks of `chunkSize`, then answers. */
export function streamSnapshot(text: string, chunkSize = 16 * 1024): CommandHandler {
  return async (command, connection) => {
    for (let i = 0; i < text.length; i += chunkSize) {
      connection.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: text.slice(i, i + chunkSize) });
      if ((i / chunkSize) % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    connection.reply(command, {});
  };
}

export async function startFakeInspector(options: FakeInspectorOptions = {}): Promise<FakeInspector> {
  const methods: string[] = [];
  const commands: Command[] = [];
  const id = '3f1a0c6e-0000-4000-8000-000000000001';
  let port = 0;
  const sockets = new Set<Socket>();
  const wss = new WebSocket.Server({ noServer: true });
  const host = options.host ?? '127.0.0.1';

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/json/list' || path === '/json') {
      const answer = options.jsonList?.(port) ?? {
        body: JSON.stringify([
          { id, type: 'node', title: 'fake', url: 'file:///fake.js', webSocketDebuggerUrl: `ws://${host}:${port}/${id}` },
        ]),
      };
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(answer.body);
    } else if (path === '/json/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Browser: 'node.js/v20.99.0', 'Protocol-Version': '1.1' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (options.upgradeGarbage) {
      socket.end(options.upgradeGarbage);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const connection: Connection = {
        emit: (method, params) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ method, params }));
        },
        reply: (command, result) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ id: command.id, result }));
        },
        fail: (command, message) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ id: command.id, error: { code: -32000, message } }));
        },
        raw: (text) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(text);
        },
        drop: () => ws.terminate(),
      };
      options.onConnect?.(connection);
      ws.on('message', (data: unknown) => {
        let command: Command;
        try {
          command = JSON.parse(String(data)) as Command;
        } catch {
          return;
        }
        methods.push(command.method);
        commands.push(command);
        const handler = options.handlers?.[command.method];
        if (handler) void Promise.resolve(handler(command, connection)).catch(() => {});
        else connection.reply(command, {});
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  port = (server.address() as { port: number }).port;
  return {
    port,
    wsUrl: `ws://${host}:${port}/${id}`,
    methods,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
