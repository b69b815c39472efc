// Known failures: a documented exit code and one `asyncgraph: …` line on stderr (plus at most a
// hint line), never a stack trace.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, CLI, describeRun, expectAlive, expectedFailure, fixtureForSuite, REPO_ROOT, runCli, spawnProcess } from '../helpers/processes.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('attach errors', () => {
  it('no such pid: exit 3', async () => {
    const run = await runCli(['attach', '999999999']);
    expect(run.code, describeRun(run)).toBe(3);
    expect(expectedFailure(run).message, describeRun(run)).toContain('999999999');
  });

  it('a process that is not Node.js: exit 4, and it is left alone', async () => {
    const sleep = spawnProcess('sleep', ['30'], { perTest: true });
    const run = await runCli(['attach', String(sleep.pid)]);
    const context = describeRun(run);
    expect(run.code, context).toBe(4);
    expect(expectedFailure(run).message, context).toContain(String(sleep.pid));
    expect(sleep.child.exitCode, context).toBeNull();
    expect(sleep.child.signalCode, context).toBeNull();
    expect(isRunning(sleep.pid), context).toBe(true);
  });

  it("a pid of `npm start`, which only runs npm: exit 4, naming the program's pid", async () => {
    const npm = spawnProcess('npm', ['start', '--silent'], {
      cwd: join(REPO_ROOT, 'fixtures', 'npm-start'),
      env: { npm_config_update_notifier: 'false', npm_config_fund: 'false' },
      perTest: true,
    });
    try {
      await npm.waitForLine('ready', { timeoutMs: 30_000 });
      const run = await runCli(['attach', String(npm.pid)]);
      const context = describeRun(run);
      expect(run.code, context).toBe(4);
      const { message, hint } = expectedFailure(run);
      const match = new RegExp(`^process ${npm.pid} is \`npm start[^\`]*\`, which only runs npm; the program is its child process (\\d+) \\(\`node \\.\\./nested\\.js\`\\)$`).exec(message);
      expect(match, context).not.toBeNull();
      expect(hint, context).toBe(`asyncgraph attach ${match![1]}`);
      // npm was left alone.
      expect(isRunning(npm.pid), context).toBe(true);
    } finally {
      // The program reads the same stdin: closing it ends the program, then npm.
      npm.child.stdin!.end();
    }
  });

  it('a pid that is not a number: exit 2', async () => {
    const run = await runCli(['attach', 'abc']);
    expect(run.code, describeRun(run)).toBe(2);
    expect(expectedFailure(run).message, describeRun(run)).toContain('abc');
  });

  it('no target at all: exit 2', async () => {
    const run = await runCli(['attach']);
    expect(run.code, describeRun(run)).toBe(2);
    expectedFailure(run);
  });
});

describe('argument errors: one asyncgraph: line, a hint, exit 2', () => {
  it.each([
    [[], /^no command given$/, /asyncgraph --help/],
    [['atach', '1'], /^unknown command 'atach'$/, /did you mean attach\?/],
    [['attach', '--tiemout', '5', '1'], /^unknown option '--tiemout'$/, /did you mean --timeout\? — see "asyncgraph attach --help"/],
    [['attach', '1', '2'], /^too many arguments for 'attach'/, /asyncgraph attach --help/],
    [['snapshot', '--format', 'svg', '1'], /'svg' is invalid/, /asyncgraph snapshot --help/],
    [['attach', '--pid'], /argument missing/, /asyncgraph attach --help/],
    [['attach', '--port', '1', '--url', 'ws://127.0.0.1:1/x'], /^give only one of/, /asyncgraph attach --help/],
    [['snapshot', '1', '--pid', '2'], /^two different pids given: 1 and --pid 2$/, /once/],
    [['attach', '1', '--timeout', '5x'], /^invalid --timeout: "5x"$/, /500ms, 5s/],
    [['attach', '1', '--location-budget', '-1'], /^invalid --location-budget: "-1"$/, /milliseconds/],
    [['run'], /^missing required argument 'command'$/, /asyncgraph run --help/],
  ])('asyncgraph %j', async (args, message, hint) => {
    const run = await runCli(args);
    expect(run.code, describeRun(run)).toBe(2);
    const failure = expectedFailure(run);
    expect(failure.message, describeRun(run)).toMatch(message);
    expect(failure.hint, describeRun(run)).toMatch(hint);
  });
});

