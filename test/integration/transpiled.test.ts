// Async functions compiled to generators (TypeScript's __awaiter, Babel's asyncToGenerator) and
// promises settled from a `.then` handler (test runners' timeout wrappers), on every Node.js major
// the suite targets: the exact tree of `attach --no-color` (names as written, the `await` lines,
// mapped to the .ts source where a source map applies, and the leaf's waker), and the same graph
// in `attach --json` with each transpiled function's helper and each forwarding step marked.

import { describe, expect, inject, it } from 'vitest';
import { attachDocument, attachTree, canonicalDocument, sourceAt, treeText } from '../helpers/graph.js';
import { fixtureForSuite } from '../helpers/processes.js';

interface TranspiledCase {
  fixture: string;
  counts: string;
  tree: string[];
  /** canonicalDocument lines, any order. */
  json: string[];
  /** Script of the code that runs, for the generated `yield` of each mapped frame. */
  generated?: string;
}

const CASES: TranspiledCase[] = [
  {
    // tsc --target ES2015 with a source map: the frames are at the .ts `await`s.
    fixture: 'transpiled/out/pool-chain.js',
    generated: 'fixtures/transpiled/out/pool-chain.js',
    counts: '3 suspended frames, 1 pending promise',
    tree: [
      '└── handleRequest  fixtures/transpiled/src/pool-chain.ts:38:24',
      '    └── Repository.findUser  fixtures/transpiled/src/pool-chain.ts:29:36',
      '        └── Pool.acquire  fixtures/transpiled/src/pool-chain.ts:21:12',
      '            └── Promise <pending>  ← held in users.pool.waiters[0] (fixtures/transpiled/src/pool-chain.ts)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function handleRequest {__awaiter} fixtures/transpiled/src/pool-chain.ts:38:24 exact ← (root)',
      'async-function findUser (Repository.findUser) {__awaiter} fixtures/transpiled/src/pool-chain.ts:29:36 exact ← handleRequest',
      'async-function acquire (Pool.acquire) {__awaiter} fixtures/transpiled/src/pool-chain.ts:21:12 exact ← Repository.findUser',
      'promise Promise - none ← Pool.acquire',
    ],
  },
  {
    // async-mutex's ES module build: TypeScript's __awaiter inline, no source map.
    fixture: 'transpiled/mutex.mjs',
    counts: '5 suspended frames, 3 pending promises',
    tree: [
      '└── holdLock  fixtures/transpiled/mutex.mjs:16:3',
      '    └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      '└── refreshCache  fixtures/transpiled/mutex.mjs:20:10',
      '    └── Semaphore.runExclusive  async-mutex/index.mjs:38:38',
      '        └── Promise <pending>  ← held in mutex._semaphore._queue[0].resolve (fixtures/transpiled/mutex.mjs)',
      '└── getOrRefresh  fixtures/transpiled/mutex.mjs:24:19',
      '    └── Mutex.acquire  async-mutex/index.mjs:157:34',
      '        └── Promise <pending>  ← held in mutex._semaphore._queue[1].resolve (fixtures/transpiled/mutex.mjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function holdLock fixtures/transpiled/mutex.mjs:16:3 exact ← (root)',
      'async-function refreshCache fixtures/transpiled/mutex.mjs:20:10 exact ← (root)',
      'async-function getOrRefresh fixtures/transpiled/mutex.mjs:24:19 exact ← (root)',
      'async-function runExclusive (Semaphore.runExclusive) {__awaiter} node_modules/async-mutex/index.mjs:38:38 exact ← refreshCache',
      'async-function acquire (Mutex.acquire) {__awaiter} node_modules/async-mutex/index.mjs:157:34 exact ← getOrRefresh',
      'promise Promise - none ← holdLock',
      'promise Promise - none ← Semaphore.runExclusive',
      'promise Promise - none ← Mutex.acquire',
    ],
  },
  {
    // async-mutex's CommonJS build: ES5 state machines (tslib's __generator) run by tslib's
    // __awaiter. No [[GeneratorLocation]]: the `[4 /*yield*/, …]` is inferred from the state.
    fixture: 'transpiled/mutex-cjs.js',
    counts: '3 suspended frames, 2 pending promises',
    tree: [
      '└── holdLock  fixtures/transpiled/mutex-cjs.js:17:3',
      '    └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      '└── getOrRefresh  fixtures/transpiled/mutex-cjs.js:23:10',
      '    └── Semaphore.runExclusive  async-mutex/lib/Semaphore.js:38:36 (inferred)',
      '        └── Promise <pending>  ← held in mutex._semaphore._queue[0].resolve (fixtures/transpiled/mutex-cjs.js)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function holdLock fixtures/transpiled/mutex-cjs.js:17:3 exact ← (root)',
      'async-function getOrRefresh fixtures/transpiled/mutex-cjs.js:23:10 exact ← (root)',
      'async-function runExclusive (Semaphore.runExclusive) {__generator} node_modules/async-mutex/lib/Semaphore.js:38:36 inferred ← getOrRefresh',
      'promise Promise - none ← holdLock',
      'promise Promise - none ← Semaphore.runExclusive',
    ],
  },
  {
    // Babel's asyncToGenerator over native generators (written in the shape Babel emits).
    fixture: 'transpiled/babel.js',
    counts: '3 suspended frames, 1 pending promise',
    tree: [
      '└── worker  fixtures/transpiled/babel.js:82:5',
      '    └── consume  fixtures/transpiled/babel.js:72:17',
      '        └── Queue.take  fixtures/transpiled/babel.js:62:14',
      '            └── Promise <pending>  ← held in queue.takers[0] (fixtures/transpiled/babel.js)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function worker {asyncToGenerator} fixtures/transpiled/babel.js:82:5 exact ← (root)',
      'async-function consume {asyncToGenerator} fixtures/transpiled/babel.js:72:17 exact ← worker',
      'async-function take (Queue.take) {asyncToGenerator} fixtures/transpiled/babel.js:62:14 exact ← consume',
      'promise Promise - none ← Queue.take',
    ],
  },
  {
    // A jest-circus-like timeout wrapper: the test's chain hangs under the runner's. A handler
    // holding the resolve of a promise its own chain awaits is not linked (no false cycle).
    fixture: 'transpiled/timeout-wrapper.js',
    counts: '5 suspended frames, 2 pending promises',
    tree: [
      '└── runTest  fixtures/transpiled/timeout-wrapper.js:46:3',
      '    └── callCircusTest  fixtures/transpiled/timeout-wrapper.js:42:3',
      '        └── .then((anonymous)) via handler  (defined at fixtures/transpiled/timeout-wrapper.js:34:15)',
      '            └── testFn  fixtures/transpiled/timeout-wrapper.js:28:3',
      '                └── connectToBroker  fixtures/transpiled/timeout-wrapper.js:23:18',
      '                    └── Promise <pending>  ← held in broker.waiters[0] (fixtures/transpiled/timeout-wrapper.js)',
      '└── .then((anonymous))  (defined at fixtures/transpiled/timeout-wrapper.js:60:22)',
      '    └── waitFor  fixtures/transpiled/timeout-wrapper.js:52:10',
      '        └── Promise <pending>  ← a .then() handler on another pending promise, function at fixtures/transpiled/timeout-wrapper.js:60:22',
      'keeping the event loop alive:',
      '  stdin, reading',
      '  timer 1h (… left), callback at fixtures/transpiled/timeout-wrapper.js:33:30',
    ],
    json: [
      'async-function runTest fixtures/transpiled/timeout-wrapper.js:46:3 exact ← (root)',
      'async-function callCircusTest fixtures/transpiled/timeout-wrapper.js:42:3 exact ← runTest',
      'then (anonymous) [then] [via handler] fixtures/transpiled/timeout-wrapper.js:34:15 definition ← callCircusTest',
      'async-function testFn fixtures/transpiled/timeout-wrapper.js:28:3 exact ← .then((anonymous)) via handler',
      'async-function connectToBroker fixtures/transpiled/timeout-wrapper.js:23:18 exact ← testFn',
      'promise Promise - none ← connectToBroker',
      'then (anonymous) [then] fixtures/transpiled/timeout-wrapper.js:60:22 definition ← (root)',
      'async-function waitFor fixtures/transpiled/timeout-wrapper.js:52:10 exact ← .then((anonymous))',
      'promise Promise - none ← waitFor',
    ],
  },
];

