// Spawns real processes (Node targets and `sleep`) and discovers / activates their inspectors.
// Never assumes anything about port 9229: every inspector uses port 0 or a port we hold ourselves.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  activateInspector,
  catchesSigusr1,
  expectedInspectorAddress,
  fetchInspectorTargets,
  findInspector,
  isNodeProcess,
  loopbackHostFor,
  parsePid,
  resolveTarget,
  splitNodeOptions,
} from '../../src/target/discover.js';
import { listeningPorts, readProcessInfo } from '../../src/target/proc.js';
import {
  AsyncgraphError,
  ExitCode,
  InspectorUnavailableError,
  NotAnInspectorError,
  NotNodeProcessError,
  TimeoutError,
} from '../../src/errors.js';

const TEST_TIMEOUT = 20_000;
const IDLE = 'setInterval(() => {}, 1000)';
const READY_IDLE = `console.log('ready'); ${IDLE}`;

// ------------------------------------------------------------------------------------------------
// Child process bookkeeping: everything spawned is killed in teardown, even when a test fails.

interface Target {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
}

const children = new Set<ChildProcess>();
const servers = new Set<NetServer | HttpServer>();
const connections = new Set<Socket>();

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('NODE_OPTIONS' in extra)) delete env.NODE_OPTIONS;
  return env;
}

function start(cmd: string, args: string[], opts: { env?: Record<string, string>; argv0?: string } = {}): Target {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(opts.env),
    ...(opts.argv0 ? { argv0: opts.argv0 } : {}),
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.on('exit', () => children.delete(child));
  if (child.pid === undefined) throw new Error(`failed to spawn ${cmd}`);
  return { child, pid: child.pid, out: () => out, err: () => err };
}

function startNode(nodeArgs: string[], script: string, env?: Record<string, string>): Target {
  return start(process.execPath, [...nodeArgs, '-e', script], { env });
}

/**
 * Wait until `test` (given stdout and stderr) returns a value: checked at each output of the
 * child, or polled for conditions outside its output (/proc); fails fast if the child exits. The
 * bound only turns a hang into a failure.
 */
async function waitFor<T>(t: Target, test: (out: string, err: string) => T | undefined | null | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = test(t.out(), t.err());
    if (v) return v;
    if (t.child.exitCode !== null || t.child.signalCode !== null) {
      throw new Error(`child ${t.pid} exited (${t.child.exitCode ?? t.child.signalCode}); stderr: ${t.err()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for child ${t.pid}; stdout: ${t.out()} stderr: ${t.err()}`);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        t.child.stdout!.off('data', done);
        t.child.stderr!.off('data', done);
        t.child.off('exit', done);
        resolve();
      };
      const timer = setTimeout(done, 20);
      t.child.stdout!.on('data', done);
      t.child.stderr!.on('data', done);
      t.child.on('exit', done);
    });
  }
}

const debuggerPort = (_out: string, err: string) => {
  const m = /Debugger listening on ws:\/\/[^\s]*?:(\d+)\//.exec(err);
  return m ? Number(m[1]) : undefined;
};
const ready = (out: string) => out.includes('ready');

async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(resolve, 2000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
  for (const c of connections) c.destroy();
  connections.clear();
  await Promise.all(
    [...servers].map((s) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      s.close(() => {
        clearTimeout(timer);
        resolve();
      });
      if ('closeAllConnections' in s) s.closeAllConnections();
    })),
  );
  servers.clear();
}

afterEach(killAll);
afterAll(killAll);

/** Signals pending for the process (process-wide and its main thread's), from /proc/PID/status. */
function pendingSignals(pid: number): bigint {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return mask('ShdPnd') | mask('SigPnd');
}

/**
 * Alive = not exited, once no signal is pending any more: kill() queues a signal before it
 * returns, so a deadly one sent by the code under test has landed by then (an event, not a sleep).
 */
async function expectStillAlive(t: Target): Promise<void> {
  await waitFor(t, () => pendingSignals(t.pid) === 0n);
  expect(t.child.exitCode).toBeNull();
  expect(t.child.signalCode).toBeNull();
  expect(readProcessInfo(t.pid).state).not.toBe('Z');
}

async function expectError(p: Promise<unknown>): Promise<AsyncgraphError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AsyncgraphError);
    return err as AsyncgraphError;
  }
  throw new Error('expected a rejection');
}

