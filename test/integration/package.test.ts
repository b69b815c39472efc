// The published package, as a user gets it: `npm pack` from a copy of the working tree (tracked
// and new files, as a fresh clone has them, with this checkout's node_modules), installed into an
// empty folder, then run — `npx asyncgraph --help`, an attach, `run` — and its public types
// compiled by a strict TypeScript project without skipLibCheck.
//
// Slow (a build, a pack, an install): one pack and one install for the whole file. The install
// prefers npm's cache (`npm ci` filled it); `--offline` cannot work because npm ci caches the
// tarballs but not the registry documents an install of a tarball resolves its dependencies by.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_EXPECTED, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, fixtureForSuite, REPO_ROOT, runCommand, spawnProcess } from '../helpers/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'asyncgraph-package-test-'));
const clone = join(scratch, 'clone');
const app = join(scratch, 'app');
let tarball = '';
let installedBin = '';

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  // The files a clone would have: tracked ones and new ones not ignored (so an uncommitted change
  // is packed too), never dist/ or node_modules.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(REPO_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(clone, file), { verbatimSymlinks: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  // prepack builds dist/ in the copy (this checkout's dist/ is left alone).
  const packed = execFileSync('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: clone, encoding: 'utf8' });
  tarball = join(scratch, packed.trim().split('\n').pop()!);

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'asyncgraph-user', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, encoding: 'utf8' });
  installedBin = join(app, 'node_modules', 'asyncgraph', 'bin', 'asyncgraph.js');
}, 240_000);

describe('the npm package', () => {
  it('ships the built CLI, the preload and the LICENSE; no source maps, sources or tests', () => {
    const listed = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const files = listed.map((path) => path.replace(/^package\//, ''));
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'bin/asyncgraph.js', 'dist/cli/asyncgraph.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/preload/inspect-port.cjs']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((file) => /\.map$|^src\/|^test\/|^fixtures\//.test(file))).toEqual([]);
  });

  it('npx asyncgraph --help works in the folder it was installed into', async () => {
    const run = await runCommand('npx', ['--no-install', 'asyncgraph', '--help'], { cwd: app, timeoutMs: 60_000 });
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    expect(run.stdout, context).toMatch(/^Usage: asyncgraph /);
  });

  describe('attach', () => {
    const target = fixtureForSuite(process.execPath, 'nested.js');
    it('prints the tree of a fixture', async () => {
      // From the repo root, so locations read fixtures/… as in the other tests.
      const run = await runCommand(process.execPath, [installedBin, 'attach', String(target().pid), '--location-budget', '10000'], { timeoutMs: 60_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stderr, context).toBe('');
      expect(splitTree(run.stdout).body, context).toBe(treeText(NESTED_EXPECTED.tree));
    });
  });

  it('run passes a quick command through, exit status included', async () => {
    const run = await runCommand(process.execPath, [installedBin, 'run', '--', process.execPath, '-e', 'console.log("hello"); process.exitCode = 3'], {
      timeoutMs: 60_000,
    });
    const context = describeRun(run);
    expect(run.code, context).toBe(3);
    expect(run.stdout, context).toBe('hello\n');
    expect(run.stderr, context).toBe('');
  });

  it('run reports a stuck command on SIGTERM, through the preload shipped in the package', async () => {
    // `wake` holds the resolve function: without it the whole chain would be garbage, not a frame.
    const script = 'let wake; async function stuckForever() { await new Promise((resolve) => (wake = resolve)); } stuckForever(); setInterval(() => {}, 1e6); console.log("ready");';
    const asyncgraph = spawnProcess(process.execPath, [installedBin, 'run', '--', process.execPath, '-e', script], { cwd: app });
    await asyncgraph.waitForLine('ready', { timeoutMs: 30_000 });
    asyncgraph.child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => asyncgraph.child.once('exit', (exitCode) => done(exitCode)));
    const context = `exit ${code}\nstdout:\n${asyncgraph.stdout}\nstderr:\n${asyncgraph.stderr}`;
    expect(code, context).toBe(124);
    expect(asyncgraph.stderr, context).toMatch(/stuckForever/);
  });

  it('the test-runner entry points resolve by name; node --test --import asyncgraph/node-test follows a timed-out test with its chain', async () => {
    const resolved = await runCommand(
      process.execPath,
      ['--input-type=module', '-e', "for (const name of ['asyncgraph/vitest', 'asyncgraph/node-test']) console.log(import.meta.resolve(name)); console.log((await import('node:module')).createRequire(import.meta.url).resolve('asyncgraph/jest'));"],
      { cwd: app, timeoutMs: 60_000 },
    );
    expect(resolved.code, describeRun(resolved)).toBe(0);
    expect(resolved.stdout.trim().split('\n').map((line) => line.replace(/^.*node_modules\/asyncgraph\//, '')), describeRun(resolved)).toEqual([
      'dist/test-runners/vitest.js',
      'dist/test-runners/node-test.js',
      'dist/test-runners/jest.cjs',
    ]);
    // The fixture's two tests time out on a timer and on a promise nothing can settle.
    cpSync(join(REPO_ROOT, 'fixtures/test-timeouts/node-test/never.test.mjs'), join(app, 'never.test.mjs'));
    const run = await runCommand(process.execPath, ['--test', '--test-force-exit', '--test-reporter=spec', '--import', 'asyncgraph/node-test', 'never.test.mjs'], { cwd: app, timeoutMs: 180_000 });
    const context = describeRun(run);
    expect(run.code, context).toBe(1);
    // A frame's await is looked up within the worker's budget or else inferred: the same place.
    const stdout = run.stdout.replaceAll(' (inferred)', '');
    expect(stdout, context).toMatch(/ℹ └── test "retries after a pause" {2}never\.test\.mjs:11:3\n/);
    expect(stdout, context).toMatch(/ℹ {5}└── retryLater {2}never\.test\.mjs:7:3\n/);
    expect(stdout, context).toMatch(/ℹ {5}└── whenReady {2}never\.test\.mjs:18:3 {2}✖ deadlock\n/);
  }, 240_000);

  it('its public types compile in a strict project without skipLibCheck', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { captureGraph, captureProcess, renderTree, renderJson, filterDocument, ExitCode, AsyncgraphError,
  type AwaitGraphDocument, type ProcessCapture, type CaptureGraphOptions } from 'asyncgraph';
const options: CaptureGraphOptions = { locationBudgetMs: 0 };
const doc: AwaitGraphDocument = await captureGraph({ pid: 1 }, options);
const text: string = renderTree(filterDocument(doc, { depth: 2 }), { colors: false });
const capture: ProcessCapture = await captureProcess(1);
export const used = [text, renderJson(doc), capture.workers.map((worker) => worker.info.title), ExitCode.Usage, new AsyncgraphError('x')];
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          // A Node.js project has @types/node; this repo's copy stands in for it.
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    let output = '';
    try {
      output = execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('devtools-protocol');
  });
});
