// Many requests stuck on a few waits (issue 14), on every Node major: what a person reads is a
// screenful naming each wait with its count, not a chain per request.
//  - converge.js: 2000 separate `handle → loadProfile → queryUpstream` roots all awaiting one
//    pending promise: one chain × 2000, the shared promise once.
//  - libs/long-queues.mjs: 600 calls queued on p-limit and 600 queries on generic-pool, deeper
//    than a search that climbed a list one node per level reached: each names its queue.
//  - libs/service.js: 200 requests on each of three routes: a generic-pool whose only connection
//    leaked (its per-request .catch is an observer, not a root), an undici fetch to an upstream
//    that never answers, an events.once approval per order id.
import { describe, expect, inject, it } from 'vitest';
import { CAPTURE_FLAGS, parseDocument, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, expectAlive, fixtureForSuite, runCli } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');

/** Times left and locations' `(inferred)` marks vary with the budget; the rest is exact. */
function normalize(text: string): string {
  return text.replace(/ \((?:\d+h)?(?:\d+m)?(?:[\d.]+s)?(?:\d+ms)? left\)/g, ' (… left)').replace(/ \(inferred\)/g, '');
}

describe.each(nodeTargets)('node $major', ({ path }) => {
  describe('converge.js', () => {
    const target = fixtureForSuite(path, 'converge.js');

    it('2000 chains that meet at one promise print as one chain with its count', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(splitTree(run.stdout).header, context).toMatch(/6000 suspended frames, 1 pending promise$/);
      const body = normalize(splitTree(run.stdout).body).split('\n').filter((line) => !line.startsWith('note: '));
      expect(body.join('\n').trimEnd(), context).toBe(
        treeText([
          '└── handle  fixtures/converge.js:20:19  × 2000',
          '    └── loadProfile  fixtures/converge.js:15:19',
          '        └── queryUpstream  fixtures/converge.js:11:10',
          '            └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
          'keeping the event loop alive:',
          '  stdin, reading',
        ]).trimEnd(),
      );
      // The JSON keeps every chain, and says they are one group.
      const json = await runCli(['attach', String(target().pid), '--json', ...CAPTURE_FLAGS]);
      const doc = parseDocument(json.stdout);
      expect(doc.nodes.filter((node) => node.name === 'handle'), describeRun(json)).toHaveLength(2000);
      expect(doc.groups?.map((group) => group.members.length), describeRun(json)).toEqual([2000]);
      await expectAlive(target());
    });
  });

  describe('libs/long-queues.mjs', () => {
    const target = fixtureForSuite(path, 'libs/long-queues.mjs');

    it('600 waiters deep in each queue name the variable that holds it', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(splitTree(run.stdout).header, context).toMatch(/1201 suspended frames, 1801 pending promises$/);
      const limited = 'function at p-limit/index.js:66:20';
      expect(normalize(splitTree(run.stdout).body).trimEnd(), context).toBe(
        treeText([
          '└── fetchProfile  fixtures/libs/long-queues.mjs:17:16  × 600',
          `    └── Promise <pending>  ← held in limit → queue[…].value.reject, ${limited}`,
          '└── query  fixtures/libs/long-queues.mjs:22:22  × 600',
          '    └── Promise <pending>  ← held in pool._waitingClientsQueue._slots[…]._list[…].data._resolve (fixtures/libs/long-queues.mjs)  (also observed by .catch((anonymous)))',
          '└── .then(bound run)  (defined at p-limit/index.js:32:14)  × 600',
          `    └── Promise <pending>  ← held in limit → queue[…].value.run, ${limited}`,
          '└── run  p-limit/index.js:43:4',
          '    └── Promise <pending>  ← held in stalled[0] (fixtures/libs/long-queues.mjs)',
          'keeping the event loop alive:',
          '  stdin, reading',
        ]).trimEnd(),
      );
      // The JSON keeps a path whole up to 400 links, and writes a longer run with its count.
      const json = await runCli(['attach', String(target().pid), '--json', ...CAPTURE_FLAGS]);
      const paths = parseDocument(json.stdout).nodes.flatMap((node) => node.settlement?.wakers.map((waker) => waker.path ?? '') ?? []);
      expect(paths.filter((path) => /^limit → queue\.#head\.next×5\d\d\.value\.run$/.test(path)).length, describeRun(json)).toBeGreaterThan(50);
      expect(paths, describeRun(json)).toContain(`limit → queue.#head${'.next'.repeat(300)}.value.run`);
      await expectAlive(target());
    });
  });

  describe('libs/service.js', () => {
    const target = fixtureForSuite(path, 'libs/service.js');

    it('600 requests on three waits: one line per wait, with counts', async () => {
      // No exact lookups: inference alone (mainFetch, where it is ambiguous, at its definition).
      const run = await runCli(['attach', String(target().pid), '--no-color', '--location-budget', '0'], { timeoutMs: 120_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const body = normalize(splitTree(run.stdout).body);
      const roots = body.split('\n').filter((line) => line.startsWith('└── '));
      expect(roots, context).toEqual([
        '└── getUser  fixtures/libs/service.js:30:16  × 200',
        '└── loadFeed  fixtures/libs/service.js:35:20  × 200',
        '└── placeOrder  fixtures/libs/service.js:45:20  × 200',
      ]);
      // undici's own chain hangs under the caller's fetch promise, which it will settle.
      expect(body, context).toMatch(/\n {12}└── mainFetch \(holds its resolve\) {2}/);
      expect(body, context).toContain(
        '        └── Promise <pending>  ← held in pool._waitingClientsQueue._slots[…]._list[…].data._resolve (fixtures/libs/service.js)  (also observed by .catch((anonymous)))\n',
      );
      expect(body, context).toContain("        └── Promise <pending>  ← 'approved:…' listener on EventEmitter (approvals)\n");
      // /proc tells the sockets' far end (all one upstream), and the accepted ones' server port.
      expect(body, context).toMatch(/\n {2}TCP socket \? → 127\.0\.0\.1:(\d+), reading {2}→ wakes httpNetworkFetch, loadFeed {2}× 200\n/);
      const upstream = /TCP socket \? → 127\.0\.0\.1:(\d+)/.exec(body)?.[1];
      expect(body, context).toMatch(new RegExp(`\\n {2}TCP connection accepted 127\\.0\\.0\\.1:${upstream} → \\?, reading {2}× \\d+\\n`));
      // A screenful.
      expect(run.stdout.split('\n').length, context).toBeLessThan(30);
      await expectAlive(target());
    });

    it('with the default budget the lookups go to mainFetch, the one function inference cannot place', async () => {
      // undici's mainFetch awaits schemeFetch at two places. The first lookup is spent there (not
      // on the single-await functions, which are placed for certain), and the other 199 frames
      // take the place V8 gave it: the chains stay one group.
      const json = await runCli(['attach', String(target().pid), '--json'], { timeoutMs: 120_000 });
      const doc = parseDocument(json.stdout);
      const mainFetch = doc.nodes.filter((node) => node.name === 'mainFetch');
      expect(mainFetch, describeRun(json)).toHaveLength(200);
      expect(new Set(mainFetch.map((node) => `${node.location?.url.replace(/^.*\/node_modules\//, '')}:${node.location?.line}`)), describeRun(json)).toEqual(
        new Set(['undici/lib/web/fetch/index.js:596']),
      );
      expect(mainFetch.some((node) => node.locationSource === 'exact'), describeRun(json)).toBe(true);
      // Single-await user functions: exact without a lookup.
      for (const name of ['getUser', 'withConnection', 'loadFeed', 'placeOrder', 'awaitApproval']) {
        expect(new Set(doc.nodes.filter((node) => node.name === name).map((node) => node.locationSource)), name).toEqual(new Set(['exact']));
      }
      expect(doc.stats?.locationLookups, describeRun(json)).toBeLessThan(10);
      // A fetch is woken through its own socket and handler. undici's Pool is held by the same
      // listeners on each of its 200 Clients; none of them can settle another client's request.
      const fetchWakers = doc.nodes.filter((node) => node.settlement?.wakers[0]?.kind === 'socket').flatMap((node) => node.settlement!.wakers);
      expect(fetchWakers.length, describeRun(json)).toBeGreaterThanOrEqual(400);
      expect(fetchWakers.filter((waker) => / listener on Client\b/.test(waker.description)).map((waker) => waker.description), describeRun(json)).toEqual([]);
      const run = await runCli(['attach', String(target().pid), '--no-color'], { timeoutMs: 120_000 });
      const roots = normalize(splitTree(run.stdout).body).split('\n').filter((line) => line.startsWith('└── '));
      expect(roots, describeRun(run)).toEqual([
        '└── getUser  fixtures/libs/service.js:30:16  × 200',
        '└── loadFeed  fixtures/libs/service.js:35:20  × 200',
        '└── placeOrder  fixtures/libs/service.js:45:20  × 200',
      ]);
      expect(run.stdout, describeRun(run)).toMatch(/\n {12}└── mainFetch \(holds its resolve\) {2}undici\/lib\/web\/fetch\/index\.js:596:20/);
      await expectAlive(target());
    });
  });
});
