// How the target was started decides how the CLI reaches its inspector:
//   --inspect=0          already open on a random port: found through /proc, no signal needed;
//   --inspect-port=0     closed: SIGUSR1 opens it on a random port;
//   --inspect-port=P     with P taken by someone else: SIGUSR1 cannot open it → exit 6;
//   no flags             SIGUSR1 would use 9229: with 9229 taken → exit 6.
// In every case the target must keep running. Nothing here needs port 9229 to be free.

import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { headerPattern, NESTED_EXPECTED, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, expectAlive, expectedFailure, runCli, spawnFixture } from '../helpers/processes.js';

const NESTED_TREE = treeText(NESTED_EXPECTED.tree);
const EXACT = ['--location-budget', '10000'];
const NESTED_COUNTS = NESTED_EXPECTED.counts;
const LISTENING = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//;

const nodeTargets = inject('nodeTargets');

const servers = new Set<Server>();
afterEach(async () => {
  await Promise.all([...servers].map((server) => new Promise<void>((done) => server.close(() => done()))));
  servers.clear();
});

/** Listen on 127.0.0.1:`port` (0: any free port); resolves with the port, rejects with EADDRINUSE. */
function occupy(port: number): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      servers.add(server);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

describe.each(nodeTargets)('node $major', ({ major, path }) => {
  it('--inspect=0: attaches to the open inspector (by pid and by --port)', async () => {
    const target = await spawnFixture(path, 'nested.js', { nodeArgs: ['--inspect=0'], perTest: true });
    const port = Number((await target.waitForLine(LISTENING, { stream: 'stderr' })).match(LISTENING)![1]);
    expect(port).not.toBe(9229);

    // A budget no loaded machine runs out of: the tree compared is of exact locations.
    const run = await runCli(['attach', String(target.pid), '--no-color', ...EXACT]);
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    const { header, body } = splitTree(run.stdout);
    expect(header, context).toMatch(headerPattern(target.pid, major, NESTED_COUNTS));
    expect(body, context).toBe(NESTED_TREE);
    await expectAlive(target);

    const byPort = await runCli(['attach', '--port', String(port), '--no-color', ...EXACT]);
    const byPortContext = describeRun(byPort);
    expect(byPort.code, byPortContext).toBe(0);
    const tree = splitTree(byPort.stdout);
    // The process listening on the port is named (found by the socket's inode in /proc).
    expect(tree.header, byPortContext).toMatch(headerPattern(target.pid, major, NESTED_COUNTS));
    expect(tree.body, byPortContext).toBe(NESTED_TREE);
    await expectAlive(target);
  });

  it('--inspect-port=0: opens the inspector with SIGUSR1 on a random port', async () => {
    const target = await spawnFixture(path, 'nested.js', { nodeArgs: ['--inspect-port=0'], perTest: true });
    expect(target.stderr).not.toMatch(LISTENING);

    // A budget no loaded machine runs out of: the tree compared is of exact locations.
    const run = await runCli(['attach', String(target.pid), '--no-color', ...EXACT]);
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    const { header, body } = splitTree(run.stdout);
    expect(header, context).toMatch(headerPattern(target.pid, major, NESTED_COUNTS));
    expect(body, context).toBe(NESTED_TREE);
    const port = Number(target.stderr.match(LISTENING)?.[1]);
    expect(port, `${context}\ntarget stderr:\n${target.stderr}`).toBeGreaterThan(0);
    expect(port).not.toBe(9229);
    await expectAlive(target);
  });

  it('--inspect-port=P with P taken: exit 6 naming the port, target still alive', async () => {
    const port = await occupy(0);
    const target = await spawnFixture(path, 'nested.js', { nodeArgs: [`--inspect-port=${port}`], perTest: true });

    const run = await runCli(['attach', String(target.pid), '--no-color']);
    const context = describeRun(run);
    expect(run.code, context).toBe(6);
    const { message, hint } = expectedFailure(run);
    expect(message, context).toMatch(new RegExp(`\\bport ${port} is already in use\\b`));
    // We hold the port ourselves, so the CLI can name us.
    expect(message, context).toContain(`by pid ${process.pid}`);
    expect(hint, context).toContain('--inspect-port=0');
    await expectAlive(target);
  });
});

describe('no inspector flags at all', () => {
  it('with port 9229 taken: exit 6 naming 9229, target still alive', async () => {
    let ours = false;
    try {
      await occupy(9229);
      ours = true;
    } catch (error) {
      // Someone else holds 9229 already: just as good.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
    const target = await spawnFixture(nodeTargets[0].path, 'nested.js', { nodeArgs: [], perTest: true });

    const run = await runCli(['attach', String(target.pid), '--no-color']);
    const context = describeRun(run);
    expect(run.code, context).toBe(6);
    const { message, hint } = expectedFailure(run);
    expect(message, context).toMatch(/\bport 9229 is already in use\b/);
    if (ours) expect(message, context).toContain(`by pid ${process.pid}`);
    expect(hint, context).toContain('--inspect-port=0');
    await expectAlive(target);
  });
});
