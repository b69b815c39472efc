// Programs built on real libraries and toolchains (issue 12), on every Node major the suite
// targets: generic-pool, p-limit and p-queue, undici's fetch, a tsx-run TypeScript program and an
// esbuild bundle with a source map (fixtures/libs/). For each, the exact tree of
// `attach --no-color`: frames, `await` lines (the .ts lines for tsx and the bundle) and what
// wakes each leaf. Each fixture also has a heartbeat interval and SIGINT/SIGTERM handlers in the
// same scope as the waiters; none of them may be named as a waker.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CAPTURE_FLAGS, parseDocument, splitTree, treeText, type AwaitGraphDocument } from '../helpers/graph.js';
import { describeRun, expectAlive, kill, runCli, spawnFixture, type FixtureTarget } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');

/**
 * Times left vary, and so does the order of a keep-alive line's `→ wakes` list (by heap id, i.e.
 * allocation order, which differs between Node versions): that list is sorted. The rest is exact.
 */
function normalize(text: string): string {
  return text
    .replace(/ \((?:\d+h)?(?:\d+m)?(?:[\d.]+s)?(?:\d+ms)? left\)/g, ' (… left)')
    .replace(/(→ wakes )(.*)$/gm, (_all, head: string, names: string) => head + names.split(', ').sort().join(', '));
}

const HEARTBEAT_AND_SIGNALS = (file: string, line: number) => [
  `  interval 1m (… left), callback at ${file}:${line}:13`,
  '  (and 2 that do not keep it alive: SIGINT handler, unref()ed; SIGTERM handler, unref()ed)',
];

interface LibraryCase {
  fixture: string;
  nodeArgs?: string[];
  /** The tree up to "keeping the event loop alive:". */
  tree: string[];
  /** The keep-alive lines, minus those `ignore` matches (Node-version dependent: tsx's workers). */
  keepAlive: string[];
  ignore?: RegExp;
}

const POOL_HEAD = 'held in pool._waitingClientsQueue._slots[0]._list.head.data._resolve (fixtures/libs/generic-pool.js)';
const POOL_TAIL = 'held in pool._waitingClientsQueue._slots[0]._list.tail.data._resolve (fixtures/libs/generic-pool.js)';
const GENERIC_POOL: LibraryCase = {
  fixture: 'libs/generic-pool.js',
  tree: [
    '└── main  fixtures/libs/generic-pool.js:49:3',
    '    └── Promise.all',
    '        ├── loadUser  fixtures/libs/generic-pool.js:37:18',
    '        │   └── query  fixtures/libs/generic-pool.js:23:22',
    // generic-pool's Queue attaches a .catch to each request's promise (its timeout handling): it
    // observes the promise the user's query awaits, and is said on that promise's line.
    `        │       └── Promise <pending>  ← ${POOL_HEAD}  (also observed by .catch((anonymous)))`,
    '        └── loadOrders  fixtures/libs/generic-pool.js:42:18',
    '            └── query  fixtures/libs/generic-pool.js:23:22',
    `                └── Promise <pending>  ← ${POOL_TAIL}  (also observed by .catch((anonymous)))`,
  ],
  keepAlive: ['  stdin, reading', ...HEARTBEAT_AND_SIGNALS('fixtures/libs/generic-pool.js', 53)],
};

const P_LIMIT = 'function at p-limit/index.js:66:20';
const LIMITERS: LibraryCase = {
  fixture: 'libs/limiters.mjs',
  tree: [
    '└── fetchProfile  fixtures/libs/limiters.mjs:26:16',
    `    └── Promise <pending>  ← held in limit → queue.#head.value.reject, ${P_LIMIT}`,
    '└── fetchFeed  fixtures/libs/limiters.mjs:31:16',
    `    └── Promise <pending>  ← held in limit → queue.#tail.value.reject, ${P_LIMIT}`,
    '└── sync  fixtures/libs/limiters.mjs:36:18',
    '    └── Promise <pending>  ← held in queue.#queue.#queue[0].run → resolve, function at p-queue/dist/index.js:362:25',
    '└── run  p-limit/index.js:43:4',
    '    └── stuckTask  fixtures/libs/limiters.mjs:18:3',
    '        └── Promise <pending>  ← held in stalled[1].resolve (fixtures/libs/limiters.mjs)',
    '└── run  p-queue/dist/index.js:406:36',
    '    └── stuckTask  fixtures/libs/limiters.mjs:18:3',
    '        └── Promise <pending>  ← held in stalled[0].resolve (fixtures/libs/limiters.mjs)',
    // p-limit settles the caller's promise from `.then(run.bind(…))` on its queue entry's promise:
    // the two differ only by their place in the queue (#head, #tail), so they print once.
    '└── .then(bound run)  (defined at p-limit/index.js:32:14)  × 2',
    `    └── Promise <pending>  ← held in limit → queue[…].value.run, ${P_LIMIT}`,
  ],
  keepAlive: ['  stdin, reading', ...HEARTBEAT_AND_SIGNALS('fixtures/libs/limiters.mjs', 48)],
};

