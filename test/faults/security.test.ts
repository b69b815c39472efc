// What asyncgraph must never leave behind or reach out to:
//  - an inspector it opened with SIGUSR1 stays open only with --keep-inspector: any local user
//    reaching 127.0.0.1:PORT could run code in the target. Checked on every Node major, and for
//    `attach --children` and `run` too;
//  - non-loopback inspector addresses need --allow-remote, and are warned about;
//  - the values of variables are never printed.

import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CLOSE_INSPECTOR_EXPRESSION } from '../../src/session/close-inspector.js';
import { listeningPorts } from '../../src/target/proc.js';
import { CLI, REPO_ROOT, spawnProcess } from '../helpers/processes.js';
import { RECORDED_SNAPSHOT, startFakeInspector, streamSnapshot, type FakeInspector } from './fake-inspector.js';
import { expectNoInspector, expectUnharmed, oneLineFailure, spawnFaultTarget, startCli, withoutProgress } from './helpers.js';

const nodeTargets = inject('nodeTargets');

const fakes = new Set<FakeInspector>();
afterEach(async () => {
  await Promise.all([...fakes].map((fake) => fake.close()));
  fakes.clear();
});

describe('closing the inspector asyncgraph opened', () => {
  it('is the one expression documented', () => {
    expect(CLOSE_INSPECTOR_EXPRESSION).toBe('process._debugEnd()');
  });

  it.each(nodeTargets)('node $major: closed again after attach; --keep-inspector leaves it open', async ({ path }) => {
    const target = await spawnFaultTarget({ nodePath: path });
    const result = await startCli(['attach', String(target.pid)]).finished();
    expect(result.code, result.stderr).toBe(0);
    expect(withoutProgress(result.stderr), 'no warning').toBe('');
    expect(target.stderr).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//);
    await expectUnharmed(target, { inspectorClosed: true });

    // Again, keeping it this time: it stays, and the next attach finds it open (and leaves it so).
    const kept = await startCli(['attach', String(target.pid), '--keep-inspector']).finished();
    expect(kept.code, kept.stderr).toBe(0);
    const ports = listeningPorts(target.pid).map((socket) => socket.port);
    expect(ports.length).toBe(1);
    const again = await startCli(['attach', String(target.pid)]).finished();
    expect(again.code, again.stderr).toBe(0);
    expect(listeningPorts(target.pid).map((socket) => socket.port)).toEqual(ports);
    await expectUnharmed(target);
  });

  it('attach --children closes what it opened', async () => {
    const target = await spawnFaultTarget();
    const result = await startCli(['attach', String(target.pid), '--children']).finished();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`process ${target.pid}`);
    await expectUnharmed(target, { inspectorClosed: true });
  });

  it('snapshot closes what it opened', async () => {
    const target = await spawnFaultTarget();
    const result = await startCli(['snapshot', '--pid', String(target.pid)]).finished();
    expect(result.code, result.stderr).toBe(0);
    await expectUnharmed(target, { inspectorClosed: true });
  });

  it('run closes what it opened before stopping the tree', async () => {
    // The target reports on SIGTERM (run's stop) whether its inspector is still open.
    const run = spawnProcess(process.execPath, [CLI, 'run', '--timeout', '1s', '--', process.execPath, 'fixtures/fault-target.js'], {
      perTest: true,
      env: { NO_COLOR: '1', FAULT_SIGTERM_REPORT: '1' },
    });
    const line = await run.waitForLine(/^inspector (closed|open)/, { timeoutMs: 20_000 });
    expect(line, run.stderr).toBe('inspector closed');
    await new Promise<void>((resolve) => (run.child.exitCode !== null ? resolve() : run.child.once('exit', () => resolve())));
    expect(run.child.exitCode, run.stderr).toBe(124);
    expect(run.stderr).toMatch(/process \d+, parent \d+: .*fault-target\.js/);
  });
});

