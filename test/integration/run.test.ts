// `asyncgraph run` and `attach --children` on fixtures/ci-project, a test suite with one hanging
// test: under `node --test` (Node 20, 22, 24) and under vitest's forks and threads pools.
//
// Every process a test starts carries ASYNCGRAPH_TEST_MARKER=<uuid> in its environment (inherited
// by the whole tree, also by processes that leave it), which is how a test checks that nothing
// survived and how teardown kills whatever did. No test assumes anything about port 9229.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it, type TestContext } from 'vitest';
import { CLI, describeRun, REPO_ROOT, runCli, spawnProcess, type CliResult } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');
const VITEST = join(REPO_ROOT, 'node_modules', '.bin', 'vitest');
const PROJECT = 'fixtures/ci-project';
const NODE_TEST_FILES = [`${PROJECT}/test/passing.test.js`, `${PROJECT}/test/hanging.test.js`];

// Where the fixture's stuck await is (1-based, as printed).
const STUCK = `${PROJECT}/lib/jobs.js:27:15`;
const CALLER = `${PROJECT}/lib/jobs.js:32:15`;

const scratch = mkdtempSync(join(tmpdir(), 'asyncgraph-run-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------------
// Processes by marker

interface Marked {
  pid: number;
  state: string;
  cmdline: string;
}

/** Live (non-zombie) processes whose environment has ASYNCGRAPH_TEST_MARKER=<marker>. */
function markedProcesses(marker: string): Marked[] {
  const needle = `ASYNCGRAPH_TEST_MARKER=${marker}`;
  const found: Marked[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state === 'Z' || state === 'X') continue;
      found.push({ pid: Number(name), state, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** Processes whose command line contains `text` (to find the detached helper by its argv). */
function processesWithArg(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(text)) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** SIGKILL every process carrying the marker, until none is left (bounded). */
async function killMarked(marker: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const left = markedProcesses(marker);
    if (left.length === 0) return;
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
}

/**
 * A marker for one test's processes; when the test ends, pass or fail, whatever carries it is
 * killed (tests run concurrently: each cleans up only its own).
 */
function newMarker(t: TestContext): string {
  const marker = randomUUID();
  t.onTestFinished(() => killMarked(marker));
  return marker;
}

/** Polls (bounded) until `check` returns something. */
async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function readyPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => Number(line.split(' ')[0]));
  } catch {
    return [];
  }
}

// ------------------------------------------------------------------------------------------------
// Report structure

/** The "Stuck awaits:" headline: each stuck await with the thread and test file it is in. */
function headline(stderr: string): { line: string; where: string }[] {
  const start = stderr.indexOf('\nStuck awaits:\n');
  if (start < 0) return [];
  const lines = stderr.slice(start + '\nStuck awaits:\n'.length).split('\n');
  const out: { line: string; where: string }[] = [];
  for (let i = 0; i + 1 < lines.length && lines[i].startsWith('  ') && lines[i + 1].startsWith('      in '); i += 2) {
    out.push({ line: lines[i].trim(), where: lines[i + 1].trim() });
  }
  return out;
}

/** The section of one process or worker, from its `── ` heading to the next. */
function section(stderr: string, headingStart: string): string {
  const start = stderr.indexOf(`\n── ${headingStart}`);
  if (start < 0) return '';
  const end = stderr.indexOf('\n── ', start + 1);
  return stderr.slice(start + 1, end < 0 ? undefined : end + 1);
}

function expectNothingSurvives(result: CliResult, marker: string): void {
  expect(markedProcesses(marker), `processes of the tree still alive after asyncgraph exited\n${describeRun(result)}`).toEqual([]);
}

// A location budget large enough that every frame gets its exact await, even on a busy machine.
const RUN_TIMEOUT = ['--timeout', '5s', '--kill-after', '1s', '--location-budget', '10000'];

// ------------------------------------------------------------------------------------------------

describe.concurrent.each(nodeTargets)('run: node --test on node $major', ({ major, path }) => {
  it('reports the stuck await in the test file\'s process, stops the whole tree, exits 124', async (t) => {
    const marker = newMarker(t);
    const summary = join(scratch, `summary-${major}.md`);
    const jsonOut = join(scratch, `report-${major}.json`);
    const stubborn = `stubborn-${marker}`;
    const result = await runCli(['run', ...RUN_TIMEOUT, '--json-out', jsonOut, '--', path, '--test', ...NODE_TEST_FILES], {
      timeoutMs: 90_000,
      env: {
        ASYNCGRAPH_TEST_MARKER: marker,
        CI_PROJECT_STUBBORN_MARKER: stubborn,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_WORKSPACE: REPO_ROOT,
      },
    });
    const context = describeRun(result);
    expect(result.code, context).toBe(124);
    expect(result.stderr, context).toMatch(/^asyncgraph: command timed out after 5s — await graphs of [34] Node processes follow$/m);

    // Leads with the stuck await, the process and the test file.
    const [first, ...others] = headline(result.stderr);
    expect(first?.line, context).toBe(`waitForJob  ${STUCK}  awaiting Promise <pending>`);
    const where = /^in pid (\d+), test file (.+)$/.exec(first?.where ?? '');
    expect(where?.[2], context).toBe(`${PROJECT}/test/hanging.test.js`);
    expect(others, context).toEqual([]);

    // That pid is the test file's own process, and its forest shows the chain from the test.
    const pid = Number(where![1]);
    const own = section(result.stderr, `process ${pid}, `);
    expect(own, context).toMatch(new RegExp(`^── process ${pid}, parent \\d+: node (… )?${PROJECT}/test/hanging\\.test\\.js\\n`));
    expect(own, context).toContain(`test file: ${PROJECT}/test/hanging.test.js\n`);
    expect(own, context).toContain(`(anonymous)  ${PROJECT}/test/hanging.test.js:8:18\n`);
    // The leaf's waker follows it: the job queue's polling interval (wakeup.test.ts covers those).
    expect(own, context).toMatch(new RegExp(`└── processNextJob  ${CALLER}\\n.*└── waitForJob  ${STUCK}\\n.*└── Promise <pending>  ← interval 250ms \\(\\S+ left\\), callback at ${PROJECT}/lib/jobs\\.js:8:31\\n`));
    // The runner process cannot be inspected (it blocks SIGUSR1) and says so without failing.
    expect(result.stderr, context).toMatch(/not inspectable from outside: SIGUSR1 is blocked in this process/);
    expect(result.stderr, context).not.toMatch(/capture failed/);

    // Nothing of the tree is left, not even the helper that left the session and ignores SIGTERM.
    expectNothingSurvives(result, marker);
    expect(processesWithArg(stubborn), context).toEqual([]);

    // GitHub Actions: an annotation on the stuck line, and the job summary.
    expect(result.stdout.split('\n').filter((line) => line.startsWith('::')), context).toEqual([
      `::error file=${PROJECT}/lib/jobs.js,line=27,col=15,title=asyncgraph%3A stuck await::` +
        `waitForJob is stuck at ${STUCK} awaiting Promise <pending> when the command timed out after 5s ` +
        `(pid ${pid}; test file ${PROJECT}/test/hanging.test.js)`,
    ]);
    const markdown = readFileSync(summary, 'utf8');
    expect(markdown.split('\n')[0]).toBe(`## asyncgraph: \`node --test ${NODE_TEST_FILES.join(' ')}\` timed out after 5s`);
    expect(markdown).toContain(`Test file: \`${PROJECT}/test/hanging.test.js\`\n\nStuck awaits:\n\n- **\`waitForJob\`** at \`${STUCK}\``);
    expect(markdown).toContain('<details><summary>Await forest');

    // --json-out: the same report, with the documents.
    const json = JSON.parse(readFileSync(jsonOut, 'utf8'));
    expect(json).toMatchObject({ reportVersion: 1, reason: { kind: 'timeout', timeoutMs: 5000 } });
    const worker = json.processes.find((proc: { pid: number }) => proc.pid === pid);
    const stuck = worker.document.nodes.find((node: { name: string }) => node.name === 'waitForJob');
    expect(stuck.location).toEqual({ url: `file://${REPO_ROOT}/${PROJECT}/lib/jobs.js`, line: 27, column: 15 });
  });
});

describe('run: vitest', () => {
  it('forks pool: names the fork running the test file, exits 124, leaves nothing', async (t) => {
    const marker = newMarker(t);
    const result = await runCli(['run', ...RUN_TIMEOUT, '--', VITEST, 'run', '--config', `${PROJECT}/vitest.forks.config.js`], {
      timeoutMs: 90_000,
      env: { ASYNCGRAPH_TEST_MARKER: marker },
    });
    const context = describeRun(result);
    expect(result.code, context).toBe(124);
    const [first] = headline(result.stderr);
    expect(first?.line, context).toBe(`waitForJob  ${STUCK}  awaiting Promise <pending>`);
    const where = /^in pid (\d+), test file (.+)$/.exec(first?.where ?? '');
    expect(where?.[2], context).toBe(`${PROJECT}/vitest/hanging.test.js`);
    // A forked worker (not vitest's main process) runs it; its lines are the original ones (source maps).
    const own = section(result.stderr, `process ${where![1]}, `);
    expect(own, context).toMatch(/^── process \d+, parent \d+: node … .*vitest\/dist\/workers\/forks\.js\n/);
    // Exact, or inferred at the same await when a loaded machine spends the lookups' budget first.
    expect(own, context).toMatch(new RegExp(`\\(anonymous\\)  ${PROJECT}/vitest/hanging\\.test\\.js:6:18( \\(inferred\\))?\\n`));
    expect(own, context).toMatch(new RegExp(`└── waitForJob  ${STUCK}\\n`));
    expectNothingSurvives(result, marker);
  });

  it('threads pool: names the worker thread running the test file, exits 124, leaves nothing', async (t) => {
    const marker = newMarker(t);
    // With 127.0.0.1:9229 taken (by us, or already by someone else), nothing may need it.
    const blocker = createServer();
    await new Promise<void>((resolve) => {
      blocker.once('error', () => resolve()).listen(9229, '127.0.0.1', () => resolve());
    });
    t.onTestFinished(() => new Promise<void>((resolve) => (blocker.listening ? blocker.close(() => resolve()) : resolve())));
    const result = await runCli(['run', ...RUN_TIMEOUT, '--', VITEST, 'run', '--config', `${PROJECT}/vitest.threads.config.js`], {
      timeoutMs: 90_000,
      env: { ASYNCGRAPH_TEST_MARKER: marker },
    });
    const context = describeRun(result);
    expect(result.code, context).toBe(124);
    const [first] = headline(result.stderr);
    expect(first?.line, context).toBe(`waitForJob  ${STUCK}  awaiting Promise <pending>`);
    const where = /^in pid (\d+) worker (\d+), test file (.+)$/.exec(first?.where ?? '');
    expect(where?.[3], context).toBe(`${PROJECT}/vitest/hanging.test.js`);
    const [, pid, workerId] = where!;
    // The worker belongs to vitest's main process, and is shown under it.
    expect(section(result.stderr, `process ${pid}, `), context).toMatch(/^── process \d+, parent \d+: node node_modules\/\.bin\/vitest run --config/);
    const worker = section(result.stderr, `worker ${workerId} of process ${pid}: `);
    expect(worker, context).toMatch(new RegExp(`^── worker ${workerId} of process ${pid}: vitest/dist/workers/threads\\.js\\n`));
    expect(worker, context).toContain(`test file: ${PROJECT}/vitest/hanging.test.js\n`);
    expect(worker, context).toMatch(new RegExp(`└── waitForJob  ${STUCK}\\n`));
    expectNothingSurvives(result, marker);
  });
});

describe('run: a command that finishes in time', () => {
  it('passes exit code 3 through, printing nothing of its own', async (t) => {
    const marker = newMarker(t);
    const result = await runCli(['run', '--timeout', '20s', '--', process.execPath, '-e', 'console.log("hello"); process.exit(3)'], {
      env: { ASYNCGRAPH_TEST_MARKER: marker },
    });
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toBe('hello\n');
    expect(result.stderr).toBe('');
  });

  it('passes exit code 0 of a passing node --test run through, output untouched', async (t) => {
    const marker = newMarker(t);
    const result = await runCli(['run', '--timeout', '20s', '--', process.execPath, '--test', NODE_TEST_FILES[0]], {
      env: { ASYNCGRAPH_TEST_MARKER: marker },
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/^# pass 1$/m);
    expect(result.stdout + result.stderr).not.toMatch(/asyncgraph|Debugger|Warning/);
    expectNothingSurvives(result, marker);
  });

  it('exits 128+N when the command is killed by signal N', async () => {
    const result = await runCli(['run', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")']);
    expect(result.code, describeRun(result)).toBe(137);
    expect(result.stderr).toBe('');
  });
});

describe('run: stopped by a signal', () => {
  it('SIGTERM (a cancelled CI job) reports, stops the tree and exits 124', async (t) => {
    const marker = newMarker(t);
    const ready = join(scratch, `ready-${marker}`);
    const asyncgraph = spawnProcess(process.execPath, [CLI, 'run', '--kill-after', '1s', '--', process.execPath, '--test', NODE_TEST_FILES[1]], {
      env: { ASYNCGRAPH_TEST_MARKER: marker, CI_PROJECT_READY_FILE: ready, NO_COLOR: '1' },
      perTest: true,
    });
    await waitFor('the test to wait for its job', () => readyPids(ready).length > 0);
    asyncgraph.child.kill('SIGTERM');
    const [code] = await new Promise<[number | null]>((resolve) => asyncgraph.child.once('exit', (c) => resolve([c])));
    const result: CliResult = { args: ['run', '…'], code, signal: null, stdout: asyncgraph.stdout, stderr: asyncgraph.stderr };
    const context = describeRun(result);
    expect(code, context).toBe(124);
    expect(asyncgraph.stderr, context).toMatch(/^asyncgraph: received SIGTERM, stopping the command — await graphs of 2 Node processes follow$/m);
    expect(headline(asyncgraph.stderr)[0], context).toEqual({
      line: `waitForJob  ${STUCK}  awaiting Promise <pending>`,
      where: `in pid ${readyPids(ready)[0]}, test file ${PROJECT}/test/hanging.test.js`,
    });
    expectNothingSurvives(result, marker);
  });
});

describe('run: expected failures', () => {
  it('a command that does not exist: exit 127, one line', async () => {
    const result = await runCli(['run', '--timeout', '5s', '--', 'asyncgraph-no-such-command']);
    expect(result.code).toBe(127);
    expect(result.stderr).toBe('asyncgraph: command not found: asyncgraph-no-such-command\n');
  });

  it('a bad duration: exit 2, one line and a hint', async () => {
    const result = await runCli(['run', '--timeout', '5 minutes', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'asyncgraph: invalid --timeout: "5 minutes"\n  hint: write a duration such as 500ms, 5s, 10m or 1h (a bare number means seconds), at most 24 days\n',
    );
  });
});

describe('attach --children', () => {
  it('captures a running vitest tree (forks pool): every Node process, the stuck await in the fork', async (t) => {
    const marker = newMarker(t);
    const ready = join(scratch, `ready-${marker}`);
    // Started without asyncgraph: --inspect-port=0 so that SIGUSR1 does not need port 9229.
    const vitest = spawnProcess(process.execPath, [VITEST, 'run', '--config', `${PROJECT}/vitest.forks.config.js`], {
      env: { ASYNCGRAPH_TEST_MARKER: marker, CI_PROJECT_READY_FILE: ready, NODE_OPTIONS: '--inspect-port=0' },
      perTest: true,
    });
    const [forkPid] = await waitFor('the test to wait for its job', () => {
      const pids = readyPids(ready);
      return pids.length > 0 && pids;
    });
    const result = await runCli(['attach', String(vitest.pid), '--children'], { timeoutMs: 90_000 });
    const context = describeRun(result);
    expect(result.code, context).toBe(0);
    expect(result.stdout.split('\n')[0], context).toMatch(new RegExp(`^process tree of pid ${vitest.pid} — [2-9] Node processes$`));
    expect(headline('\n' + result.stdout)[0], context).toEqual({
      line: `waitForJob  ${STUCK}  awaiting Promise <pending>`,
      where: `in pid ${forkPid}, test file ${PROJECT}/vitest/hanging.test.js`,
    });
    expect(result.stdout, context).toMatch(new RegExp(`\\n── process ${vitest.pid}, parent \\d+: node node_modules/\\.bin/vitest run`));
    // Timers' time left comes from each process's own /proc start time, as for a single attach.
    expect(result.stdout, context).toMatch(/\btimer [^\n]*\(\S+ left\)/);
    // attach leaves the tree running.
    expect(markedProcesses(marker).map((proc) => proc.pid)).toEqual(expect.arrayContaining([vitest.pid, forkPid]));
  });

  it('--children needs a pid', async () => {
    const result = await runCli(['attach', '--port', '1', '--children']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^asyncgraph: --children needs a pid\n/);
  });
});
