// Shared by the fault suite (test/faults/): a target with a tunable heap, the CLI run in the
// background so a test can hurt it (or its target) at a chosen step, and the checks that the
// target came out unharmed.

import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { listeningPorts } from '../../src/target/proc.js';
import { CLI, expectAlive, mainThreadTicks, spawnFixture, spawnProcess, type FixtureTarget, type Spawned } from '../helpers/processes.js';

export interface FaultTargetOptions {
  /** Small objects kept alive: 200k makes a snapshot take ~1 s and each location lookup ~0.1 s. */
  objects?: number;
  /** Suspended async frames (default 3). */
  frames?: number;
  http?: boolean;
  /** Print `heartbeat K` this often (see expectHeartbeats). */
  heartbeatMs?: number;
  nodeArgs?: string[];
  nodePath?: string;
}

/**
 * fixtures/fault-target.js with --expose-gc (for `mem`) and, unless nodeArgs say otherwise,
 * --inspect-port=0 so SIGUSR1 opens the inspector on a random port (never 9229).
 */
export function spawnFaultTarget(options: FaultTargetOptions = {}): Promise<FixtureTarget> {
  return spawnFixture(options.nodePath ?? process.execPath, 'fault-target.js', {
    nodeArgs: ['--expose-gc', ...(options.nodeArgs ?? ['--inspect-port=0'])],
    perTest: true,
    readyTimeoutMs: 20_000,
    env: {
      FAULT_OBJECTS: String(options.objects ?? 0),
      FAULT_FRAMES: String(options.frames ?? 3),
      FAULT_HTTP: options.http ? '1' : undefined,
      FAULT_HEARTBEAT_MS: options.heartbeatMs !== undefined ? String(options.heartbeatMs) : undefined,
    },
  });
}

export interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
}

/** The target's memory after a full GC (it runs with --expose-gc); the bound only turns a hang into a failure. */
export async function memoryOf(target: Spawned): Promise<Memory> {
  const from = target.stdout.length;
  target.child.stdin!.write('mem\n');
  const line = await target.waitForLine(/^mem /, { from, timeoutMs: 20_000 });
  return JSON.parse(line.slice(4)) as Memory;
}

export interface UnharmedOptions {
  /** Memory before the fault: the heap must be back near it. */
  memoryBefore?: Memory;
  /** The inspector must not be listening any more (asyncgraph opened it and should have closed it). */
  inspectorClosed?: boolean;
  /** The target's own listening ports (its HTTP server), which may stay. */
  ownPorts?: number[];
}

/** The most CPU the target's main thread may spend before answering a ping: no work left queued. */
const IDLE_ANSWER_TICKS = 50;

/**
 * The target is still running, not paused, its event loop answers with nothing left to work
 * through first (at most IDLE_ANSWER_TICKS of its own CPU time, 0.5 s, before the pong: a count a
 * loaded machine does not stretch, unlike a wall-clock limit; one location lookup is ~0.1 s), its
 * heap is back near its size before (within 10% + 4 MB, after a GC), and — if asked — no
 * inspector port is open.
 */
export async function expectUnharmed(target: FixtureTarget, options: UnharmedOptions = {}): Promise<void> {
  const ticksBefore = mainThreadTicks(target.pid);
  await expectAlive(target, 30_000);
  const used = mainThreadTicks(target.pid) - ticksBefore;
  expect(used, `target ${target.pid} used ${used} clock ticks of CPU before it answered: work left queued?`).toBeLessThanOrEqual(IDLE_ANSWER_TICKS);
  if (options.memoryBefore) {
    const after = await memoryOf(target);
    const limit = options.memoryBefore.heapUsed * 1.1 + 4 * 1024 * 1024;
    expect(after.heapUsed, `heap after ${mb(after.heapUsed)} MB, before ${mb(options.memoryBefore.heapUsed)} MB`).toBeLessThanOrEqual(limit);
  }
  if (options.inspectorClosed) await expectNoInspector(target.pid, options.ownPorts);
}

/**
 * No TCP port of `pid` is listening (the fault target listens on none unless FAULT_HTTP) — polled
 * up to 10 s: the inspector thread closes its socket on its own time, later on a loaded machine.
 */