function listen<S extends NetServer | HttpServer>(server: S, host = '127.0.0.1'): Promise<number> {
  servers.add(server);
  server.on('connection', (c: Socket) => connections.add(c));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const supportsDisableSigusr1 = spawnSync(process.execPath, ['--disable-sigusr1', '-e', '0'], { env: cleanEnv() }).status === 0;

// ------------------------------------------------------------------------------------------------

describe('pure helpers', () => {
  it('isNodeProcess', () => {
    const yes = ['/usr/bin/node', 'node', '/usr/bin/nodejs', '/opt/node20', '/x/node-22', 'node22.1.0', '/p/node_modules/node/bin/xyz'];
    for (const p of yes) expect(isNodeProcess({ exe: null, argv: [p] }), p).toBe(true);
    expect(isNodeProcess({ exe: '/usr/local/bin/node', argv: ['my-server'] })).toBe(true);
    const no = ['/usr/bin/sleep', 'nodemon', '/usr/bin/bun', 'deno', 'node-gyp', 'nodeX', ''];
    for (const p of no) expect(isNodeProcess({ exe: null, argv: [p] }), p).toBe(false);
    expect(isNodeProcess({ exe: null, argv: [] })).toBe(false);
  });

  it('expectedInspectorAddress', () => {
    const n = process.execPath;
    expect(expectedInspectorAddress([n, 'app.js'])).toEqual({ host: '127.0.0.1', port: 9229 });
    expect(expectedInspectorAddress([n, '--inspect-port=0', 'app.js'])).toEqual({ host: '127.0.0.1', port: 0 });
    expect(expectedInspectorAddress([n, '--inspect-port', '9333', 'app.js'])).toEqual({ host: '127.0.0.1', port: 9333 });
    expect(expectedInspectorAddress([n, '--inspect=0.0.0.0:9400', 'app.js'])).toEqual({ host: '0.0.0.0', port: 9400 });
    expect(expectedInspectorAddress([n, '--inspect-brk=[::1]:9401'])).toEqual({ host: '::1', port: 9401 });
    expect(expectedInspectorAddress([n, '--inspect=localhost'])).toEqual({ host: 'localhost', port: 9229 });
    // options after the script belong to the script
    expect(expectedInspectorAddress([n, 'app.js', '--inspect-port=1'])).toEqual({ host: '127.0.0.1', port: 9229 });
    // -e consumes its value; options after it are still node's
    expect(expectedInspectorAddress([n, '-e', '--inspect-port=5', '--inspect-port=6', 'x'])).toMatchObject({ port: 6 });
    // NODE_OPTIONS first, the command line wins
    expect(expectedInspectorAddress([n, 'app.js'], '--max-old-space-size=100 --inspect-port=9500')).toMatchObject({ port: 9500 });
    expect(expectedInspectorAddress([n, '--inspect-port=9501', 'app.js'], '--inspect-port=9500')).toMatchObject({ port: 9501 });
  });

  it('splitNodeOptions', () => {
    expect(splitNodeOptions('  --a  --b="x y" "--c=\\"q\\""  ')).toEqual(['--a', '--b=x y', '--c="q"']);
    expect(splitNodeOptions('')).toEqual([]);
  });

  it('loopbackHostFor', () => {
    expect(loopbackHostFor('127.0.0.1')).toBe('127.0.0.1');
    expect(loopbackHostFor('127.1.2.3')).toBe('127.1.2.3');
    expect(loopbackHostFor('0.0.0.0')).toBe('127.0.0.1');
    expect(loopbackHostFor('::')).toBe('::1');
    expect(loopbackHostFor('::1')).toBe('::1');
    expect(loopbackHostFor('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(loopbackHostFor('192.168.1.2')).toBeNull();
    expect(loopbackHostFor('fd00::2')).toBeNull();
  });

  it('parsePid', () => {
    expect(parsePid('123')).toBe(123);
    expect(parsePid(7)).toBe(7);
    for (const bad of ['abc', '12x', '', '-1', '0', 0, -1, 1.5, Number.NaN, '99999999999999999999']) {
      let err: unknown;
      try {
        parsePid(bad);
      } catch (e) {
        err = e;
      }
      expect((err as AsyncgraphError)?.exitCode, String(bad)).toBe(ExitCode.Usage);
    }
  });

  it('readProcessInfo(self)', () => {
    const info = readProcessInfo(process.pid);
    expect(info.pid).toBe(process.pid);
    expect(info.tgid).toBe(process.pid);
    expect(info.ppid).toBe(process.ppid);
    expect(info.exe).toBe(realpathSync(process.execPath));
    expect(info.uid).toBe(process.getuid!());
    expect(isNodeProcess(info)).toBe(true);
    expect(catchesSigusr1(info)).toBe(true);
    expect(info.startTime).toBeGreaterThan(0);
  });
});

describe('fetchInspectorTargets against hostile servers', { timeout: TEST_TIMEOUT }, () => {
  it('times out on a server that accepts but never answers', async () => {
    const server = createNetServer(() => {});
    const port = await listen(server);
    // The error type says the bound fired (nothing else ends the wait); the test's timeout only
    // turns a hang into a failure.
    const err = await expectError(fetchInspectorTargets('127.0.0.1', port, 300));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.exitCode).toBe(ExitCode.Timeout);
  });

  it('times out on a server that dribbles its body forever', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const port = await listen(server);
    const err = await expectError(fetchInspectorTargets('127.0.0.1', port, 400));
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it('caps a body that streams endlessly', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x5b); // "[[[[…"
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const port = await listen(server);
    const err = await expectError(fetchInspectorTargets('127.0.0.1', port, 10_000));
    expect(err).toBeInstanceOf(NotAnInspectorError);
    expect(err.message).toMatch(/more than/);
  });

  it.each([
    ['non-JSON', 'text/html', '<html>hello</html>', /non-JSON/],
    ['not an array', 'application/json', '{"webSocketDebuggerUrl":"ws://x"}', /not an array/],
    ['an array without webSocketDebuggerUrl', 'application/json', '[{"id":"a"}]', /webSocketDebuggerUrl/],
    ['an empty array', 'application/json', '[]', /webSocketDebuggerUrl/],
  ])('rejects %s', async (_name, type, body, re) => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    const port = await listen(server);
    const err = await expectError(fetchInspectorTargets('127.0.0.1', port, 2000));
    expect(err).toBeInstanceOf(NotAnInspectorError);
    expect(err.exitCode).toBe(ExitCode.InspectorUnavailable);
    expect(err.message).toMatch(re);
  });

  it('rejects a 404 and a non-HTTP protocol', async () => {
    const http404 = createHttpServer((_req, res) => {
      res.writeHead(404);
      res.end('[]');
    });
    const p1 = await listen(http404);
    expect((await expectError(fetchInspectorTargets('127.0.0.1', p1, 2000))).message).toMatch(/HTTP 404/);

    const ssh = createNetServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const p2 = await listen(ssh);
    expect(await expectError(fetchInspectorTargets('127.0.0.1', p2, 2000))).toBeInstanceOf(NotAnInspectorError);
  });

  it('reports a closed port as unavailable', async () => {
    const server = createNetServer();
    const port = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    const err = await expectError(fetchInspectorTargets('127.0.0.1', port, 2000));
    expect(err).toBeInstanceOf(InspectorUnavailableError);
    expect(err).not.toBeInstanceOf(NotAnInspectorError);
  });
});

