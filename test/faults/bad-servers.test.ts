// Whatever answers on the port asyncgraph connects to, it must end with one clear line and a
// documented exit code, within its time bounds, and never crash: port 9229 held by someone else, a
// plain HTTP server, a server speaking garbage, a server that never answers, an inspector whose
// /json/list or websocket misbehaves, and a target listening on such ports besides its inspector.

import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningPorts } from '../../src/target/proc.js';
import { spawnProcess } from '../helpers/processes.js';
import { startFakeInspector, type FakeInspector } from './fake-inspector.js';
import { expectUnharmed, oneLineFailure, spawnFaultTarget, startCli } from './helpers.js';

const servers = new Set<Server | ReturnType<typeof createHttpServer>>();
const sockets = new Set<Socket>();
const fakes = new Set<FakeInspector>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all([...servers].map((server) => new Promise<void>((done) => server.close(() => done()))));
  servers.clear();
  await Promise.all([...fakes].map((fake) => fake.close()));
  fakes.clear();
});

/** A TCP server on 127.0.0.1 (`port` 0: any free one) doing `onConnection`; resolves with its port. */
function listen(port: number, onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      servers.add(server);
      resolve((server.address() as { port: number }).port);
    });
  });
}

async function fake(options: Parameters<typeof startFakeInspector>[0]): Promise<FakeInspector> {
  const inspector = await startFakeInspector(options);
  fakes.add(inspector);
  return inspector;
}

async function attachPort(port: number, extra: string[] = []) {
  const cli = startCli(['attach', '--port', String(port), ...extra]);
  return cli.finished(15_000);
}