export async function expectNoInspector(pid: number, allowed: number[] = []): Promise<void> {
  const open = () => listeningPorts(pid).map((socket) => socket.port).filter((port) => !allowed.includes(port));
  const until = Date.now() + 10_000;
  while (open().length > 0 && Date.now() < until) await sleep(25);
  expect(open(), `ports still listening in process ${pid}`).toEqual([]);
}

/** The one port the target listens on (its inspector: the fault target listens on none unless FAULT_HTTP), once it is there (polled, bounded). */
export async function inspectorPortOf(pid: number, timeoutMs = 20_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const port = listeningPorts(pid)[0]?.port;
    if (port !== undefined) return port;
    if (Date.now() > until) throw new Error(`process ${pid} opened no inspector within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * The target still keeps its rhythm: `count` more heartbeat lines arrive after this point (each
 * waited for as an event, not timed), numbered on from the last one seen. `startMs`: the target
 * was quiet through the capture (it had to read as idle: a beat that runs when the pause request
 * comes is JavaScript running, and is reported so); its heartbeat starts now.
 */
export async function expectHeartbeats(target: Spawned, options: { count?: number; startMs?: number } = {}): Promise<void> {
  const count = options.count ?? 2;
  if (options.startMs !== undefined) target.child.stdin!.write(`heartbeat ${options.startMs}\n`);
  const beats = () => [...target.stdout.matchAll(/^heartbeat (\d+)$/gm)].map((match) => Number(match[1]));
  const last = beats().at(-1) ?? 0;
  for (let k = 1; k <= count; k++) await target.waitForLine(`heartbeat ${last + k}`, { timeoutMs: 20_000 });
}

export function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

export interface BackgroundCli extends Spawned {
  /** Resolves when the CLI reports reaching this step (`asyncgraph: progress: <step>`). */
  reached(step: string, timeoutMs?: number): Promise<void>;
  /** Resolves with how it ended; rejects (after killing it) if it takes longer than `timeoutMs`. */
  finished(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** The built CLI in the background (`args`: a capturing command first), printing its progress steps on stderr (--test-progress). */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): BackgroundCli {
  const cli = spawnProcess(process.execPath, [CLI, args[0], '--test-progress', ...args.slice(1)], {
    perTest: true,
    env: { NO_COLOR: '1', ...env },
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    cli.child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return Object.assign(cli, {
    async reached(step: string, timeoutMs = 20_000) {
      await cli.waitForLine(`asyncgraph: progress: ${step}`, { stream: 'stderr', timeoutMs });
    },
    async finished(timeoutMs = 60_000) {
      const timer = sleep(timeoutMs).then(() => 'timeout' as const);
      const result = await Promise.race([exit, timer]);
      if (result === 'timeout') {
        cli.child.kill('SIGKILL');
        throw new Error(`asyncgraph ${args.join(' ')} did not finish within ${timeoutMs} ms\nstderr:\n${cli.stderr}`);
      }
      return { ...result, stdout: cli.stdout, stderr: cli.stderr };
    },
  });
}

/** stderr without the progress lines. */
export function withoutProgress(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('asyncgraph: progress: '))
    .join('\n');
}

/**
 * An expected failure: nothing on stdout, one `asyncgraph: …` line on stderr (progress lines
 * aside), at most one `  hint:` line, no stack trace. Returns the message.
 */
export function oneLineFailure(result: { stdout: string; stderr: string; code: number | null }): { message: string; hint?: string } {
  const lines = withoutProgress(result.stderr).replace(/\n$/, '').split('\n');
  const context = `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.stdout, context).toBe('');
  expect(lines[0], context).toMatch(/^asyncgraph: /);
  expect(lines.length, context).toBeLessThanOrEqual(2);
  if (lines.length === 2) expect(lines[1], context).toMatch(/^ {2}hint: /);
  expect(result.stderr, context).not.toMatch(/^\s+at /m);
  return { message: lines[0].slice('asyncgraph: '.length), ...(lines[1] ? { hint: lines[1].slice('  hint: '.length) } : {}) };
}
