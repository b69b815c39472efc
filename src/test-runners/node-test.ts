// `asyncgraph/node-test`, for `node --test --import asyncgraph/node-test`: when a test times out
// (or is cancelled unfinished), the chain it awaits follows its failure as diagnostics. Hooks
// registered by a module imported before the test file are the root test's, so they run around
// every test of the file. node:test aborts a test's signal when it times out (Test.#cancel, before
// its afterEach hooks run) and again, for every test, once the test is done: an abort before the
// test's afterEach is the unfinished kind. The snapshot is taken right then; afterEach waits for the
// analysis and adds the chain with TestContext.diagnostic, a line each (TAP escapes newlines).

import { afterEach, beforeEach, type TestContext } from 'node:test';
import { timedOutTest } from './timed-out-test.js';

interface TestState {
  finished: boolean;
  report?: Promise<string>;
}

type Context = TestContext & { filePath?: string };

const states = new WeakMap<object, TestState>();

beforeEach((hookContext) => {
  const context = hookContext as Context;
  const state: TestState = { finished: false };
  states.set(context, state);
  // A test that skips itself (or marks itself todo) gets no afterEach on Node 20 and 22, only the
  // final abort every test gets: it did not time out.
  for (const method of ['skip', 'todo'] as const) {
    const original = context[method].bind(context);
    context[method] = (message?: string) => {
      state.finished = true;
      original(message);
    };
  }
  // Passing tests pay one listener.
  context.signal.addEventListener(
    'abort',
    () => {
      if (state.finished) return;
      // TestContext.filePath: Node 20.16+; the test file is the process's main module under --test.
      state.report = timedOutTest({ name: context.name, file: context.filePath ?? process.argv[1] });
    },
    { once: true },
  );
});

afterEach(async (hookContext) => {
  const context = hookContext as Context;
  const state = states.get(context);
  if (!state) return;
  state.finished = true;
  if (!state.report) return;
  const text = await state.report;
  context.diagnostic(`asyncgraph: what "${context.name}" was still awaiting:`);
  for (const line of text.split('\n')) context.diagnostic(line);
});
