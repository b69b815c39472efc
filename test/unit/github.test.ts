import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AwaitGraphDocument, AwaitNode } from '../../src/schema.js';
import { githubAnnotations, renderGithubSummary } from '../../src/render/github.js';
import type { TreeReport } from '../../src/render/report.js';
import { formatDuration } from '../../src/units.js';
import { writeTreeReport } from '../../src/cli/tree-output.js';

const WORKSPACE = '/home/runner/work/app/app';
const url = (path: string) => `file://${WORKSPACE}/${path}`;

function frame(id: number, name: string, path: string, line: number, column: number, awaitedBy: number[] = []): AwaitNode {
  const location = { url: path.startsWith('node:') || path.startsWith('/') ? (path.startsWith('/') ? `file://${path}` : path) : url(path), line, column };
  return { id, kind: 'async-function', name, location, locationSource: 'exact', awaitedBy, ...(path.startsWith('node:') ? { internal: true } : {}) };
}

function promise(id: number, awaitedBy: number[]): AwaitNode {
  return { id, kind: 'promise', name: '', location: null, locationSource: 'none', awaitedBy };
}

function doc(pid: number, nodes: AwaitNode[]): AwaitGraphDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'asyncgraph', version: '0.1.0' },
    target: { pid, nodeVersion: 'v22.23.3', url: 'ws://127.0.0.1:1/x' },
    capturedAt: '2026-01-01T00:00:00.000Z',
    nodes,
    cycles: [],
  };
}

const worker = doc(101, [
  frame(1, '(anonymous)', 'test/queue.test.js', 6, 18),
  frame(2, 'waitForJob', 'lib/jobs.js', 24, 15, [1]),
  promise(3, [2]),
  frame(4, 'startSubtest', 'node:internal/test_runner/harness', 259, 3),
  promise(5, [4]),
]);
const other = doc(102, [
  // The same await, reached from another test file; and one outside the workspace.
  frame(10, '(anonymous)', 'test/other, odd: name.test.js', 3, 9),
  frame(11, 'waitForJob', 'lib/jobs.js', 24, 15, [10]),
  promise(12, [11]),
  frame(13, 'poll', '/opt/shared/poller.js', 5, 3),
  promise(14, [13]),
]);
const runner = doc(100, [frame(20, 'run', 'node_modules/vitest/dist/pool.js', 10, 3), promise(21, [20])]);

const report: TreeReport = {
  reportVersion: 1,
  reason: { kind: 'timeout', timeoutMs: 5000 },
  command: ['npm', 'test'],
  rootPid: 99,
  capturedAt: '2026-01-01T00:00:00.000Z',
  processes: [
    { pid: 100, ppid: 99, argv: ['node', `${WORKSPACE}/node_modules/.bin/vitest`, 'run'], document: runner, workers: [] },
    { pid: 101, ppid: 100, argv: ['node', `${WORKSPACE}/test/queue.test.js`], document: worker, workers: [] },
    { pid: 102, ppid: 100, argv: ['node', 'worker.js'], document: other, workers: [{ workerId: '1', title: '[worker 1]', url: url('w.js'), error: 'the worker thread exited' }] },
  ],
};
const options = { workspace: WORKSPACE, durationText: formatDuration };