const nodeTargets = inject('nodeTargets');

function normalize(text: string): string {
  return text.replace(/ \((?:\d+h)?(?:\d+m)?(?:[\d.]+s)?(?:\d+ms)? left\)/g, ' (… left)');
}

describe.each(nodeTargets)('node $major', ({ major, path }) => {
  for (const c of CASES) {
    describe.concurrent(c.fixture, () => {
      const target = fixtureForSuite(path, c.fixture);

      it.sequential('attach prints the tree of the functions as written', async () => {
        const { body, context } = await attachTree(target(), major, c.counts);
        expect(normalize(body), context).toBe(treeText(c.tree));
      });

      it.sequential('attach --json marks them and has the same graph', async () => {
        const { doc, context } = await attachDocument(target());
        expect(canonicalDocument(doc), context).toBe([...c.json].sort().join('\n'));
        expect(doc.cycles, context).toEqual([]);
        for (const node of doc.nodes) {
          if (node.kind !== 'async-function') continue;
          const at = node.location!;
          const file = at.url.replace(/^file:\/\/.*?\/(fixtures|node_modules)\//, '$1/');
          if (node.transpiled === '__generator') {
            // A state machine is no generator: no lookup, its yield instruction is inferred.
            expect(node.state, context).toBeUndefined();
            expect(sourceAt(file, at.line, at.column), `${node.name}\n${context}`).toMatch(/^\[4 \/\*yield\*\/, /);
            continue;
          }
          expect(node.state, `${node.name}\n${context}`).toBe('suspended');
          // Every frame is at an `await` of its source; a transpiled one runs at a `yield`, which is
          // where it is shown without a source map.
          const keyword = node.transpiled && !node.generatedLocation ? /^yield / : /^await /;
          expect(sourceAt(file, at.line, at.column), `${node.name}\n${context}`).toMatch(keyword);
          if (node.generatedLocation) {
            expect(node.transpiled, context).toBeDefined();
            const generated = node.generatedLocation;
            expect(generated.url, context).toMatch(new RegExp(`${c.generated}$`));
            expect(sourceAt(c.generated!, generated.line, generated.column), `${node.name}\n${context}`).toMatch(/^yield /);
          }
        }
      });
    });
  }
});