const TSX: LibraryCase = {
  fixture: 'libs/tsx/app.ts',
  nodeArgs: ['--import', 'tsx'],
  tree: [
    '└── main  fixtures/libs/tsx/app.ts:38:3',
    '    └── Promise.all',
    '        └── UserService.load  fixtures/libs/tsx/app.ts:31:24  × 2',
    '            └── Repository.findById  fixtures/libs/tsx/app.ts:22:24',
    '                └── Promise <pending>  ← held in waiters.get(…) (fixtures/libs/tsx/app.ts)',
  ],
  keepAlive: ['  stdin, reading', ...HEARTBEAT_AND_SIGNALS('fixtures/libs/tsx/app.ts', 42)],
  // tsx's module hooks run in worker threads (two on Node 20, one on 26), talking over ports.
  ignore: /^ {2}(?:worker thread \d+|MessagePort), open(?: {2}× \d+)?$/,
};

const BUNDLE: LibraryCase = {
  fixture: 'libs/bundle/out/app.js',
  tree: [
    '└── main  fixtures/libs/bundle/src/app.ts:36:3',
    '    └── Promise.all',
    '        └── handleRequest  fixtures/libs/bundle/src/app.ts:30:18  × 2',
    '            └── query  fixtures/libs/bundle/src/app.ts:16:34',
    '                └── Pool.acquire  fixtures/libs/bundle/src/pool.ts:17:12',
    '                    └── Promise <pending>  ← held in pool.waiting[…] (fixtures/libs/bundle/src/app.ts)',
  ],
  keepAlive: ['  stdin, reading', ...HEARTBEAT_AND_SIGNALS('fixtures/libs/bundle/src/app.ts', 40)],
};

/**
 * Root subtrees in text order. Roots with the same label and no location (two `.then(…)` steps)
 * are ordered by heap id, which differs between Node versions; everything below a root is exact.
 */
function sortRoots(lines: string[]): string[] {
  const blocks: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('└── ') || blocks.length === 0) blocks.push([line]);
    else blocks[blocks.length - 1].push(line);
  }
  return blocks.sort((a, b) => (a.join('\n') < b.join('\n') ? -1 : 1)).flat();
}

/** The tree (roots sorted) and keep-alive lines of an `attach --no-color` run, normalised. */
function sections(stdout: string, ignore?: RegExp): { tree: string; keepAlive: string[] } {
  const lines = normalize(splitTree(stdout).body).split('\n').filter((line) => line !== '');
  const at = lines.indexOf('keeping the event loop alive:');
  return {
    tree: treeText(sortRoots(at < 0 ? lines : lines.slice(0, at))),
    keepAlive: at < 0 ? [] : lines.slice(at + 1).filter((line) => !ignore?.test(line)),
  };
}

/** No timer or signal handler of the fixture is given as what wakes a leaf. */
function expectNoUnrelatedWaker(stdout: string, context: string): void {
  for (const line of stdout.split('\n')) {
    if (line.includes('←')) expect(line, context).not.toMatch(/← (?:interval|timer|SIGINT|SIGTERM)|signal handler/);
    if (line.startsWith('  ')) expect(line, context).not.toMatch(/^ {2}(?:interval|SIG\w+ handler).*→ wakes/);
  }
}

/**
 * Every waker of every leaf in `attach --json` (not only the first, which the tree shows): none is
 * a timer or a signal handler, nor mentions the fixture's signals. Returns the wakers.
 */
function expectNoUnrelatedWakerInJson(doc: AwaitGraphDocument, context: string) {
  const wakers = doc.nodes.flatMap((node) => node.settlement?.wakers ?? []);
  expect(wakers.length, context).toBeGreaterThan(0);
  for (const waker of wakers) {
    expect(waker.kind, `${waker.description}\n${context}`).not.toMatch(/^(?:timer|signal|immediate)$/);
    expect(waker.description, context).not.toMatch(/SIGINT|SIGTERM|interval/);
  }
  return wakers;
}

