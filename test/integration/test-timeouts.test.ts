// asyncgraph/vitest in real Vitest runs (threads and forks pools), asyncgraph/node-test under
// `node --test` and asyncgraph/jest under Jest, on every Node.js major the suite targets: each
// timed-out test's failure carries its await chain, exactly as the tree view draws it (test
// function → frames at their `await`, in the .ts source for Vitest → the pending promise and what
// can wake it); passing tests take no heap snapshot.

import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, runCommand, type CliResult } from '../helpers/processes.js';
import { join } from 'node:path';

const nodeTargets = inject('nodeTargets');
const VITEST = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
/** The outer run's variables would make the inner Vitest think it runs inside a worker. */
const NO_OUTER_VITEST = { VITEST: undefined, VITEST_POOL_ID: undefined, VITEST_WORKER_ID: undefined, VITEST_MODE: undefined, NODE_ENV: undefined, TEST: undefined };

/** The chain each fixture's timed-out test prints under Vitest's timeout message. */
const CHAINS: Record<string, string[]> = {
  'socket.test.ts > loads the cart': [
    '└── test "loads the cart"  fixtures/test-timeouts/vitest/socket.test.ts:23:16',
    '    └── fetchCart  fixtures/test-timeouts/vitest/socket.test.ts:19:10',
    '        └── readReply  fixtures/test-timeouts/vitest/socket.test.ts:11:18',
    "            └── Promise <pending>  ← 'data' listener on TCP socket 127.0.0.1:PORT → 127.0.0.1:PORT",
  ],
  'timer.test.ts > retries after a pause': [
    '└── test "retries after a pause"  fixtures/test-timeouts/vitest/timer.test.ts:10:3',
    '    └── retryLater  fixtures/test-timeouts/vitest/timer.test.ts:6:3',
    '        └── Promise <pending>  ← timer 10m',
  ],
  'pool.test.ts > queries through the pool': [
    '└── test "queries through the pool"  fixtures/test-timeouts/vitest/pool.test.ts:15:3',
    '    └── withConnection  fixtures/test-timeouts/vitest/pool.test.ts:10:22',
    // The pool's own queue holds the waiter. Vitest's task list and listeners, which reach every
    // test module, are not taken for wakers (src/test-runners/timed-out-test.ts).
    '        └── Promise <pending>  ← held in node.data._resolve (node_modules/generic-pool/lib/Queue.js)',
  ],
  'never.test.ts > waits until ready': [
    '└── test "waits until ready"  fixtures/test-timeouts/vitest/never.test.ts:12:3  ✖ deadlock',
    '    └── whenReady  fixtures/test-timeouts/vitest/never.test.ts:8:3  ✖ deadlock',
    '        └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  ],
};

function runVitest(nodePath: string, fixture: string, pool: string): Promise<CliResult> {
  return runCommand(nodePath, [VITEST, 'run', '--root', `fixtures/test-timeouts/${fixture}`, '--pool', pool], {
    env: NO_OUTER_VITEST,
    // Bounds the whole run (four tests time out after 3 s, each then snapshots its worker).
    timeoutMs: 240_000,
  });
}

/**
 * Each failed test's text between Vitest's timeout message and the `❯ file:line` pointer, with
 * what changes from run to run made constant: ports, timers' time left, and whether a frame's
 * `await` was looked up exactly or inferred from the source (the location budget decides; the
 * place is the same).
 */
function failures(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const blocks = output.split(/^ FAIL +/m).slice(1);
  for (const block of blocks) {
    const lines = block.split('\n');
    const title = lines[0].trim();
    const end = lines.findIndex((line) => /^ ❯ \S+:\d+:\d+$/.test(line));
    found.set(title, lines.slice(1, end < 0 ? undefined : end));
  }
  return found;
}

function normalize(line: string): string {
  return line
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/ \(\d+m\d+s left\)| \(\d+s left\)/, '')
    .replace(/ \(inferred\)/g, '');
}

