// Busy processes (a CPU loop, a catastrophic regex, a top-level endless loop) and an idle one,
// on every Node.js major the suite targets: what `attach` says the main thread is doing, the
// running stack joined with the await graph, --samples, and above all that no target is ever
// left paused — after a normal capture, when the tool is SIGKILLed or gets SIGINT/SIGTERM while
// the target is paused, and when it is killed while it waits for a pause of an idle target.
//
// A busy fixture cannot answer stdin, so "still running" is judged by its main thread's CPU time
// (/proc/PID/task/PID/stat) going on: a paused thread waits in the inspector's message loop and
// uses none. The idle fixture must answer `ping` (fixtures/lib/harness.cjs), also after its 40 ms
// timer has fired a few more times (it counts them). Every check waits for such an event, bounded
// only to fail instead of hanging: no sleep, no wall-clock limit. Tests run one at a time: each
// busy fixture keeps a core busy.

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import type { AwaitGraphDocument, StackFrame } from '../../src/schema.js';
import { parseDocument } from '../helpers/graph.js';
import {
  CLI,
  describeRun,
  expectAlive,
  kill,
  runCli,
  spawnFixture,
  spawnProcess,
  type CliResult,
  type FixtureTarget,
  type Spawned,
  waitForBlockedMainThread,
  waitForCpuTicks,
} from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');

/** The busy target still burns CPU: its main thread's CPU time goes on (a paused one uses none). */
async function expectRunning(target: FixtureTarget, context = ''): Promise<void> {
  expect(target.child.exitCode, `target exited\n${target.stderr}`).toBeNull();
  try {
    await waitForCpuTicks(target.pid, 2);
  } catch (error) {
    throw new Error(`target ${target.pid}: paused? ${(error as Error).message}\n${context}`);
  }
}

/**
 * Resolves once the tool (run with --test-hold-pause) says it holds a pause and the
 * target's main thread is indeed seen blocked, not using the CPU; bounded.
 */
async function waitUntilPaused(target: FixtureTarget, tool: Spawned, timeoutMs = 10_000): Promise<void> {
  await tool.waitForLine(/^asyncgraph: test hook: holding a pause/, { stream: 'stderr', timeoutMs });
  await waitForBlockedMainThread(target.pid);
}

/** How often busy-idle.js's 40 ms interval timer has run (asked on stdin, so it also proves the loop answers). */
async function timerRuns(target: FixtureTarget): Promise<number> {
  const from = target.stdout.length;
  target.child.stdin!.write('timers\n');
  const line = await target.waitForLine(/^timers \d+$/, { from });
  return Number(line.slice('timers '.length));
}

/**
 * busy-idle.js's interval timer runs `count` more times: a pause request left pending would have
 * stopped it at its next run. Polled (each poll a round trip on stdin); bounded by the test's timeout.
 */
async function expectTimerRuns(target: FixtureTarget, count = 3): Promise<void> {
  const first = await timerRuns(target);
  while ((await timerRuns(target)) < first + count) await sleep(40);
}

function busyFixture(path: string, fixture: string): Promise<FixtureTarget> {
  return spawnFixture(path, fixture, { nodeArgs: ['--inspect-port=0'], perTest: true });
}

/** The stack from its first frame named `name` on; that frame is at most `slack` frames deep (a
 * pause may rarely land in something the busy frame calls now and then). */
function stackFrom(stack: StackFrame[] | undefined, name: string, slack = 2): StackFrame[] {
  const index = (stack ?? []).findIndex((frame) => frame.functionName === name);
  expect(index, `no frame ${name} in ${JSON.stringify(stack)}`).toBeGreaterThanOrEqual(0);
  expect(index).toBeLessThanOrEqual(slack);
  return stack!.slice(index);
}

function where(frame: StackFrame): string {
  return frame.location ? `${frame.location.url.replace(/^.*\/fixtures\//, 'fixtures/')}:${frame.location.line}:${frame.location.column}` : '-';
}

function nodeById(doc: AwaitGraphDocument, id: number | undefined) {
  return doc.nodes.find((node) => node.id === id);
}

