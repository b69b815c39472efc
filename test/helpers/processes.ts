// Child processes for the integration tests: fixture targets, the built CLI, and anything else a
// test starts. Everything spawned through here is registered and SIGKILLed in teardown, even when
// a test fails: in the file's afterAll, or in afterEach for processes spawned with `perTest`
// (only for files whose tests run one at a time: afterEach would also kill the processes of
// concurrently running tests). A CLI run ends by itself, or is killed at its timeout.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES_DIR = join(REPO_ROOT, 'fixtures');
export const CLI = join(REPO_ROOT, 'bin', 'asyncgraph.js');

// ------------------------------------------------------------------------------------------------
// Bookkeeping

const fileScoped = new Set<ChildProcess>();
const testScoped = new Set<ChildProcess>();

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function killAll(children: Set<ChildProcess>): Promise<void> {
  const waits = [...children].map(
    (child) =>
      new Promise<void>((done) => {
        if (exited(child)) return done();
        child.once('exit', () => done());
        child.kill('SIGKILL');
      }),
  );
  children.clear();
  await Promise.all(waits);
}

// Registered on the root suite of every test file that imports this module.
afterEach(() => killAll(testScoped));
afterAll(() => killAll(fileScoped));

/** Kill one process now (SIGKILL) and wait until it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  fileScoped.delete(child);
  testScoped.delete(child);
  if (exited(child)) return;
  await new Promise<void>((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** The environment for everything we start: no inherited NODE_OPTIONS or colour forcing. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first line (after `from` characters of stdout) matching; bounded. */
  waitForLine(match: string | RegExp, options?: { timeoutMs?: number; from?: number; stream?: 'stdout' | 'stderr' }): Promise<string>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Kill it after the current test rather than at the end of the file. */
  perTest?: boolean;
}

/** Start any command with piped stdio, registered for teardown. */
export function spawnProcess(command: string, args: string[], options: SpawnOptions & { cwd?: string } = {}): Spawned {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${command}`);
  (options.perTest ? testScoped : fileScoped).add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  // A target we killed may still be written to (expectAlive): never let EPIPE crash the worker.
  child.stdin!.on('error', () => {});
  const spawned: Spawned = {
    child,
    pid: child.pid,
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
    waitForLine(match, { timeoutMs = 30_000, from = 0, stream = 'stdout' } = {}) {
      const test = (line: string) => (typeof match === 'string' ? line === match : match.test(line));
      const find = () => {
        const text = (stream === 'stdout' ? out : err).slice(from);
        // Only complete lines count.
        const lines = text.split('\n').slice(0, -1);
        return lines.find((line) => test(line.replace(/\r$/, '')));
      };
      return new Promise<string>((resolvePromise, reject) => {
        const check = () => {
          const line = find();
          if (line !== undefined) {
            cleanup();
            resolvePromise(line);
          }
        };
        const onExit = (code: number | null, signal: string | null) => {
          check();
          cleanup();
          reject(
            new Error(
              `${command} ${args.join(' ')} exited (code ${code}, signal ${signal}) before printing a line matching ${match}\n` +
                `stdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${command} ${args.join(' ')} printed no line matching ${match} within ${timeoutMs} ms\n` +
                `stdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        const source = stream === 'stdout' ? child.stdout! : child.stderr!;
        const cleanup = () => {
          clearTimeout(timer);
          source.off('data', check);
          child.off('exit', onExit);
        };
        source.on('data', check);
        child.on('exit', onExit);
        check();
        if (exited(child)) onExit(child.exitCode, child.signalCode);
      });
    },
  };
  return spawned;
}

export interface FixtureTarget extends Spawned {
  fixture: string;
  nodePath: string;
}

/**
 * Start `fixtures/<fixture>` on the given node binary and wait (bounded) for its `ready` line.
 * The fixture answers `ping` with `pong` from then on (see fixtures/lib/harness.cjs).
 */
export async function spawnFixture(
  nodePath: string,
  fixture: string,
  options: SpawnOptions & { nodeArgs?: string[]; readyTimeoutMs?: number } = {},
): Promise<FixtureTarget> {
  const spawned = spawnProcess(nodePath, [...(options.nodeArgs ?? []), join(FIXTURES_DIR, fixture)], options);
  await spawned.waitForLine('ready', { timeoutMs: options.readyTimeoutMs ?? 30_000 });
  return Object.assign(spawned, { fixture, nodePath });
}

/**
 * Starts `fixtures/<fixture>` (inspector activatable on a random port) before the tests of the
 * enclosing describe block and kills it after them. Returns the running target (call it inside
 * the tests: it is started by then).
 */
export function fixtureForSuite(nodePath: string, fixture: string): () => FixtureTarget {
  let target: FixtureTarget | undefined;
  beforeAll(async () => {
    target = await spawnFixture(nodePath, fixture, { nodeArgs: ['--inspect-port=0'] });
  });
  afterAll(async () => {
    if (target) await kill(target.child);
  });
  return () => {
    if (!target) throw new Error(`fixture ${fixture} is not running`);
    return target;
  };
}

/**
 * Proves the target still runs JavaScript (it was not left paused, nor killed, by a capture): it
 * answers `ping` with `pong`. A paused target never answers; the bound (20 s) only turns that
 * into a failure, and is long enough for a loaded machine to schedule a running one.
 */