describe('pids and durations, the same on every command', () => {
  it.each([
    ['attach', '999999999'],
    ['attach', '--pid', '999999999'],
    ['snapshot', '999999999'],
    ['snapshot', '--pid', '999999999'],
    ['attach', '999999999', '--pid', '999999999'],
  ].map((args) => ({ args })))('$args: the pid is taken (no such process, exit 3)', async ({ args }) => {
    const run = await runCli(args);
    expect(run.code, describeRun(run)).toBe(3);
    expect(expectedFailure(run).message).toContain('999999999');
  });

  it.each([['--timeout', '5s'], ['--timeout', '0.01'], ['--location-budget', '2s'], ['--pause-timeout', '0'], ['--watch', '5s'], ['--wait-for-other', '0']])(
    'attach %s %s is accepted',
    async (option, value) => {
      const run = await runCli(['attach', '999999999', option, value]);
      expect(run.code, describeRun(run)).toBe(3);
    },
  );

  it.each([['0'], ['0s'], ['2s']])('close-inspector --wait-for-other %s is accepted', async (value) => {
    const run = await runCli(['close-inspector', '999999999', '--wait-for-other', value]);
    expect(run.code, describeRun(run)).toBe(3);
  });
});

describe('output files are checked before the target is touched', () => {
  const target = fixtureForSuite(process.execPath, 'nested.js');

  it.each([
    [['-o', '/nonexistent/dir/x.json'], /^cannot write \/nonexistent\/dir\/x\.json: no such directory \/nonexistent\/dir$/],
    [['-o', '/tmp'], /^-o \/tmp is a directory$/],
    [['--children', '-o', '/nonexistent/dir/x.json'], /no such directory/],
  ])('snapshot PID %j: exit 2, and no inspector was opened', async (args, message) => {
    const run = await runCli(['snapshot', String(target().pid), ...args]);
    expect(run.code, describeRun(run)).toBe(2);
    expect(expectedFailure(run).message).toMatch(message);
    // SIGUSR1 would have made it print "Debugger listening on …".
    expect(target().stderr).not.toContain('Debugger listening');
    await expectAlive(target());
  });

  it('run --json-out in a missing directory: exit 2 before the command starts', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'asyncgraph-errors-'));
    try {
      const marker = join(scratch, 'started');
      const run = await runCli(['run', '--json-out', '/nonexistent/dir/r.json', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`]);
      expect(run.code, describeRun(run)).toBe(2);
      expect(expectedFailure(run).message).toMatch(/no such directory/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('a closed stdout ends quietly, exit 141 (128 + SIGPIPE)', () => {
  const target = fixtureForSuite(process.execPath, 'nested.js');

  /** The CLI with its stdout closed by the reader before it writes (`… | head -0`). */
  function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cleanEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((done) => child.on('close', (code) => done({ code, stderr })));
  }

  it('--help', async () => {
    const run = await runWithClosedStdout(['--help']);
    expect(run).toEqual({ code: 141, stderr: '' });
  });

  it('attach PID --json, and the target is left running', async () => {
    const run = await runWithClosedStdout(['attach', String(target().pid), '--json']);
    expect(run).toEqual({ code: 141, stderr: '' });
    await expectAlive(target());
  });

  it('snapshot PID (JSON streamed to stdout), and the target is left running', async () => {
    const run = await runWithClosedStdout(['snapshot', String(target().pid)]);
    expect(run).toEqual({ code: 141, stderr: '' });
    await expectAlive(target());
  });
});

describe('hints name the real cause', () => {
  it('--url where nothing listens', async () => {
    const run = await runCli(['attach', '--url', 'ws://127.0.0.1:1/x']);
    expect(run.code, describeRun(run)).toBe(6);
    const failure = expectedFailure(run);
    expect(failure.message).toBe('cannot connect to the inspector at ws://127.0.0.1:1/x: nothing listens on 127.0.0.1:1');
    expect(failure.hint).not.toMatch(/another debugger/);
  });

  it('--url of an HTTP server that is not an inspector', async () => {
    const server = createServer((_request, response) => response.end('hello'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await runCli(['attach', '--url', `ws://127.0.0.1:${port}/x`]);
      expect(run.code, describeRun(run)).toBe(6);
      const failure = expectedFailure(run);
      expect(failure.message).toBe(`127.0.0.1:${port} answered HTTP 200 instead of an inspector websocket at ws://127.0.0.1:${port}/x: not a V8 inspector, or no target with that id there`);
      expect(failure.hint).not.toMatch(/another debugger/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('--help lists --host and --pid, and says what --location-budget does beyond the budget', async () => {
    const run = await runCli(['attach', '--help']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toMatch(/--host <host>/);
    expect(run.stdout).toMatch(/--pid <pid>/);
    expect(run.stdout.replace(/\s+/g, ' ')).toMatch(/frames beyond it get their await inferred from the source, or else their definition/);
  });
});