// A busy target on a loaded machine (CI runs test files in parallel, and busy fixtures each burn
// a core) can take longer than the default 300 ms to answer a pause; these tests are about what
// the pause finds, not how fast it comes.
const BUSY_FLAGS = ['--pause-timeout', '2000'];

async function attachJson(pid: number, extra: string[] = []): Promise<{ run: CliResult; doc: AwaitGraphDocument; context: string }> {
  const run = await runCli(['attach', String(pid), '--json', ...extra]);
  const context = describeRun(run);
  expect(run.code, context).toBe(0);
  return { run, doc: parseDocument(run.stdout), context };
}

describe.each(nodeTargets)('node $major', ({ major, path }) => {
  const header = (pid: number, rest: string) => new RegExp(`^pid ${pid}, node v${major}\\.\\d+\\.\\d+ — ${rest}$`);

  it('busy-nested.js: hotLoop ← parse ← async handle ← async main, and it keeps running', async () => {
    const target = await busyFixture(path, 'busy-nested.js');

    const { doc, context } = await attachJson(target.pid);
    const execution = doc.execution!;
    expect(execution.state, context).toBe('running');
    const stack = stackFrom(execution.stack, 'hotLoop');
    expect(stack.map((frame) => frame.functionName), context).toEqual(['hotLoop', 'parse', 'handle']);
    // Busy inside the loop (lines 20-22), called from parse and handle at these calls:
    expect(where(stack[0]), context).toMatch(/^fixtures\/busy-nested\.js:2[0-2]:\d+$/);
    expect(stack.slice(1).map(where), context).toEqual(['fixtures/busy-nested.js:27:3', 'fixtures/busy-nested.js:33:3']);
    expect(stack[2].kind, context).toBe('async-function');
    expect(stack[2].nodeId, context).toBe(execution.runningNodeId);
    const handle = nodeById(doc, execution.runningNodeId);
    expect(handle, context).toMatchObject({ kind: 'async-function', name: 'handle', state: 'running' });
    const main = nodeById(doc, handle!.awaitedBy[0]);
    expect(main, context).toMatchObject({ name: 'main', state: 'suspended', locationSource: 'exact', awaitedBy: [] });
    expect(main!.location?.line, context).toBe(37);
    await expectRunning(target, context);

    const run = await runCli(['attach', String(target.pid), '--no-color', ...BUSY_FLAGS]);
    const text = describeRun(run);
    expect(run.code, text).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0], text).toMatch(header(target.pid, 'running JavaScript, 1 suspended frame, 0 pending promises'));
    expect(lines[1], text).toMatch(/^running: (\S+ ← ){0,2}hotLoop ← parse ← async handle ← async main$/);
    expect(run.stdout, text).toContain('\n  parse  fixtures/busy-nested.js:27:3\n  async handle  fixtures/busy-nested.js:33:3\n');
    expect(run.stdout, text).toMatch(/\n└── main {2}fixtures\/busy-nested\.js:37:3\n {4}└── ▶ handle {2}fixtures\/busy-nested\.js:33:3 \[running\]\n/);
    await expectRunning(target, text);
  });

  it('busy-toplevel.js: the stack ends in the top level of the script, nothing awaits it', async () => {
    const target = await busyFixture(path, 'busy-toplevel.js');
    const { doc, context } = await attachJson(target.pid);
    const execution = doc.execution!;
    expect(execution.state, context).toBe('running');
    const [top, ...below] = execution.stack!;
    expect(top, context).toMatchObject({ functionName: '', topLevel: true, locationSource: 'exact' });
    expect(where(top), context).toMatch(/^fixtures\/busy-toplevel\.js:1[5-7]:\d+$/);
    // Below it only Node's CommonJS loader and bootstrap.
    expect(below.length, context).toBeGreaterThan(0);
    for (const frame of below) expect(frame.internal, context).toBe(true);
    expect(execution.runningNodeId, context).toBeUndefined();
    expect(doc.nodes.filter((node) => !node.internal), context).toEqual([]);
    await expectRunning(target, context);

    const run = await runCli(['attach', String(target.pid), '--no-color', ...BUSY_FLAGS]);
    const lines = run.stdout.split('\n');
    expect(lines[0], describeRun(run)).toMatch(header(target.pid, 'running JavaScript, 0 suspended frames, 0 pending promises'));
    expect(lines[1], describeRun(run)).toBe('running: (top level) busy-toplevel.js');
    expect(lines[2], describeRun(run)).toMatch(/^▶ \(top level\) {2}fixtures\/busy-toplevel\.js:1[5-7]:\d+$/);
    expect(lines[3], describeRun(run)).toMatch(/^ {4}… \d+ frames in Node\.js internals$/);
    await expectRunning(target);
  });

  it('busy-regex.js: the pause lands in the function running the regex, awaited by main', async () => {
    const target = await busyFixture(path, 'busy-regex.js');
    const { doc, context } = await attachJson(target.pid);
    const execution = doc.execution!;
    expect(execution.state, context).toBe('running');
    // V8 checks for interrupts while it backtracks: the top frame is the caller of .test(),
    // at the call (no frame for the regex itself).
    expect(execution.stack!.map((frame) => frame.functionName), context).toEqual(['validate', 'checkUploads']);
    expect(execution.stack!.map(where), context).toEqual(['fixtures/busy-regex.js:16:20', 'fixtures/busy-regex.js:23:31']);
    const checkUploads = nodeById(doc, execution.runningNodeId);
    expect(checkUploads, context).toMatchObject({ name: 'checkUploads', state: 'running' });
    expect(nodeById(doc, checkUploads!.awaitedBy[0])?.name, context).toBe('main');
    await expectRunning(target, context);

    const run = await runCli(['attach', String(target.pid), '--no-color', ...BUSY_FLAGS]);
    expect(run.stdout.split('\n')[1], describeRun(run)).toBe('running: validate ← async checkUploads ← async main');
    await expectRunning(target);
  });

  it('busy-idle.js: idle in event loop, quickly, and never paused afterwards (its timer keeps firing)', async () => {
    const target = await spawnFixture(path, 'busy-idle.js', { nodeArgs: ['--inspect-port=0'], perTest: true });
    // "Quickly": one pause round of 300 ms (no wall-clock check: runCli's own bound only turns a
    // hang into a failure).
    const { doc, context } = await attachJson(target.pid, ['--location-budget', '0']);
    expect(doc.execution, context).toEqual({ state: 'idle', pauseTimeoutMs: 300 });
    await expectAlive(target);
    // The 40 ms interval fires a few more times after we left: a pause request left behind would
    // have stopped it there, and nothing would answer.
    await expectTimerRuns(target);

    const run = await runCli(['attach', String(target.pid), '--no-color', ...BUSY_FLAGS]);
    expect(run.stdout.split('\n')[0], describeRun(run)).toMatch(header(target.pid, 'idle in event loop, 1 suspended frame, 1 pending promise'));
    await expectTimerRuns(target);
  });

  it('--samples: every round sees the same tight loop; an idle target stays idle', async () => {
    const target = await busyFixture(path, 'busy-nested.js');
    const { doc, context } = await attachJson(target.pid, [...BUSY_FLAGS, '--samples', '5', '--sample-interval', '50', '--location-budget', '0']);
    const samples = doc.execution!.samples!;
    expect(samples.length, context).toBe(5);
    for (const sample of samples) {
      expect(sample.state, context).toBe('running');
      expect(stackFrom(sample.stack, 'hotLoop').map((frame) => frame.functionName), context).toEqual(['hotLoop', 'parse', 'handle']);
    }
    expect(samples.map((sample) => sample.atMs), context).toEqual([...samples.map((sample) => sample.atMs)].sort((a, b) => a - b));
    expect(doc.execution!.sampleIntervalMs, context).toBe(50);

    const run = await runCli(['attach', String(target.pid), '--no-color', ...BUSY_FLAGS, '--samples', '4', '--sample-interval', '50']);
    const text = describeRun(run);
    expect(run.stdout, text).toMatch(/\nsamples: 4 every 50 ms — 4 running, 0 idle\n {2}\d×  (\S+ {2}\S+ ← )?hotLoop( {2}fixtures\/busy-nested\.js:2[0-2]:\d+)? ← parse ← async handle\n/);
    await expectRunning(target, text);
    await kill(target.child);

    // Slow progress: the same job found in different steps (each a third of the time; all ten
    // samples in one step has a chance of 3 in 3^10).
    const progress = await busyFixture(path, 'busy-progress.js');
    // Sampling is statistical and a loaded machine skews it: up to three tries of ten samples.
    let spread!: Awaited<ReturnType<typeof attachJson>>;
    let steps = new Set<string | undefined>();
    for (let attempt = 0; attempt < 3 && steps.size < 2; attempt++) {
      spread = await attachJson(progress.pid, [...BUSY_FLAGS, '--samples', '10', '--sample-interval', '30', '--location-budget', '0']);
      steps = new Set(
        spread.doc.execution!.samples!.map((sample) => sample.stack?.find((frame) => ['tokenize', 'parse', 'render'].includes(frame.functionName))?.functionName),
      );
    }
    expect(steps.size, spread.context).toBeGreaterThanOrEqual(2);
    await expectRunning(progress, spread.context);
    await kill(progress.child);

    const idle = await spawnFixture(path, 'busy-idle.js', { nodeArgs: ['--inspect-port=0'], perTest: true });
    const idleRun = await attachJson(idle.pid, ['--samples', '3', '--sample-interval', '10', '--location-budget', '0']);
    expect(idleRun.doc.execution!.samples!.map((sample) => sample.state), idleRun.context).toEqual(['idle', 'idle', 'idle']);
    await expectAlive(idle);
  });

  it('never left paused: SIGKILL of the tool while the target is paused', async () => {
    const target = await busyFixture(path, 'busy-nested.js');
    // The test hook keeps the pause 20 s instead of resuming at once.
    const cli = spawnProcess(process.execPath, [CLI, 'attach', String(target.pid), '--json', '--test-hold-pause', '20000'], {
      env: { NO_COLOR: '1' },
      perTest: true,
    });
    await waitUntilPaused(target, cli);
    await kill(cli.child);
    // V8 resumes when the debugger session goes away with the connection.
    await expectRunning(target, `tool stderr:\n${cli.stderr}`);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`never left paused: ${signal} to the tool while the target is paused`, async () => {
      const target = await busyFixture(path, 'busy-nested.js');
      const cli = spawnProcess(process.execPath, [CLI, 'attach', String(target.pid), '--json', '--test-hold-pause', '20000'], {
        env: { NO_COLOR: '1' },
        perTest: true,
      });
      await waitUntilPaused(target, cli);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        cli.child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
      );
      cli.child.kill(signal);
      // The tool's own bound is its cleanup bound + 1 s (src/cli/interrupt.ts); this one only turns
      // a hang into a failure.
      const result = await Promise.race([exited, sleep(30_000).then(() => null)]);
      expect(result, `the tool did not exit within 30 s of ${signal}\nstderr:\n${cli.stderr}`).not.toBeNull();
      // It stopped (resuming and disabling first), and says so with 128 + the signal's number.
      expect(result!.code, cli.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(cli.stdout, 'no document after a signal').toBe('');
      await expectRunning(target, `tool: ${JSON.stringify(result)}\nstderr:\n${cli.stderr}`);
    });
  }

  it('never left paused: SIGKILL of the tool while it waits for an idle target to pause', async () => {
    const target = await spawnFixture(path, 'busy-idle.js', { nodeArgs: ['--inspect-port=0'], perTest: true });
    // A long bound, waited for in full: the tool is still waiting when it is killed.
    const cli = spawnProcess(process.execPath, [CLI, 'attach', String(target.pid), '--json', '--pause-timeout', '10000', '--test-full-pause-wait', '--test-progress'], {
      env: { NO_COLOR: '1' },
      perTest: true,
    });
    await target.waitForLine('Debugger attached.', { stream: 'stderr' });
    await cli.waitForLine('asyncgraph: progress: checking whether it runs JavaScript', { stream: 'stderr' });
    // The target's timer keeps running while the tool waits for its pause round.
    await expectTimerRuns(target);
    expect(cli.child.exitCode, cli.stderr).toBeNull();
    await kill(cli.child);
    await expectAlive(target);
    await expectTimerRuns(target);
  });
});