export async function expectAlive(target: Spawned, timeoutMs = 20_000): Promise<void> {
  if (exited(target.child)) {
    throw new Error(
      `target ${target.pid} is gone (exit code ${target.child.exitCode}, signal ${target.child.signalCode})\n` +
        `stderr:\n${target.stderr}`,
    );
  }
  const from = target.stdout.length;
  target.child.stdin!.write('ping\n');
  try {
    await target.waitForLine('pong', { from, timeoutMs });
  } catch (error) {
    throw new Error(`target ${target.pid} did not answer ping with pong within ${timeoutMs} ms (paused? dead?)\n${(error as Error).message}`);
  }
}

/** Fields of /proc/PID/task/PID/stat after the command name: state, …, utime, stime. */
function mainThreadStat(pid: number): { state: string; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ticks: Number(fields[11]) + Number(fields[12]) };
}

/** utime + stime of the process's main thread, in clock ticks (1/100 s): a paused or idle thread adds none. */
export function mainThreadTicks(pid: number): number {
  return mainThreadStat(pid).ticks;
}

/**
 * Resolves once the process's main thread has run `ticks` more clock ticks of CPU than at the
 * call: the event "its JavaScript (or a heap scan the inspector asked for) runs". Polled; the
 * bound only turns a hang into a failure (a loaded machine gives the thread less than a core).
 */
export async function waitForCpuTicks(pid: number, ticks: number, timeoutMs = 30_000): Promise<void> {
  const start = mainThreadTicks(pid);
  const deadline = Date.now() + timeoutMs;
  while (mainThreadTicks(pid) - start < ticks) {
    if (Date.now() > deadline) throw new Error(`process ${pid}'s main thread used ${mainThreadTicks(pid) - start} of ${ticks} clock ticks of CPU within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Resolves once the process's main thread is seen blocked (state S: a busy loop never sleeps; a
 * paused thread waits in the inspector's message loop) twice in a row without using CPU in
 * between. Polled; the bound only turns a hang into a failure.
 */
export async function waitForBlockedMainThread(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous = mainThreadStat(pid);
  for (;;) {
    await sleep(20);
    const now = mainThreadStat(pid);
    if (previous.state === 'S' && now.state === 'S' && now.ticks === previous.ticks) return;
    if (Date.now() > deadline) throw new Error(`process ${pid}'s main thread still runs (state ${now.state}) after ${timeoutMs} ms`);
    previous = now;
  }
}

// ------------------------------------------------------------------------------------------------
// The CLI

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the built CLI (`node bin/asyncgraph.js …`, run `npm run build` first) from the repo root,
 * with NO_COLOR=1 and no FORCE_COLOR. Killed, and the promise rejected, after `timeoutMs`.
 */
export function runCli(
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string | undefined>; node?: string; cwd?: string } = {},
): Promise<CliResult> {
  // The CLI runs on the test's node unless another one is asked for (users run it with their own).
  return runCommand(options.node ?? process.execPath, [CLI, ...args], { ...options, shownArgs: args });
}

/**
 * Run any command to its end (an installed CLI, npx, npm), like runCli: NO_COLOR=1, no
 * FORCE_COLOR, output collected, killed and rejected after `timeoutMs`.
 */
export function runCommand(
  command: string,
  commandArgs: string[],
  options: { timeoutMs?: number; env?: Record<string, string | undefined>; cwd?: string; shownArgs?: string[] } = {},
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = options.shownArgs ?? [command, ...commandArgs];
  const child = spawn(command, commandArgs, {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv({ NO_COLOR: '1', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fileScoped.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise<CliResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${options.shownArgs ? 'asyncgraph ' : ''}${args.join(' ')} did not finish within ${timeoutMs} ms (killed)\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fileScoped.delete(child);
      resolvePromise({ args, code, signal, stdout, stderr });
    });
  });
}

/** A CLI run's output, for assertion messages (printed only when an assertion fails). */
export function describeRun(result: CliResult, maxChars = 6000): string {
  const clip = (text: string) =>
    text.length > maxChars ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)\n` : text;
  return (
    `asyncgraph ${result.args.join(' ')} → exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n` +
    `--- stdout ---\n${clip(result.stdout)}--- stderr ---\n${clip(result.stderr)}--------------`
  );
}

/**
 * A failure the CLI reports as such: nothing on stdout, and on stderr one line
 * `asyncgraph: <message>`, optionally one `  hint: …` line, and no stack trace.
 * Returns the message and hint.
 */
export function expectedFailure(result: CliResult): { message: string; hint?: string } {
  const lines = result.stderr.replace(/\n$/, '').split('\n');
  const problems: string[] = [];
  if (result.stdout !== '') problems.push('stdout is not empty');
  if (!lines[0]?.startsWith('asyncgraph: ')) problems.push('the first stderr line does not start with "asyncgraph: "');
  if (lines.length > 2 || (lines.length === 2 && !lines[1].startsWith('  hint: '))) {
    problems.push('stderr has more than the message and one "  hint:" line');
  }
  if (/^\s+at /m.test(result.stderr)) problems.push('stderr has a stack trace');
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${describeRun(result)}`);
  return { message: lines[0].slice('asyncgraph: '.length), ...(lines[1] ? { hint: lines[1].slice('  hint: '.length) } : {}) };
}