/** The chain asyncgraph/node-test adds after each timed-out node:test test, as its diagnostics. */
const NODE_TEST_CHAINS: Record<string, string[]> = {
  'loads the cart': [
    'ℹ └── test "loads the cart"  fixtures/test-timeouts/node-test/socket.test.mjs:46:3',
    'ℹ     └── fetchCart  fixtures/test-timeouts/node-test/socket.test.mjs:40:10',
    'ℹ         └── readReply  fixtures/test-timeouts/node-test/socket.test.mjs:32:18',
    "ℹ             └── Promise <pending>  ← 'data' listener on TCP socket 127.0.0.1:PORT → 127.0.0.1:PORT",
  ],
  'retries after a pause': [
    'ℹ └── test "retries after a pause"  fixtures/test-timeouts/node-test/never.test.mjs:11:3',
    'ℹ     └── retryLater  fixtures/test-timeouts/node-test/never.test.mjs:7:3',
    'ℹ         └── Promise <pending>  ← timer 10m',
  ],
  // The test that timed out before it in the same file still hangs on its timer: not this chain.
  'waits until ready': [
    'ℹ └── test "waits until ready"  fixtures/test-timeouts/node-test/never.test.mjs:22:3',
    'ℹ     └── whenReady  fixtures/test-timeouts/node-test/never.test.mjs:18:3  ✖ deadlock',
    'ℹ         └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  ],
};

/** Each `ℹ asyncgraph: what "NAME" was still awaiting:` block: the chain's lines after the header and cost. */
function nodeTestChains(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const lines = output.split('\n');
  lines.forEach((line, at) => {
    const name = /^ℹ asyncgraph: what "(.*)" was still awaiting:$/.exec(line)?.[1];
    if (name === undefined) return;
    const block: string[] = [];
    for (let next = at + 1; next < lines.length && /^ℹ (pid |capture cost: |[ │├└])/.test(lines[next]); next++) block.push(lines[next]);
    found.set(name, block);
  });
  return found;
}

/** The chain asyncgraph/jest appends to each timed-out Jest test's message. */
const JEST_CHAINS: Record<string, string[]> = {
  'loads the cart': [
    '└── test "loads the cart"  fixtures/test-timeouts/jest/socket.test.js:47:3',
    '    └── fetchCart  fixtures/test-timeouts/jest/socket.test.js:41:10',
    '        └── readReply  fixtures/test-timeouts/jest/socket.test.js:33:18',
    "            └── Promise <pending>  ← 'data' listener on TCP socket 127.0.0.1:PORT → 127.0.0.1:PORT",
  ],
  'retries after a pause': [
    '└── test "retries after a pause"  fixtures/test-timeouts/jest/never.test.js:10:3',
    '    └── retryLater  fixtures/test-timeouts/jest/never.test.js:6:3',
    '        └── Promise <pending>  ← timer 10m',
  ],
  'waits until ready': [
    '└── test "waits until ready"  fixtures/test-timeouts/jest/never.test.js:21:3  ✖ deadlock',
    '    └── whenReady  fixtures/test-timeouts/jest/never.test.js:17:3  ✖ deadlock',
    '        └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  ],
};

/** Each `● NAME` failure of Jest's output: its lines from the header (`pid …`) to the first blank line, unindented. */
function jestChains(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const lines = output.split('\n');
  lines.forEach((line, at) => {
    const name = /^ {2}● (.*)$/.exec(line)?.[1];
    if (name === undefined || name === 'Console') return;
    const start = lines.findIndex((candidate, index) => index > at && /^ {4}pid \d+, node /.test(candidate));
    if (start < 0) return;
    const end = lines.findIndex((candidate, index) => index > start && candidate.trim() === '');
    found.set(name, lines.slice(start, end).map((text) => text.slice(4)));
  });
  return found;
}

describe.each(nodeTargets)('node $major', ({ path, version }) => {
  it('Jest: a timed-out test\'s message carries its await chain; passing tests take no heap snapshot', async () => {
    const result = await runCommand(
      path,
      [join(REPO_ROOT, 'node_modules/jest/bin/jest.js'), '--config', 'fixtures/test-timeouts/jest/jest.config.cjs', '--forceExit', '--ci'],
      { env: NO_OUTER_VITEST, timeoutMs: 240_000 },
    );
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toContain('heap snapshots after each test: 0 1 1');
    const chains = jestChains(output);
    expect([...chains.keys()].sort(), output).toEqual(Object.keys(JEST_CHAINS).sort());
    for (const [name, chain] of Object.entries(JEST_CHAINS)) {
      const block = chains.get(name)!;
      expect(block[0], output).toMatch(new RegExp(`^pid \\d+, node ${version.replace(/\./g, '\\.')} — `));
      expect(block[1], output).toMatch(/^capture cost: the heap snapshot stopped it for /);
      expect(block.slice(2).map(normalize), output).toEqual(chain);
    }
  }, 300_000);

  it('node:test: a timed-out test is followed by its await chain; passing tests take no heap snapshot', async () => {
    const files = ['socket.test.mjs', 'never.test.mjs'].map((file) => `fixtures/test-timeouts/node-test/${file}`);
    const result = await runCommand(
      path,
      ['--test', '--test-force-exit', '--test-reporter=spec', '--import', join(REPO_ROOT, 'dist/test-runners/node-test.js'), ...files],
      { env: NO_OUTER_VITEST, timeoutMs: 240_000 },
    );
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    // The last test skips itself: Node 24+ run afterEach for it (one more count), Node 20 and 22 do
    // not; either way it takes no snapshot.
    expect(output).toMatch(/heap snapshots after each test: 0 1 1( 1)?\n/);
    expect(output).toContain('heap snapshots in all: 1\n');
    const chains = nodeTestChains(output);
    expect([...chains.keys()].sort(), output).toEqual(Object.keys(NODE_TEST_CHAINS).sort());
    for (const [name, chain] of Object.entries(NODE_TEST_CHAINS)) {
      const block = chains.get(name)!;
      expect(block[0], output).toMatch(new RegExp(`^ℹ pid \\d+, node ${version.replace(/\./g, '\\.')} — `));
      expect(block[1], output).toMatch(/^ℹ capture cost: the heap snapshot stopped it for /);
      expect(block.slice(2).map(normalize), output).toEqual(chain);
    }
  }, 300_000);

  describe.each(['threads', 'forks'])('pool %s', (pool) => {
    it('a timed-out test shows its await chain: socket, timer, pool, never settles', async () => {
      const result = await runVitest(path, 'vitest', pool);
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(1);
      const failed = failures(output);
      expect([...failed.keys()].sort(), output).toEqual(Object.keys(CHAINS).sort());
      for (const [title, chain] of Object.entries(CHAINS)) {
        const lines = failed.get(title)!;
        // Vitest's own message first, then the header, the capture's cost, the chain.
        expect(lines.slice(0, 3), output).toEqual([
          'Error: Test timed out in 3000ms.',
          'If this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".',
          '',
        ]);
        expect(lines[3], output).toMatch(new RegExp(`^pid \\d+, node ${version.replace(/\./g, '\\.')} — `));
        expect(lines[4], output).toMatch(/^capture cost: the heap snapshot stopped it for /);
        const drawn = lines.slice(5).filter((line) => line.trim() !== '').map(normalize);
        expect(drawn, output).toEqual(chain);
      }
    }, 300_000);
  });

  it('passing tests take no heap snapshot, the timed-out one takes one', async () => {
    const result = await runVitest(path, 'vitest-passing', 'threads');
    const output = result.stdout + result.stderr;
    expect(output).toContain('heap snapshots after each test: 0 0 0 1 1');
    expect(output).toMatch(/Tests +1 failed \| 4 passed \(5\)/);
  }, 300_000);
});