describe('renderGithubSummary', () => {
  const markdown = renderGithubSummary(report, options);

  it('has a heading with the command and what happened', () => {
    expect(markdown.split('\n')[0]).toBe('## asyncgraph: `npm test` timed out after 5s');
  });

  it('names the script of a shell run with -c (the Action runs `bash -e -o pipefail -c COMMAND`)', () => {
    const heading = (command: string[]) => renderGithubSummary({ ...report, command }, options).split('\n')[0];
    expect(heading(['bash', '-e', '-o', 'pipefail', '-c', 'npm ci && npm test'])).toBe('## asyncgraph: `npm ci && npm test` timed out after 5s');
    expect(heading(['/bin/sh', '-c', 'make test'])).toBe('## asyncgraph: `make test` timed out after 5s');
    // Not a shell's -c script: the command line as usual.
    expect(heading(['node', '-c', 'x.js'])).toBe('## asyncgraph: `node -c x.js` timed out after 5s');
  });

  it('puts threads stuck in user code first: test file, stuck leaves, then the forest collapsed', () => {
    const first = markdown.indexOf('### process 101');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(markdown.indexOf('### process 100'));
    const section = markdown.slice(first, markdown.indexOf('### process 102'));
    expect(section).toBe(
      [
        '### process 101, parent 100: node test/queue.test.js',
        '',
        'Test file: `test/queue.test.js`',
        '',
        'Stuck awaits:',
        '',
        '- **`waitForJob`** at `lib/jobs.js:24:15`, awaiting `Promise <pending>`',
        '',
        '<details><summary>Await forest (3 suspended frames, 2 pending promises)</summary>',
        '',
        '```text',
        'pid 101, node v22.23.3 — 3 suspended frames, 2 pending promises',
        '└── (anonymous)  test/queue.test.js:6:18',
        '    └── waitForJob  lib/jobs.js:24:15',
        '        └── Promise <pending>',
        '└── startSubtest  node:internal/test_runner/harness:259:3',
        '    └── Promise <pending>',
        '```',
        '',
        '</details>',
        '',
        '',
      ].join('\n'),
    );
  });

  it('lists library leaves as such, and failed captures in one line', () => {
    expect(markdown).toContain('- `run` at `vitest/dist/pool.js:10:3`, awaiting `Promise <pending>` (library)');
    expect(markdown).toContain('### worker 1 of process 102: w.js\n\nNot captured: the worker thread exited\n');
  });
});

describe('githubAnnotations', () => {
  const lines = githubAnnotations(report, options);

  it('emits one ::error per stuck await in user code, with the file relative to the workspace and the line', () => {
    expect(lines).toEqual([
      '::error file=lib/jobs.js,line=24,col=15,title=asyncgraph%3A stuck await::waitForJob is stuck at lib/jobs.js:24:15 awaiting Promise <pending> (2 frames) when the command timed out after 5s (pid 101, pid 102; test file test/queue.test.js)',
      '::error title=asyncgraph%3A stuck await::poll is stuck at /opt/shared/poller.js:5:3 awaiting Promise <pending> when the command timed out after 5s (pid 102; test file test/other, odd: name.test.js)',
    ]);
  });

  it('escapes properties (%, :, ,) and data (%, CR, LF)', () => {
    const odd = doc(7, [frame(1, 'a%b\nc', 'src/we,ird:dir/x.js', 1, 1), promise(2, [1])]);
    const [line] = githubAnnotations({ ...report, processes: [{ pid: 7, ppid: null, argv: ['node'], document: odd, workers: [] }] }, options);
    expect(line.startsWith('::error file=src/we%2Cird%3Adir/x.js,line=1,col=1,')).toBe(true);
    expect(line).toContain('::a%25b%0Ac is stuck');
    expect(line).not.toMatch(/\n/);
  });
});

describe('writeTreeReport on GitHub Actions', () => {
  let dir: string | undefined;
  afterEach(() => {
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('appends the summary to GITHUB_STEP_SUMMARY and prints the annotations on stdout', () => {
    dir = mkdtempSync(join(tmpdir(), 'asyncgraph-github-'));
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    writeTreeReport(report, { colors: false, cwd: '/elsewhere', env: { GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: WORKSPACE } });
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n## asyncgraph: `npm test` timed out after 5s\n')).toBe(true);
    expect(written.join('')).toMatch(/^::error file=lib\/jobs.js,line=24,col=15,/);
    expect(written).toHaveLength(2);
  });

  it('writes nothing for GitHub without GITHUB_STEP_SUMMARY', () => {
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    writeTreeReport(report, { colors: false, cwd: WORKSPACE, env: {} });
    expect(spy).not.toHaveBeenCalled();
  });
});
