// `asyncgraph/jest`, a Jest setup file (setupFilesAfterEnv): when a test times out, its failure
// shows the test's await chain. Jest has no public hook for it: jest-circus dispatches each test
// event to the handlers in globalThis[Symbol.for('EVENT_HANDLERS')] (jest-circus state.ts), which
// this file joins. `test_fn_failure` with Jest's timeout message comes when the timeout has
// rejected the test, before any afterEach hook: the snapshot is taken there, and the chain
// appended to the timeout's message, which Jest formats when the test is done.
//
// CommonJS, because Jest loads setup files with its own require. The rest of asyncgraph is ES
// modules, loaded outside Jest's module registry with Node's require (require(esm), Node 20.19+).

interface CircusTest {
  name: string;
  errors: unknown[];
}
interface CircusEvent {
  name: string;
  error?: unknown;
  test?: CircusTest;
}
type Handler = (event: CircusEvent) => void | Promise<void>;
type TimedOutTest = (test: { name: string; file: string }) => Promise<string>;

// "…for a test." or, for a test taking a done callback, "…for a test while waiting for `done()` to be called."
const TIMEOUT_MESSAGE = /^Exceeded timeout of .+ for a test[. ]/;
const handlers = (globalThis as Record<symbol, Handler[] | undefined>)[Symbol.for('EVENT_HANDLERS')];
const testPath = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;

if (handlers && testPath) {
  handlers.push(async (event) => {
    const test = event.test;
    if (event.name !== 'test_fn_failure' || !test || typeof event.error !== 'string' || !TIMEOUT_MESSAGE.test(event.error)) return;
    const message = event.error;
    let text: string;
    try {
      text = await nodeRequire<{ timedOutTest: TimedOutTest }>('./timed-out-test.js').timedOutTest({ name: test.name, file: testPath });
    } catch (error) {
      // A handler that throws fails the whole file: the timeout stays the failure.
      text = `asyncgraph: could not show what the test awaits: ${(error as Error)?.message ?? String(error)}`;
    }
    // jest-circus keeps [error, asyncError] per failure, and prints a string error (its timeout
    // message) as `thrown: "…"` with quotes escaped. An Error with the frames of asyncError (made
    // where the test was declared) prints as text, with the code frame at the test.
    for (const entry of test.errors) {
      if (!Array.isArray(entry) || entry[0] !== message) continue;
      const declared = entry[1] instanceof Error ? entry[1].stack ?? '' : '';
      const error = new Error(`${message}\n\n${text}`);
      error.stack = `${error.name}: ${error.message}${declared.includes('\n    at ') ? declared.slice(declared.indexOf('\n    at ')) : ''}`;
      entry[0] = error;
    }
  });
}

/**
 * Node's own require. Jest's sandbox serves `require`, `module` and process.getBuiltinModule from
 * its registry, which loads no ES module on Node before 24.9; its `node:module` is a subclass of
 * Node's Module (jest-runtime, getMockedModuleClass) with createRequire replaced, so Node's own is
 * on the class it extends.
 */
function nodeRequire<T>(id: string): T {
  const sandboxed = require('node:module') as object;
  const Module = Object.getPrototypeOf(sandboxed) as { createRequire?(path: string): (id: string) => unknown } | null;
  if (typeof Module?.createRequire !== 'function') throw new Error("asyncgraph/jest cannot reach Node.js's require from this Jest worker");
  return Module.createRequire(__filename)(id) as T;
}
