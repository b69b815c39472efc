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
      return renderTestChain(await captureOwnSnapshot(own), test, reportedRoots);
    } catch (error) {
      return failureText(error);
    }
  })();
}

/** One `asyncgraph: …` line for an expected failure (no memory for the snapshot); the stack otherwise. */
function failureText(error: unknown): string {
  if (error instanceof AsyncgraphError) return `asyncgraph: ${error.message}` + (error.hint ? `\n  hint: ${error.hint}` : '');
  return `asyncgraph: could not show what the test awaits: ${(error as Error)?.stack ?? String(error)}`;
}
