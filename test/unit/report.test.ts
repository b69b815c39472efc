import { describe, expect, it } from 'vitest';
import type { AwaitGraphDocument, AwaitNode } from '../../src/schema.js';
import { shortCommand } from '../../src/target/command-line.js';
import {
  codeOrigin,
  isTestFile,
  renderTreeReport,
  reportBanner,
  stuckLeaves,
  testFilesOf,
  workerTitle,
  type TreeReport,
} from '../../src/render/report.js';
import { formatDuration } from '../../src/units.js';

const ROOT = '/ci/project';
const url = (path: string) => `file://${ROOT}/${path}`;

type NodeSpec = Partial<AwaitNode> & Pick<AwaitNode, 'id' | 'kind'>;

function node(spec: NodeSpec): AwaitNode {
  return { name: spec.kind === 'promise' ? '' : `f${spec.id}`, location: null, locationSource: 'none', awaitedBy: [], ...spec };
}

function at(path: string, line: number, column: number): Pick<AwaitNode, 'location' | 'locationSource'> {
  return { location: { url: path.startsWith('node:') ? path : url(path), line, column }, locationSource: 'exact' };
}

function doc(pid: number, nodes: AwaitNode[]): AwaitGraphDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'asyncgraph', version: '0.1.0' },
    target: { pid, nodeVersion: 'v20.20.2', url: 'ws://127.0.0.1:1/x' },
    capturedAt: '2026-01-01T00:00:00.000Z',
    nodes,
    cycles: [],
  };
}

// A `node --test` worker: the runner's Test.run races the test function, which is stuck two
// frames down in lib/jobs.js; Node's own reporter is stuck too (an internal leaf).
const testWorker = doc(4242, [
  node({ id: 1, kind: 'async-function', name: 'run', qualifiedName: 'Test.run', internal: true, ...at('node:internal/test_runner/test', 797, 9) }),
  node({ id: 2, kind: 'combinator', name: 'Promise.race', combinator: 'race', awaitedBy: [1] }),
  node({ id: 3, kind: 'async-function', name: '(anonymous)', ...at('test/hanging.test.js', 8, 18), awaitedBy: [2] }),
  node({ id: 4, kind: 'async-function', name: 'processNextJob', ...at('lib/jobs.js', 29, 15), awaitedBy: [3] }),
  node({ id: 5, kind: 'async-function', name: 'waitForJob', ...at('lib/jobs.js', 24, 15), awaitedBy: [4] }),
  node({ id: 6, kind: 'promise', awaitedBy: [5] }),
  node({ id: 7, kind: 'promise', awaitedBy: [2] }),
  node({ id: 8, kind: 'async-function', name: 'startSubtest', internal: true, ...at('node:internal/test_runner/harness', 259, 3) }),
  node({ id: 9, kind: 'promise', awaitedBy: [8] }),
]);

// A runner's main process: only library frames, one awaiting through Promise.all.
const runnerMain = doc(4240, [
  node({ id: 20, kind: 'async-function', name: 'executeTests', ...at('node_modules/vitest/dist/cli-api.js', 3779, 25) }),
  node({ id: 21, kind: 'combinator', name: 'Promise.allSettled', combinator: 'allSettled', awaitedBy: [20] }),
  node({ id: 22, kind: 'async-function', name: 'run', qualifiedName: 'Pool.run', ...at('node_modules/vitest/dist/cli-api.js', 3491, 3), awaitedBy: [21] }),
  node({ id: 23, kind: 'promise', awaitedBy: [22] }),
]);

describe('stuckLeaves', () => {
  it('finds frames with no suspended frame below them, user code first, with what they await', () => {
    const leaves = stuckLeaves(testWorker);
    expect(leaves.map((leaf) => [leaf.frame.name, leaf.origin, leaf.awaiting.map((n) => n.kind)])).toEqual([
      ['waitForJob', 'user', ['promise']],
      ['startSubtest', 'internal', ['promise']],
    ]);
  });

  it('looks through combinators: a frame awaiting Promise.all of frames is not a leaf', () => {
    expect(stuckLeaves(runnerMain).map((leaf) => leaf.frame.qualifiedName ?? leaf.frame.name)).toEqual(['Pool.run']);
  });

  it('counts a frame without anything below it as a leaf, and nothing else', () => {
    const lonely = doc(1, [node({ id: 1, kind: 'async-generator', name: 'ticks', ...at('src/a.js', 1, 1) }), node({ id: 2, kind: 'then', awaitedBy: [] })]);
    expect(stuckLeaves(lonely).map((leaf) => [leaf.frame.id, leaf.awaiting.length])).toEqual([[1, 0]]);
  });

  it('is not fooled by await cycles (every frame on a cycle awaits a frame)', () => {
    const cycle = doc(1, [
      node({ id: 1, kind: 'async-function', awaitedBy: [2], ...at('src/a.js', 1, 1) }),
      node({ id: 2, kind: 'async-function', awaitedBy: [1], ...at('src/a.js', 2, 1) }),
    ]);
    expect(stuckLeaves(cycle)).toEqual([]);
  });

  it('classifies code by URL', () => {
    expect(codeOrigin(node({ id: 1, kind: 'async-function', ...at('lib/x.js', 1, 1) }))).toBe('user');
    expect(codeOrigin(node({ id: 1, kind: 'async-function', ...at('node_modules/x/y.js', 1, 1) }))).toBe('library');
    expect(codeOrigin(node({ id: 1, kind: 'async-function', ...at('node:internal/x', 1, 1) }))).toBe('internal');
    expect(codeOrigin(node({ id: 1, kind: 'async-function' }))).toBe('unknown');
  });
});

