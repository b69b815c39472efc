// A target in another network namespace, as in a container: started under `unshare --net` (with
// its loopback up, as a container runtime does). Run as root with nsenter available, asyncgraph
// enters that namespace by itself (src/cli/target-netns.ts), says so, captures, and closes the
// inspector it opened. Needs root and util-linux (unshare, nsenter) and iproute2 (ip): skipped
// with the reason otherwise.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_EXPECTED, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, expectAlive, expectedFailure, FIXTURES_DIR, kill, runCli, spawnProcess, type Spawned } from '../helpers/processes.js';
import { expectNoInspector, startCli } from '../faults/helpers.js';

function missingTools(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

const missing = missingTools();
const scratch = mkdtempSync(join(tmpdir(), 'asyncgraph-netns-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(missing !== undefined)(`a target in another network namespace${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let target: Spawned;
  beforeAll(async () => {
    // exec: the pid we get is the target's. --inspect-port=0: SIGUSR1 picks a free port.
    target = spawnProcess('unshare', [
      '--net',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" "$@"',
      process.execPath,
      '--inspect-port=0',
      join(FIXTURES_DIR, 'nested.js'),
    ]);
    await target.waitForLine('ready');
  });
  afterAll(async () => {
    if (target) await kill(target.child);
  });

  const entering = (pid: number) =>
    `asyncgraph: process ${pid} is in another network namespace (a container?): connecting from inside it (nsenter --target ${pid} --net)\n`;

  it('attach enters the namespace, says so, prints the tree, and closes the inspector again', async () => {
    const run = await runCli(['attach', String(target.pid), '--location-budget', '10000']);
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    expect(run.stderr, context).toBe(entering(target.pid));
    expect(splitTree(run.stdout).body, context).toBe(treeText(NESTED_EXPECTED.tree));
    await expectAlive(target);
    await expectNoInspector(target.pid);
  });

  it('snapshot --pid -o writes the JSON from inside the namespace', async () => {
    const output = join(scratch, 'graph.json');
    const run = await runCli(['snapshot', '--pid', String(target.pid), '-o', output]);
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    expect(run.stderr, context).toBe(entering(target.pid));
    const doc = JSON.parse(readFileSync(output, 'utf8')) as { target: { pid: number }; nodes: { name?: string }[] };
    expect(doc.target.pid).toBe(target.pid);
    expect(doc.nodes.map((node) => node.name)).toEqual(expect.arrayContaining(['outer', 'middle', 'inner']));
    await expectAlive(target);
  });

  it('an error inside keeps its exit code and its one line', async () => {
    const run = await runCli(['attach', String(target.pid), '--timeout', '1ms']);
    const context = describeRun(run);
    expect(run.code, context).toBe(8);
    const lines = run.stderr.replace(/\n$/, '').split('\n');
    expect(lines[0], context).toBe(entering(target.pid).trimEnd());
    expect(lines[1], context).toBe('asyncgraph: the heap snapshot did not finish within 1ms');
    await expectAlive(target);
    await expectNoInspector(target.pid);
  });

  it('SIGINT to asyncgraph reaches the capture inside: it undoes its work and exits 130', async () => {
    const cli = startCli(['attach', String(target.pid), '--watch', '60s']);
    // Interrupted in the first look's snapshot or in the wait of --watch after it (60 s).
    await cli.reached('look 1 of 2: taking heap snapshot');
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    const context = `exit ${result.code}\nstderr:\n${result.stderr}`;
    expect(result.code, context).toBe(130);
    expect(result.stderr, context).toMatch(/^asyncgraph: interrupted by SIGINT/m);
    await expectAlive(target);
    await expectNoInspector(target.pid);
  });

  it('where it does not enter (here: already entered once), one line says why and how', async () => {
    // ASYNCGRAPH_NETNS_ENTERED is the marker of the re-run asyncgraph; set, it stands in for
    // "not root, or no nsenter" (a non-root user could not read a root target's /proc at all).
    const run = await runCli(['attach', String(target.pid)], { env: { ASYNCGRAPH_NETNS_ENTERED: '1' } });
    const context = describeRun(run);
    expect(run.code, context).toBe(6);
    const failure = expectedFailure(run);
    expect(failure.message, context).toBe(`process ${target.pid} is in another network namespace (a container?): its loopback ports are not reachable from here`);
    expect(failure.hint, context).toContain(`sudo nsenter -t ${target.pid} -n asyncgraph`);
    await expectAlive(target);
  });
});