describe.each(nodeTargets)('node $major', ({ path }) => {
  for (const libraryCase of [GENERIC_POOL, LIMITERS, TSX, BUNDLE]) {
    describe(libraryCase.fixture, () => {
      let target: FixtureTarget | undefined;
      beforeAll(async () => {
        target = await spawnFixture(path, libraryCase.fixture, { nodeArgs: ['--inspect-port=0', ...(libraryCase.nodeArgs ?? [])] });
      });
      afterAll(async () => {
        if (target) await kill(target.child);
      });

      it('attach names the frames, their await lines and the holder of each resolver', async () => {
        const run = await runCli(['attach', String(target!.pid), '--no-color', ...CAPTURE_FLAGS]);
        const context = describeRun(run);
        expect(run.code, context).toBe(0);
        expect(run.stderr, context).toBe('');
        const { tree, keepAlive } = sections(run.stdout, libraryCase.ignore);
        expect(tree, context).toBe(treeText(sortRoots(libraryCase.tree)));
        expect(keepAlive, context).toEqual(libraryCase.keepAlive);
        expectNoUnrelatedWaker(run.stdout, context);
        const json = await runCli(['attach', String(target!.pid), '--json', ...CAPTURE_FLAGS]);
        expect(json.code, describeRun(json)).toBe(0);
        expectNoUnrelatedWakerInJson(parseDocument(json.stdout), describeRun(json));
        await expectAlive(target!);
      });
    });
  }

  describe('libs/undici-fetch.js', () => {
    let target: FixtureTarget | undefined;
    let server: Server;
    const accepted: Socket[] = [];
    let replyPort = 0;

    beforeAll(async () => {
      // Accepts and never answers.
      server = createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      replyPort = (server.address() as { port: number }).port;
      target = await spawnFixture(path, 'libs/undici-fetch.js', {
        nodeArgs: ['--inspect-port=0'],
        env: { REPLY_PORT: String(replyPort) },
      });
    });
    afterAll(async () => {
      if (target) await kill(target.child);
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('attach ends the caller’s chain at the TCP socket the request waits on', async () => {
      const run = await runCli(['attach', String(target!.pid), '--no-color', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stderr, context).toBe('');
      const socket = `TCP socket 127.0.0.1:PORT → 127.0.0.1:${replyPort}`;
      const stdout = run.stdout.replace(/127\.0\.0\.1:(\d+)/g, (all, port: string) => (port === String(replyPort) ? all : '127.0.0.1:PORT'));
      // The first closure on the way from the socket to the resolver is one of the request handler's
      // methods (they share one context); which one differs between Node versions.
      const { tree, keepAlive } = sections(
        stdout.replace(/(function at undici\/lib\/web\/fetch\/index\.js):\d+:\d+/g, '$1:LINE'),
        // undici's own 500 ms tick timer (unref()ed) comes and goes with its activity.
        /^ {2}\(and \d+ that do not keep it alive: /,
      );
      const handler = 'function at undici/lib/web/fetch/index.js:LINE (+3 more)';
      // One chain from the caller down to the socket: the caller's promise names the socket (not
      // the AbortSignal undici listens to), and undici's own mainFetch chain, which holds that
      // promise's resolve function in `fetchParams`, hangs under it (src/wakeups/holder-links.ts).
      expect(tree, context).toBe(
        treeText([
          '└── main  fixtures/libs/undici-fetch.js:21:16',
          '    └── getUser  fixtures/libs/undici-fetch.js:16:20',
          '        └── .catch((anonymous))  (defined at undici/index.js:155:41)',
          `            └── Promise <pending>  ← ${socket}, ${handler}`,
          '                └── mainFetch (holds its resolve)  undici/lib/web/fetch/index.js:596:20',
          '                    └── .catch((anonymous))  (defined at undici/lib/web/fetch/index.js:963:16)',
          '                        └── httpFetch  undici/lib/web/fetch/index.js:1142:33',
          '                            └── httpNetworkOrCacheFetch  undici/lib/web/fetch/index.js:1600:29',
          '                                └── httpNetworkFetch  undici/lib/web/fetch/index.js:1954:63',
          `                                    └── Promise <pending>  ← ${socket}, ${handler}`,
        ]),
      );
      expect(keepAlive, context).toEqual([
        `  ${socket}, reading  → wakes getUser, httpNetworkFetch`,
        '  stdin, reading',
        '  interval 1m (… left), callback at fixtures/libs/undici-fetch.js:26:13',
      ]);
      expectNoUnrelatedWaker(stdout, context);
      // The only socket named is the request's.
      const json = await runCli(['attach', String(target!.pid), '--json', ...CAPTURE_FLAGS]);
      expect(json.code, describeRun(json)).toBe(0);
      const wakers = expectNoUnrelatedWakerInJson(parseDocument(json.stdout), describeRun(json));
      const sockets = wakers.filter((waker) => waker.kind === 'socket');
      expect(sockets.length, describeRun(json)).toBe(2);
      for (const waker of sockets) expect(waker.remoteAddress, describeRun(json)).toBe(`127.0.0.1:${replyPort}`);
      await expectAlive(target!);
    });
  });
});