describe('test files', () => {
  it.each([
    ['file:///p/test/a.test.js', true],
    ['file:///p/src/a.spec.mts', true],
    ['file:///p/test/helpers/db.js', true],
    ['file:///p/__tests__/x.tsx', true],
    ['/p/tests/unit/x.cjs', true],
    ['test/hanging.test.js', true],
    ['file:///p/lib/jobs.js', false],
    ['file:///p/node_modules/x/test/a.test.js', false],
    ['node:internal/test_runner/test', false],
    ['file:///p/test/fixture.json', false],
  ])('%s → %s', (path, expected) => {
    expect(isTestFile(path)).toBe(expected);
  });

  it('looks for test directories below cwd, so a checkout in a directory named test is no test file', () => {
    expect(isTestFile('file:///home/runner/work/test/test/src/app.js', { cwd: '/home/runner/work/test/test' })).toBe(false);
    expect(isTestFile('file:///home/runner/work/test/test/test/app.js', { cwd: '/home/runner/work/test/test' })).toBe(true);
    expect(isTestFile('file:///p/test/helpers/db.js', { strict: true })).toBe(false);
  });

  it('prefers *.test.* names to files that are only under a test directory', () => {
    const mixed = doc(1, [
      node({ id: 1, kind: 'async-function', name: 'helper', ...at('test/helpers/db.js', 3, 3) }),
      node({ id: 2, kind: 'async-function', name: 't', ...at('test/db.test.js', 9, 3) }),
    ]);
    expect(testFilesOf(mixed, [], ROOT)).toEqual([url('test/db.test.js')]);
    expect(testFilesOf(undefined, ['node', 'test/run-all.js'], ROOT)).toEqual(['test/run-all.js']);
  });

  it('prefers the files of stuck frames, then other frames, then the command line, each once', () => {
    expect(testFilesOf(testWorker, ['/usr/bin/node', `${ROOT}/test/hanging.test.js`])).toEqual([url('test/hanging.test.js')]);
    expect(testFilesOf(testWorker, ['node', 'test/hanging.test.js'])).toEqual([url('test/hanging.test.js')]);
    expect(testFilesOf(undefined, ['node', '--test-reporter=tap', 'test/other.test.js'])).toEqual(['test/other.test.js']);
    expect(testFilesOf(runnerMain, ['node', 'node_modules/.bin/vitest', 'run'])).toEqual([]);
  });
});

describe('workerTitle', () => {
  it("names a worker by its entry file (after its name when it has one), not Node's [worker N]", () => {
    const url = 'file:///app/node_modules/vitest/dist/workers/threads.js';
    expect(workerTitle({ workerId: '1', title: '[worker 1]', url }, { cwd: '/app' })).toBe('vitest/dist/workers/threads.js');
    expect(workerTitle({ workerId: '2', title: '[worker 2] resizer', url: 'file:///app/src/resize.js' }, { cwd: '/app' })).toBe('resizer, src/resize.js');
    expect(workerTitle({ workerId: '3', title: '[worker 3]', url: '' }, {})).toBe('[worker 3]');
  });
});

describe('shortCommand', () => {
  it('shows paths relative to cwd and quotes what a shell would need quoted', () => {
    expect(shortCommand(['/usr/bin/node', `${ROOT}/test/a.test.js`, 'a b'], { cwd: ROOT })).toBe('node test/a.test.js "a b"');
  });

  it('drops options and their values when the line is long, keeping the operands', () => {
    const argv = ['/usr/bin/node', '--require', '/x/suppress-warnings.cjs', '--conditions', 'node', `--long=${'x'.repeat(120)}`, `${ROOT}/w/forks.js`];
    expect(shortCommand(argv, { cwd: ROOT })).toBe('node … w/forks.js');
  });
});

