// What every runner integration does when a test times out: snapshot the thread now (synchronously:
// the test's chain is intact until the runner moves on), then analyse the snapshot and render that
// test's chain. The text is what the runner adds to the test's failure. The analysis is loaded
// only then, so passing tests do not load it.

import { takeOwnSnapshot } from '../in-process/own-snapshot.js';
import { AsyncgraphError } from '../errors.js';
import { formatSeconds } from '../units.js';
import type { TestIdentity } from './test-chain.js';

export type { TestIdentity };

/** A snapshot of this thread is being analysed. */
let analysing = false;

/** The roots of the chains this thread reported: a test that timed out earlier may still hang. */
const reportedRoots = new Set<string>();

/** Starts at once (the snapshot is taken before this returns); resolves with the text, never rejects. */
export function timedOutTest(test: TestIdentity): Promise<string> {
  // One capture at a time per thread: tests timing out together (test.concurrent, a cancelled
  // suite) would otherwise hold several snapshots and analyses in this heap at once.
  if (analysing) {
    return Promise.resolve(`asyncgraph: not captured: another timed-out test of this worker was being analysed (one capture at a time, for the worker's memory)`);
  }
  let own: ReturnType<typeof takeOwnSnapshot>;
  try {
    own = takeOwnSnapshot('this test worker');
  } catch (error) {
    return Promise.resolve(failureText(error));
  }
  analysing = true;
  return (async () => {
    try {
      const [{ renderTestChain }, { captureOwnSnapshot }] = await Promise.all([import('./test-chain.js'), import('../in-process/own-capture.js')]);
      // Within the runners' own bounds on the handler (Vitest's is 120 s): past this, say so.
      const giveUp = new AbortController();
      const timer = setTimeout(
        () => giveUp.abort(new AsyncgraphError(`the analysis of this test worker's heap snapshot did not finish within ${formatSeconds(ANALYSIS_TIMEOUT_MS)}`)),
        ANALYSIS_TIMEOUT_MS,
      );
      timer.unref();
      try {
        return renderTestChain(await captureOwnSnapshot(own, { isBystanderScript: isTestRunnerScript, signal: giveUp.signal }), test, reportedRoots);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      // A snapshot not read to its end (the analysis could not load, or gave up) is let go now.
      own.snapshot.chunks.destroy?.();
      return failureText(error);
    } finally {
      analysing = false;
    }
  })();
}

/**
 * The runners' core, and asyncgraph's: a runner's task list holds every test function and its
 * listeners (uncaughtException, its worker's MessagePort) hold the task list, so each would be
 * named as able to wake any test's await, which it never settles. Not the parts that do settle a
 * test's promises: Vitest's `vi` (fake timers, waitFor: its dist's chunks/test.*.js), @vitest/spy,
 * Jest's fake timers (@jest/fake-timers). node:test is Node's own code: its scopes are not named
 * as holders already.
 */
const RUNNER_CORE = /\/node_modules\/(?:@vitest\/runner|tinypool|vite-node|vite\/dist\/node\/module-runner|jest-circus|jest-runner|jest-runtime)\//;
const VITEST_BUT_VI = /\/node_modules\/vitest\/dist\/(?!chunks\/test\.)/;

function isTestRunnerScript(url: string): boolean {
  return RUNNER_CORE.test(url) || VITEST_BUT_VI.test(url) || url.startsWith(ASYNCGRAPH_ROOT);
}

/** This package's built code (also when it runs from a checkout, as in its own tests). */
const ASYNCGRAPH_ROOT = new URL('../', import.meta.url).href;

const ANALYSIS_TIMEOUT_MS = 60_000;

/** One `asyncgraph: …` line for an expected failure (no memory for the snapshot); the stack otherwise. */
function failureText(error: unknown): string {
  if (error instanceof AsyncgraphError) return `asyncgraph: ${error.message}` + (error.hint ? `\n  hint: ${error.hint}` : '');
  return `asyncgraph: could not show what the test awaits: ${(error as Error)?.stack ?? String(error)}`;
}