describe('port 9229 taken by another process', () => {
  it('a target without inspector flags: exit 6 naming the port, target unharmed, nothing left open', async () => {
    let ours = false;
    try {
      await listen(9229, (socket) => socket.destroy());
      ours = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
    const target = await spawnFaultTarget({ nodeArgs: [] });
    const result = await startCli(['attach', String(target.pid)]).finished();
    expect(result.code, result.stderr).toBe(6);
    const { message, hint } = oneLineFailure(result);
    expect(message).toMatch(/\bport 9229 is already in use\b/);
    if (ours) expect(message).toContain(`by pid ${process.pid}`);
    expect(hint).toContain('--inspect-port=0');
    await expectUnharmed(target, { inspectorClosed: true });
  });
});

describe('not an inspector on the port', () => {
  it('a plain HTTP server: exit 6, "not an inspector"', async () => {
    const server = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>hello</body></html>');
    });
    server.on('connection', (socket: Socket) => sockets.add(socket));
    servers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const result = await attachPort(port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toBe(`127.0.0.1:${port} answered /json/list with non-JSON: not an inspector`);
  });

  it('a server answering garbage bytes: exit 6', async () => {
    const port = await listen(0, (socket) => socket.end(randomBytes(4096)));
    const result = await attachPort(port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port} (did not answer HTTP|closed the connection)`));
  });

  it('a server that accepts and never answers: exit 8 within the connect bound', async () => {
    const port = await listen(0, () => {});
    const result = await attachPort(port);
    expect(result.code, result.stderr).toBe(8);
    // The message says the connect bound ended it; finished()'s bound only turns a hang into a failure.
    expect(oneLineFailure(result).message).toMatch(/did not answer GET \/json\/list within \d+ ms/);
  });
});

describe('an inspector that misbehaves', () => {
  const lists: [string, string, RegExp][] = [
    ['not an array', '{"webSocketDebuggerUrl":"ws://127.0.0.1:1/x"}', /with JSON that is not an array: not an inspector$/],
    ['an empty list', '[]', /without any webSocketDebuggerUrl: not an inspector$/],
    ['targets without usable URLs', '[{"webSocketDebuggerUrl":42},{"webSocketDebuggerUrl":"http://x"},null,7]', /without any webSocketDebuggerUrl: not an inspector$/],
    ['more than 1 MB', `[${'{"id":"x"},'.repeat(120_000)}{}]`, /sent more than 1048576 bytes for \/json\/list$/],
  ];
  it.each(lists)('/json/list with %s: exit 6', async (_, body, message) => {
    const inspector = await fake({ jsonList: () => ({ body }) });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(message);
    expect(inspector.methods).toEqual([]);
  });

  it('/json/list answering HTTP 500: exit 6', async () => {
    const inspector = await fake({ jsonList: () => ({ status: 500, body: 'oops' }) });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(/answered HTTP 500 to \/json\/list: not an inspector$/);
  });

  it('/json/list sending us to a non-loopback host: refused, exit 6, no connection', async () => {
    const inspector = await fake({ jsonList: () => ({ body: '[{"webSocketDebuggerUrl":"ws://203.0.113.7:9229/abc"}]' }) });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe(`the inspector at 127.0.0.1:${inspector.port} points to ws://203.0.113.7:9229/abc, which is not a loopback address: refusing to connect`);
    expect(hint).toContain('--allow-remote');
  });

  it('a websocket endpoint answering garbage to the handshake: exit 6', async () => {
    const inspector = await fake({ upgradeGarbage: randomBytes(512) });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(/^cannot connect to the inspector at ws:\/\/127\.0\.0\.1:\d+\//);
  });

  it('a websocket sending non-JSON frames: one line, no crash', async () => {
    const inspector = await fake({ onConnect: (connection) => connection.raw('\u0000garbage{') });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(/^the inspector sent a message that is not JSON \(.*\): not a V8 inspector, or a broken one$/);
  });

  it('a websocket sending a frame that opens an object but is not JSON: one line, no crash', async () => {
    const inspector = await fake({ onConnect: (connection) => connection.raw('{"id": 1, garbage') });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toMatch(/^the inspector sent a message that is not JSON \(.*\): not a V8 inspector, or a broken one$/);
  });

  it('a websocket sending JSON that is not an object: one line, no crash', async () => {
    const inspector = await fake({ onConnect: (connection) => connection.raw(' [1, 2]') });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(6);
    expect(oneLineFailure(result).message).toBe('the inspector sent a message that is not a JSON object: not a V8 inspector, or a broken one');
  });

  it('a websocket sending an event without its parameters: one line, no crash', async () => {
    const inspector = await fake({
      handlers: { 'HeapProfiler.takeHeapSnapshot': (_, connection) => connection.raw('{"method":"HeapProfiler.addHeapSnapshotChunk"}') },
    });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).not.toBe(0);
    expect(oneLineFailure(result).message).toMatch(/^could not handle a message from the inspector \(HeapProfiler\.addHeapSnapshotChunk\): /);
  });

  it('a websocket that drops the connection mid-capture: exit 7', async () => {
    const inspector = await fake({ handlers: { 'HeapProfiler.takeHeapSnapshot': (_, connection) => connection.drop() } });
    const result = await attachPort(inspector.port);
    expect(result.code, result.stderr).toBe(7);
    expect(oneLineFailure(result).message).toMatch(/closed the inspector connection/);
  });
});

describe('a target listening on odd ports besides its inspector', () => {
  it('skips a garbage port and a silent port and attaches', async () => {
    // A Node process with --inspect=0, one port that sends garbage and one that never answers.
    const script = `
      const net = require('node:net');
      let listening = 0;
      const ready = () => { if (++listening === 2) process.stdout.write('ready\\n'); };
      net.createServer((s) => s.end(Buffer.alloc(64, 7))).listen(0, '127.0.0.1', ready);
      net.createServer(() => {}).listen(0, '127.0.0.1', ready);
      setInterval(() => {}, 1000);
      process.stdin.on('data', (d) => { if (String(d).includes('ping')) process.stdout.write('pong\\n'); });
    `;
    const target = spawnProcess(process.execPath, ['--inspect=0', '-e', script], { perTest: true });
    await target.waitForLine('ready');
    expect(listeningPorts(target.pid).length, 'the inspector and both odd ports listen').toBe(3);
    const result = await startCli(['attach', String(target.pid), '--json']).finished(15_000);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).target.pid).toBe(target.pid);
  });
});