const report: TreeReport = {
  reportVersion: 1,
  reason: { kind: 'timeout', timeoutMs: 5000 },
  command: ['npx', 'vitest', 'run'],
  rootPid: 4240,
  capturedAt: '2026-01-01T00:00:00.000Z',
  processes: [
    {
      pid: 4240,
      ppid: 4239,
      argv: ['node', `${ROOT}/node_modules/.bin/vitest`, 'run'],
      document: runnerMain,
      workers: [{ workerId: '1', title: '[worker 1]', url: url('node_modules/vitest/dist/workers/threads.js'), document: testWorker }],
    },
    { pid: 4250, ppid: 4240, argv: ['node', `${ROOT}/server.js`], error: 'process 4250 exited during the capture', workers: [] },
  ],
};

describe('renderTreeReport', () => {
  const text = renderTreeReport(report, { colors: false, cwd: ROOT });

  it('leads with the stuck awaits in user code, where they are and in which test file', () => {
    expect(text.split('\n').slice(0, 4)).toEqual([
      'Stuck awaits:',
      '  waitForJob  lib/jobs.js:24:15  awaiting Promise <pending>',
      '      in pid 4240 worker 1, test file test/hanging.test.js',
      'Not captured: pid 4250 (see below)',
    ]);
  });

  it('then per process and worker: heading, test file, stuck leaves, the full forest', () => {
    expect(text).toContain(
      [
        '── worker 1 of process 4240: vitest/dist/workers/threads.js',
        'test file: test/hanging.test.js',
        'stuck (1 leaf await, and 1 in Node internals):',
        '  waitForJob  lib/jobs.js:24:15  awaiting Promise <pending>',
        'pid 4242, node v20.20.2 — 5 suspended frames, 3 pending promises',
      ].join('\n'),
    );
    expect(text).toContain('        ├── (anonymous)  test/hanging.test.js:8:18\n        │   └── processNextJob  lib/jobs.js:29:15\n        │       └── waitForJob  lib/jobs.js:24:15\n');
    expect(text).toContain(
      [
        '── process 4240, parent 4239: node node_modules/.bin/vitest run',
        'stuck (1 leaf await):',
        '  Pool.run  vitest/dist/cli-api.js:3491:3  awaiting Promise <pending>  (library)',
      ].join('\n'),
    );
    expect(text).toContain('── process 4250, parent 4240: node server.js\ncapture failed: process 4250 exited during the capture\n');
  });

  it('falls back to library leaves when no thread is stuck in user code', () => {
    const libraryOnly = { ...report, processes: [{ ...report.processes[0], workers: [] }] };
    expect(renderTreeReport(libraryOnly, { colors: false, cwd: ROOT }).split('\n').slice(0, 3)).toEqual([
      'Stuck awaits:',
      '  Pool.run  vitest/dist/cli-api.js:3491:3  awaiting Promise <pending>  (library)',
      '      in pid 4240',
    ]);
  });

  it('groups the same stuck await in several frames', () => {
    const twice = doc(1, [
      node({ id: 1, kind: 'async-function', name: 'acquire', ...at('src/pool.js', 19, 5) }),
      node({ id: 2, kind: 'promise', awaitedBy: [1] }),
      node({ id: 3, kind: 'async-function', name: 'acquire', ...at('src/pool.js', 19, 5) }),
      node({ id: 4, kind: 'promise', awaitedBy: [3] }),
    ]);
    const one = { ...report, processes: [{ pid: 1, ppid: null, argv: ['node', 'a.js'], document: twice, workers: [] }] };
    expect(renderTreeReport(one, { colors: false, cwd: ROOT })).toContain('stuck (2 leaf awaits):\n  acquire  src/pool.js:19:5  awaiting Promise <pending>  ×2\n');
  });

  it('heads an attach report with the tree it covers', () => {
    const attached: TreeReport = { ...report, reason: { kind: 'attach' }, command: undefined };
    expect(renderTreeReport(attached, { colors: false, cwd: ROOT }).split('\n')[0]).toBe('process tree of pid 4240 — 2 Node processes, 1 worker thread');
  });
});

describe('reportBanner', () => {
  it('says why and how many graphs follow', () => {
    expect(reportBanner({ kind: 'timeout', timeoutMs: 5000 }, 3, formatDuration)).toBe(
      'asyncgraph: command timed out after 5s — await graphs of 3 Node processes follow',
    );
    expect(reportBanner({ kind: 'signal', signal: 'SIGTERM' }, 1, formatDuration)).toBe(
      'asyncgraph: received SIGTERM, stopping the command — the await graph of 1 Node process follows',
    );
    expect(reportBanner({ kind: 'timeout', timeoutMs: 600_000 }, 0, formatDuration)).toBe(
      'asyncgraph: command timed out after 10m — no Node.js process is left in its process tree',
    );
  });
});