describe('remote addresses', () => {
  // Every outgoing socket the CLI opens, as seen from inside it (connection-log.cjs, preloaded).
  const CONNECTION_LOG = { NODE_OPTIONS: `--require ${JSON.stringify(join(REPO_ROOT, 'test/faults/connection-log.cjs'))}` };
  const outgoingSockets = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('connection-log: ')).length;

  it('--host that is not loopback: refused without --allow-remote, before any connection', async () => {
    const result = await startCli(['attach', '--host', '203.0.113.7', '--port', '9229'], CONNECTION_LOG).finished();
    expect(outgoingSockets(result.stderr), result.stderr).toBe(0);
    expect(result.code, result.stderr).toBe(2);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('refusing to connect to the inspector at 203.0.113.7:9229: 203.0.113.7 is not a loopback address');
    expect(hint).toMatch(/--allow-remote/);

    // The log sees a connection the CLI does make: a loopback port that accepts and hangs up.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const loopback = await startCli(['attach', '--host', '127.0.0.1', '--port', String(port)], CONNECTION_LOG).finished();
      expect(outgoingSockets(loopback.stderr), loopback.stderr).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  it('--url that is not loopback: refused without --allow-remote', async () => {
    const result = await startCli(['attach', '--url', 'ws://[2001:db8::1]:9229/abc']).finished();
    expect(result.code, result.stderr).toBe(2);
    expect(oneLineFailure(result).message).toBe('refusing to connect to the inspector at [2001:db8::1]:9229: 2001:db8::1 is not a loopback address');
  });

  it('loopback spellings are not remote: localhost, 127.x, [::1]', async () => {
    for (const url of ['ws://localhost:1/x', 'ws://127.9.9.9:1/x', 'ws://[::1]:1/x']) {
      const result = await startCli(['attach', '--url', url]).finished();
      expect(result.code, `${url}: ${result.stderr}`).not.toBe(2);
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && !address.internal && address.family === 'IPv4')?.address;
  it.skipIf(!external)(`--allow-remote: connects to a non-loopback address and warns${external ? '' : ' — skipped: no non-loopback IPv4 address'}`, async () => {
    const inspector = await startFakeInspector({ host: external!, handlers: { 'HeapProfiler.takeHeapSnapshot': streamSnapshot(RECORDED_SNAPSHOT) } });
    fakes.add(inspector);
    const result = await startCli(['attach', '--host', external!, '--port', String(inspector.port), '--allow-remote', '--json']).finished();
    expect(result.code, result.stderr).toBe(0);
    expect(withoutProgress(result.stderr)).toBe(
      `asyncgraph: warning: connecting to the inspector at ${external}:${inspector.port}, which is not a loopback address (--allow-remote): ` +
        'the inspector protocol is unauthenticated and unencrypted, anyone who can reach that port can run code in the process\n',
    );
  });
});

describe('values', () => {
  const secret = 'sk-live-5f1d0c9e-DO-NOT-PRINT';

  /** The CLI's output for a target holding `secret` (FAULT_SECRET), in the default formats. */
  async function outputs(): Promise<string[]> {
    const holder = spawnProcess(process.execPath, ['--inspect-port=0', 'fixtures/fault-target.js'], { perTest: true, env: { FAULT_SECRET: secret } });
    await holder.waitForLine('ready');
    const texts: string[] = [];
    for (const format of [[], ['--json']]) {
      const result = await startCli(['attach', String(holder.pid), '--location-budget', '5000', ...format]).finished();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('authenticate');
      expect(result.stdout).toContain('awaitSession');
      texts.push(result.stdout + withoutProgress(result.stderr));
    }
    await expectNoInspector(holder.pid);
    return texts;
  }

  it('never printed: variables, arguments, closure variables', async () => {
    for (const text of await outputs()) {
      // `Bearer ${token}` is a local and a closure variable of the suspended `authenticate`.
      expect(text).not.toContain('Bearer');
      expect(text.replaceAll(`"session:${secret}"`, '').replaceAll(`session:${secret}`, '')).not.toContain(secret);
    }
  });

  // Data used as a property key: `waitersByToken[\`session:${token}\`] = resolve`. The "held in"
  // descriptions of pending promises (src/wakeups/holder-path.ts) print such keys today.
  it('never printed: data used as a property key', async () => {
    for (const text of await outputs()) expect(text).not.toContain(secret);
  });
});