describe('discovery and activation of real processes', { timeout: TEST_TIMEOUT }, () => {
  it('1. finds the inspector of node --inspect=0 (not assuming 9229)', async () => {
    const t = startNode(['--inspect=0'], IDLE);
    const port = await waitFor(t, debuggerPort);
    const found = await findInspector(t.pid, { timeoutMs: 3000 });
    expect(found).not.toBeNull();
    expect(found!.port).toBe(port);
    expect(found!.host).toBe('127.0.0.1');
    expect(found!.webSocketDebuggerUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/[0-9a-f-]+$`));
    expect(found!.targets[0].type).toBe('node');

    const resolved = await resolveTarget(String(t.pid), { timeoutMs: 5000 });
    expect(resolved).toMatchObject({ pid: t.pid, host: '127.0.0.1', port, activated: false, nodeVersion: process.version });
  });

  it('1b. finds inspectors on a wildcard address and on ::1', async () => {
    const a = startNode(['--inspect=0.0.0.0:0'], IDLE);
    const b = startNode(['--inspect=[::1]:0'], IDLE);
    const pa = await waitFor(a, debuggerPort);
    const pb = await waitFor(b, debuggerPort);
    expect(await findInspector(a.pid, { timeoutMs: 3000 })).toMatchObject({ host: '127.0.0.1', port: pa });
    const fb = await findInspector(b.pid, { timeoutMs: 3000 });
    expect(fb).toMatchObject({ host: '::1', port: pb });
    expect(fb!.webSocketDebuggerUrl).toContain(`[::1]:${pb}`);
  });

  it('2. activates the inspector of a node process started with --inspect-port=0', async () => {
    const t = startNode(['--inspect-port=0'], READY_IDLE);
    await waitFor(t, ready);
    expect(await findInspector(t.pid, { timeoutMs: 2000 })).toBeNull();

    const act = await activateInspector(t.pid, { timeoutMs: 5000 });
    expect(act.activated).toBe(true);
    expect(act.port).toBeGreaterThan(0);
    expect(act.port).not.toBe(9229);
    expect(await waitFor(t, debuggerPort)).toBe(act.port);
    expect(act.webSocketDebuggerUrl).toContain(`:${act.port}/`);

    // Now it is open: resolveTarget finds it without activating again.
    const resolved = await resolveTarget(t.pid);
    expect(resolved).toMatchObject({ port: act.port, activated: false });
    await expectStillAlive(t);
  });

  it('2b. resolveTarget activates when needed', async () => {
    const t = startNode(['--inspect-port=0'], READY_IDLE);
    await waitFor(t, ready);
    const resolved = await resolveTarget(t.pid, { timeoutMs: 5000 });
    expect(resolved.activated).toBe(true);
    expect(resolved.port).toBe(await waitFor(t, debuggerPort));
    expect(resolved.nodeVersion).toBe(process.version);
  });

  it('3. refuses a node process that does not handle SIGUSR1, and leaves it alive', async () => {
    // Node < 22.14 has no --disable-sigusr1; removing the last SIGUSR1 listener has the same
    // effect on the signal disposition (SIG_DFL: the signal would terminate the process).
    const t = supportsDisableSigusr1
      ? startNode(['--disable-sigusr1', '--inspect-port=0'], READY_IDLE)
      : startNode(
          ['--inspect-port=0'],
          `const f = () => {}; process.on('SIGUSR1', f); process.off('SIGUSR1', f); ${READY_IDLE}`,
        );
    await waitFor(t, ready);
    const info = readProcessInfo(t.pid);
    expect(isNodeProcess(info)).toBe(true);
    expect(catchesSigusr1(info)).toBe(false);

    const err = await expectError(activateInspector(t.pid, { timeoutMs: 2000 }));
    expect(err).toBeInstanceOf(InspectorUnavailableError);
    expect(err.exitCode).toBe(ExitCode.InspectorUnavailable);
    expect(err.message).toMatch(/--disable-sigusr1/);
    const err2 = await expectError(resolveTarget(t.pid, { timeoutMs: 2000 }));
    expect(err2.exitCode).toBe(ExitCode.InspectorUnavailable);
    await expectStillAlive(t);
  });

  it('3b. refuses a fake "node" without a SIGUSR1 handler (it would be killed)', async () => {
    const t = start('sleep', ['30'], { argv0: '/opt/fake/bin/node' });
    await waitFor(t, () => readProcessInfo(t.pid).argv[0] === '/opt/fake/bin/node');
    expect(isNodeProcess(readProcessInfo(t.pid))).toBe(true);
    const err = await expectError(activateInspector(t.pid, { timeoutMs: 2000 }));
    expect(err.exitCode).toBe(ExitCode.InspectorUnavailable);
    await expectStillAlive(t);
  });

  it('4. rejects a non-node process, and leaves it alive', async () => {
    const t = start('sleep', ['30']);
    await waitFor(t, () => readProcessInfo(t.pid).comm === 'sleep');
    const err = await expectError(resolveTarget(t.pid, { timeoutMs: 2000 }));
    expect(err).toBeInstanceOf(NotNodeProcessError);
    expect(err.exitCode).toBe(ExitCode.NotNode);
    expect(err.message).toBe(`process ${t.pid} (\`sleep\`) is not a Node.js process`);
    expect((await expectError(activateInspector(t.pid, { timeoutMs: 2000 }))).exitCode).toBe(ExitCode.NotNode);
    await expectStillAlive(t);
  });

  it('5. reports a pid that does not exist with exit code 3', async () => {
    const t = start(process.execPath, ['-e', '0']);
    await new Promise<void>((resolve) => (t.child.exitCode !== null ? resolve() : t.child.once('exit', () => resolve())));
    // the pid could in theory be reused already; then skip to a pid above pid_max
    const pid = existsSync(`/proc/${t.pid}`) ? 2 ** 22 + 1 : t.pid;
    for (const p of [resolveTarget(pid), findInspector(pid), activateInspector(pid)]) {
      const err = await expectError(p);
      expect(err.exitCode).toBe(ExitCode.NoSuchProcess);
    }
    expect((await expectError(resolveTarget('not-a-pid'))).exitCode).toBe(ExitCode.Usage);
    expect((await expectError(resolveTarget(0))).exitCode).toBe(ExitCode.Usage);
    expect((await expectError(activateInspector(-1))).exitCode).toBe(ExitCode.Usage);
  });

  it('6. reports the inspector port taken by another process, and leaves the target alive', async () => {
    const blocker = createNetServer();
    const port = await listen(blocker, '127.0.0.1');
    const t = startNode([`--inspect-port=${port}`], READY_IDLE);
    await waitFor(t, ready);

    const err = await expectError(activateInspector(t.pid, { timeoutMs: 5000 }));
    expect(err).toBeInstanceOf(InspectorUnavailableError);
    expect(err.message).toContain(`port ${port} is already in use`);
    expect(err.message).toContain(`by pid ${process.pid}`);
    expect(err.hint).toMatch(/--inspect-port=0/);
    // Node itself says so on its stderr.
    await waitFor(t, (_o, e) => /address already in use/i.test(e));
    await expectStillAlive(t);
  });

  it('6b. reads the inspector port from NODE_OPTIONS too', async () => {
    const blocker = createNetServer();
    const port = await listen(blocker, '127.0.0.1');
    const t = startNode([], READY_IDLE, { NODE_OPTIONS: `--inspect-port=${port}` });
    await waitFor(t, ready);
    const err = await expectError(resolveTarget(t.pid, { timeoutMs: 5000 }));
    expect(err.exitCode).toBe(ExitCode.InspectorUnavailable);
    expect(err.message).toContain(`port ${port} is already in use`);
    await expectStillAlive(t);
  });

  it('2c. activates a target whose main thread is busy', async () => {
    const t = startNode(['--inspect-port=0'], "console.log('ready'); for (;;) {}");
    await waitFor(t, ready);
    const act = await activateInspector(t.pid, { timeoutMs: 5000 });
    expect(act.port).toBe(await waitFor(t, debuggerPort));
  });

  it('2d. times out (exit 6) when the app has its own SIGUSR1 listener, and leaves it alive', async () => {
    const t = startNode(['--inspect-port=0'], `process.on('SIGUSR1', () => console.log('app got SIGUSR1')); ${READY_IDLE}`);
    await waitFor(t, ready);
    const err = await expectError(activateInspector(t.pid, { timeoutMs: 1000 }));
    expect(err).toBeInstanceOf(InspectorUnavailableError);
    expect(err.message).toMatch(/no inspector appeared within 1000 ms/);
    expect(err.hint).toMatch(/SIGUSR1 listener/);
    await waitFor(t, (out) => out.includes('app got SIGUSR1'));
    await expectStillAlive(t);
  });

  it('7. picks the inspector among the app’s own HTTP servers', async () => {
    const script = `
      const http = require('http');
      const decoy = http.createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('[{"id":"x","title":"decoy"}]'); });
      const html = http.createServer((q, s) => s.end('<html>app</html>'));
      const hang = http.createServer(() => {});
      const ports = {};
      let n = 0;
      for (const [name, srv, host] of [['decoy', decoy, '127.0.0.1'], ['html', html, '0.0.0.0'], ['hang', hang, '127.0.0.1']]) {
        srv.listen(0, host, () => { ports[name] = srv.address().port; if (++n === 3) console.log('ports ' + JSON.stringify(ports)); });
      }
      ${IDLE}`;
    const t = startNode(['--inspect=0'], script);
    const inspectorPort = await waitFor(t, debuggerPort);
    const ports = await waitFor(t, (out) => {
      const m = /ports (\{.*\})/.exec(out);
      return m ? (JSON.parse(m[1]) as Record<string, number>) : undefined;
    });
    const listening = listeningPorts(t.pid).map((s) => s.port);
    expect(listening).toEqual(expect.arrayContaining([inspectorPort, ...Object.values(ports)]));

    // The hanging server must not hold up the answer once the inspector has been found: with a
    // bound longer than the test's timeout, waiting for it would fail the test (no wall clock).
    const found = await findInspector(t.pid, { timeoutMs: 60_000 });
    expect(found).toMatchObject({ host: '127.0.0.1', port: inspectorPort });
  });

  it('7b. an app with only a decoy server and no inspector gets activated', async () => {
    const script = `
      require('http').createServer((q, s) => s.end('[]')).listen(0, '127.0.0.1', () => console.log('ready'));
      ${IDLE}`;
    const t = startNode(['--inspect-port=0'], script);
    await waitFor(t, ready);
    expect(await findInspector(t.pid, { timeoutMs: 2000 })).toBeNull();
    const act = await activateInspector(t.pid);
    expect(act.port).toBe(await waitFor(t, debuggerPort));
  });
});
