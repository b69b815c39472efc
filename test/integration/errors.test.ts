// Known failures: a documented exit code and one `asyncgraph: …` line on stderr (plus at most a
// hint line), never a stack trace.

import { describe, expect, it } from 'vitest';
import { describeRun, expectedFailure, runCli, spawnProcess } from '../helpers/processes.js';

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
