// Another debugger client already attached to the target (an IDE, Chrome DevTools). Node's
// inspector takes several sessions at once: asyncgraph works next to it and must leave it alone —
// still connected, its domains and its pause untouched, and an inspector it uses never closed
// under it (even one asyncgraph opened itself: then asyncgraph warns instead of closing).

import CDP from 'chrome-remote-interface';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchInspectorTargets } from '../../src/target/discover.js';
import { listeningPorts } from '../../src/target/proc.js';
import { expectAlive, waitForBlockedMainThread } from '../helpers/processes.js';
import { expectUnharmed, inspectorPortOf, spawnFaultTarget, startCli, withoutProgress } from './helpers.js';

const clients = new Set<CDP.Client>();
afterEach(async () => {
  await Promise.all([...clients].map((client) => client.close().catch(() => {})));
  clients.clear();
});

const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

async function otherClient(url: string): Promise<{ client: CDP.Client; disconnected: () => boolean }> {
  const client = await CDP({ target: url, local: true });
  clients.add(client);
  let gone = false;
  client.on('disconnect', () => (gone = true));
  await client.send('Debugger.enable');
  return { client, disconnected: () => gone };
}

/** The other client still works: it can evaluate (the bound only turns a hang into a failure). */
async function expectWorking(client: CDP.Client): Promise<void> {
  const answer = await Promise.race([client.send('Runtime.evaluate', { expression: '6 * 7' }), sleep(20_000).then(() => null)]);
  expect(answer?.result.value, 'the other client got no answer within 20 s').toBe(42);
}

describe('another debugger client attached', () => {
  it('attached to an inspector that was open: asyncgraph captures, the other client is untouched', async () => {
    const target = await spawnFaultTarget({ nodeArgs: ['--inspect=0'] });
    const url = (await target.waitForLine(LISTENING, { stream: 'stderr' })).match(LISTENING)![1];
    const other = await otherClient(url);
    const result = await startCli(['attach', String(target.pid), '--json']).finished();
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).target.pid).toBe(target.pid);
    expect(other.disconnected()).toBe(false);
    await expectWorking(other.client);
    // Not opened by asyncgraph: not closed by it.
    expect(listeningPorts(target.pid).length).toBe(1);
    await expectUnharmed(target);
  });

  it('paused by the other client: asyncgraph captures and leaves the pause to its owner', async () => {
    const target = await spawnFaultTarget({ nodeArgs: ['--inspect=0'] });
    const url = (await target.waitForLine(LISTENING, { stream: 'stderr' })).match(LISTENING)![1];
    const other = await otherClient(url);
    const paused = new Promise<void>((resolve) => other.client.on('Debugger.paused', () => resolve()));
    await other.client.send('Debugger.pause');
    target.child.stdin!.write('ping\n'); // a pause needs JavaScript to interrupt
    await paused;
    const result = await startCli(['attach', String(target.pid)]).finished();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/paused in a debugger/);
    expect(other.disconnected()).toBe(false);
    // Still paused: its main thread is blocked, no pong until the other client resumes.
    const from = target.stdout.length;
    await waitForBlockedMainThread(target.pid);
    expect(target.stdout.slice(from)).not.toContain('pong');
    await other.client.send('Debugger.resume');
    await expectAlive(target);
  });

  // A 200k-object snapshot: on a loaded machine the capture alone can take 15 s.
  it('connected to the inspector asyncgraph opened: asyncgraph warns and leaves it open', async () => {
    const target = await spawnFaultTarget({ objects: 200_000 });
    const cli = startCli(['attach', String(target.pid), '--location-budget', '0']);
    // As soon as the inspector is there (asyncgraph's SIGUSR1), another client connects.
    const port = await inspectorPortOf(target.pid);
    const [first] = await fetchInspectorTargets('127.0.0.1', port, 2000);
    const other = await otherClient(first.webSocketDebuggerUrl);
    const result = await cli.finished(90_000);
    expect(result.code, result.stderr).toBe(0);
    expect(withoutProgress(result.stderr)).toMatch(
      new RegExp(
        `^asyncgraph: warning: the inspector asyncgraph opened in process ${target.pid} on 127\\.0\\.0\\.1:${port} is still open ` +
          '\\(another debugger client connected to it meanwhile \\(1\\), and closing would cut it off\\)',
        'm',
      ),
    );
    expect(other.disconnected()).toBe(false);
    await expectWorking(other.client);
    expect(listeningPorts(target.pid).map((socket) => socket.port)).toEqual([port]);
    await expectUnharmed(target);
  });
});
