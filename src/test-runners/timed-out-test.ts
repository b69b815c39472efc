// What every runner integration does when a test times out: snapshot the thread now (synchronously:
// the test's chain is intact until the runner moves on), then analyse the snapshot and render that
// test's chain. The text is what the runner adds to the test's failure. The analysis is loaded
// only then, so passing tests do not load it.

import { takeOwnSnapshot } from '../in-process/own-snapshot.js';
import { AsyncgraphError } from '../errors.js';
import type { TestIdentity } from './test-chain.js';

export type { TestIdentity };

/** The roots of the chains this thread reported: a test that timed out earlier may still hang. */
const reportedRoots = new Set<string>();

/** Starts at once (the snapshot is taken before this returns); resolves with the text, never rejects. */
export function timedOutTest(test: TestIdentity): Promise<string> {
  let own: ReturnType<typeof takeOwnSnapshot>;
  try {
    own = takeOwnSnapshot('this test worker');
  } catch (error) {
    return Promise.resolve(failureText(error));
  }
  return (async () => {
    try {
      const [{ renderTestChain }, { captureOwnSnapshot }] = await Promise.all([import('./test-chain.js'), import('../in-process/own-capture.js')]);
      return renderTestChain(await captureOwnSnapshot(own, { isBystanderScript: isTestRunnerScript }), test, reportedRoots);
    } catch (error) {
      return failureText(error);
    }
  })();
}

/**
 * The runners' own code, and asyncgraph's: a runner's task list holds every test function and its
 * listeners (uncaughtException, its worker's MessagePort) hold the task list, so each would be
 * named as able to wake any test's await. They never settle a test's promise. (node:test is Node's
 * own code: its scopes are not named as holders already.)
 */
const RUNNER_PACKAGE = /\/node_modules\/(?:vitest|@vitest\/[^/]+|vite|vite-node|tinypool|jest-circus|jest-runner|jest-runtime|@jest\/[^/]+|asyncgraph)\//;

function isTestRunnerScript(url: string): boolean {
  return RUNNER_PACKAGE.test(url) || url.startsWith(ASYNCGRAPH_ROOT);
}

/** This package's built code (also when it runs from a checkout, as in its own tests). */
const ASYNCGRAPH_ROOT = new URL('../', import.meta.url).href;

/** One `asyncgraph: …` line for an expected failure (no memory for the snapshot); the stack otherwise. */
function failureText(error: unknown): string {
  if (error instanceof AsyncgraphError) return `asyncgraph: ${error.message}` + (error.hint ? `\n  hint: ${error.hint}` : '');
  return `asyncgraph: could not show what the test awaits: ${(error as Error)?.stack ?? String(error)}`;
}
