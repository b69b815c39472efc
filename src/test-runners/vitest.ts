// `asyncgraph/vitest`, a Vitest setup file (test.setupFiles): when a test times out, its failure
// shows the test's await chain. Vitest aborts the test context's signal with its timeout error
// (abortIfTimeout, @vitest/runner) synchronously in the timeout's timer, before the race rejects
// and before any afterEach hook: the snapshot is taken right there, with the chain intact. The
// analysis runs meanwhile and is appended to the error in an onTestFailed handler, which Vitest
// awaits before it reports the test.

import { beforeEach, type TestContext } from 'vitest';
import { timedOutTest, type TestIdentity } from './timed-out-test.js';

beforeEach((context: TestContext) => {
  const signal = context.signal;
  // Passing tests pay one listener.
  signal.addEventListener('abort', () => onAbort(context, signal.reason), { once: true });
});

const TIMEOUT_MESSAGE = /^Test timed out in \d+ms\./;

function onAbort(context: TestContext, reason: unknown): void {
  if (!(reason instanceof Error) || !TIMEOUT_MESSAGE.test(reason.message)) return;
  const task = context.task;
  const report = timedOutTest({
    name: task.name,
    file: task.file.filepath,
    ...(task.location ? { line: task.location.line } : {}),
  } satisfies TestIdentity);
  // Vitest bounds each onTestFailed handler by hookTimeout (10 s by default) unless given its own
  // bound: analysing a big worker's heap can take longer.
  context.onTestFailed(async ({ task: failed }) => {
    const text = await report;
    const error = failed.result?.errors?.find((candidate) => TIMEOUT_MESSAGE.test(candidate.message ?? ''));
    if (!error) return;
    error.message += '\n\n' + text;
  }, REPORT_TIMEOUT_MS);
}

const REPORT_TIMEOUT_MS = 120_000;
