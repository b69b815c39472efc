import { beforeEach, describe, expect, it, vi } from 'vitest';
import { InspectorUnavailableError, NoSuchProcessError, NotEnoughMemoryError } from '../../src/errors.js';
import { MemoryLedger } from '../../src/capture/snapshot-memory.js';
import type { NodeProcess } from '../../src/target/process-tree.js';

// captureProcess is replaced by a script per pid: resolve after some ms, fail, or never answer.
const behaviour = new Map<number, { ms: number; fail?: Error; never?: boolean }>();
let running = 0;
let maxRunning = 0;
/** The memory ledger each capture was given. */
const ledgers: unknown[] = [];

vi.mock('../../src/capture/capture-process.js', () => ({
  captureProcess: async (pid: number, options: { memoryLedger?: unknown } = {}) => {
    ledgers.push(options.memoryLedger);
    const plan = behaviour.get(pid) ?? { ms: 1 };
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      if (plan.never) await new Promise(() => {});
      await new Promise((resolve) => setTimeout(resolve, plan.ms));
      if (plan.fail) throw plan.fail;
      return {
        pid,
        argv: ['node', `app-${pid}.js`, '', ''],
        main: { schemaVersion: 1, tool: { name: 'asyncgraph', version: '0' }, target: { pid, nodeVersion: null, url: '' }, capturedAt: '', nodes: [], cycles: [] },
        workers: [{ info: { workerId: '1', type: 'worker', title: '[worker 1]', url: 'file:///w.js' }, error: 'the worker thread exited' }],
      };
    } finally {
      running--;
    }
  },
}));

const { captureTree } = await import('../../src/capture/capture-tree.js');

function proc(pid: number, sigusr1: NodeProcess['sigusr1'] = 'handled'): NodeProcess {
  return { pid, ppid: 1, startTime: pid, argv: ['node', `p${pid}`], sigusr1 };
}

beforeEach(() => {
  ledgers.length = 0;
  behaviour.clear();
  running = 0;
  maxRunning = 0;
});

describe('captureTree', () => {
  it('captures a few at a time and reports in the order given, with workers and trimmed argv', async () => {
    for (const [pid, ms] of [[1, 30], [2, 5], [3, 5], [4, 5]]) behaviour.set(pid, { ms });
    const done: number[] = [];
    const { processes, errors } = await captureTree([proc(1), proc(2), proc(3), proc(4)], { concurrency: 2, onDone: (r) => done.push(r.pid) });
    expect(maxRunning).toBe(2);
    expect(processes.map((p) => p.pid)).toEqual([1, 2, 3, 4]);
    expect(done[0]).toBe(2);
    expect(errors).toEqual([]);
    expect(processes[0]).toMatchObject({ argv: ['node', 'app-1.js'], workers: [{ workerId: '1', title: '[worker 1]', error: 'the worker thread exited' }] });
  });

  it('bounds each capture; a failure or a timeout is one line and the others go on', async () => {
    behaviour.set(1, { ms: 0, never: true });
    behaviour.set(2, { ms: 1, fail: new NoSuchProcessError(2, 'process 2 exited during the capture') });
    const { processes, errors } = await captureTree([proc(1), proc(2), proc(3)], { perProcessTimeoutMs: 100 });
    expect(processes.map((p) => p.error ?? 'ok')).toEqual(['the capture did not finish within 100 ms', 'process 2 exited during the capture', 'ok']);
    expect(errors.map((e) => e.exitCode).sort()).toEqual([3, 8]);
  });

  it('gives up everything at the deadline or on abort', async () => {
    behaviour.set(1, { ms: 0, never: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await captureTree([proc(1), proc(2), proc(3)], { concurrency: 1, signal: controller.signal });
    expect(aborted.processes.map((p) => p.error)).toEqual(['the capture was interrupted', 'not captured: out of time', 'not captured: out of time']);

    const late = await captureTree([proc(2)], { deadline: Date.now() - 1 });
    expect(late.processes[0].error).toBe('not captured: out of time');
  });

  it("notes, without an error, a process that cannot be inspected because it blocks SIGUSR1 (node --test's runner)", async () => {
    behaviour.set(1, { ms: 1, fail: new InspectorUnavailableError('process 1 does not handle SIGUSR1') });
    const { processes, errors } = await captureTree([proc(1, 'blocked')]);
    expect(errors).toEqual([]);
    expect(processes[0].error).toBeUndefined();
    expect(processes[0].skipped).toMatch(/^not inspectable from outside: SIGUSR1 is blocked/);
  });
});

describe('captureTree: memory', () => {
  it('gives every capture one shared memory ledger, and names a process refused for memory with the reason', async () => {
    behaviour.set(11, { ms: 1, fail: new NotEnoughMemoryError('not enough memory for a heap snapshot of process 11: it would need about 900 MB more, and its memory cgroup /x has 300 MB left of its 600 MB limit; no snapshot was taken') });
    const result = await captureTree([proc(10), proc(11), proc(12)]);
    expect(ledgers).toHaveLength(3);
    expect(ledgers[0]).toBeInstanceOf(MemoryLedger);
    expect(new Set(ledgers).size).toBe(1);
    expect(result.processes.map((report) => [report.pid, report.document !== undefined, report.error?.slice(0, 19)])).toEqual([
      [10, true, undefined],
      [11, false, 'not enough memory f'],
      [12, true, undefined],
    ]);
    expect(result.errors.map((error) => error.exitCode)).toEqual([10]);
  });
});
