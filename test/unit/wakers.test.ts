// What will wake each await (src/wakeups/wakers.ts, keep-alive.ts, wakeup-document.ts), on recorded
// snapshots of test/recorded/programs/wakeups.js from Node 20, 22 and 24: the exact verdicts and
// wakers, and the pure pieces around them. Live targets (sockets, child processes, files, the
// time left on timers, --watch, --fail-on): test/integration/wakeup.test.ts.
import { describe, expect, it } from 'vitest';
import type { AwaitGraphDocument, AwaitNode, KeepAliveHandle } from '../../src/schema.js';
import { matchTcpSockets, wakeupKey } from '../../src/document/wakeup-document.js';
import { applyWatch, frameSignatures } from '../../src/document/watch.js';
import { formatDuration } from '../../src/units.js';
import { renderTree } from '../../src/render/tree.js';
import { failOnExitCode, hasDeadlock } from '../../src/cli/wakeup-options.js';
import { loopNowAt } from '../../src/target/proc-facts.js';
import { leafVerdicts } from '../helpers/documents.js';
import { recordedDocument, recordedSnapshotText } from '../helpers/recorded.js';
import { SnapshotParser } from '../../src/snapshot/snapshot-parser.js';
import { HeapGraph } from '../../src/snapshot/heap-graph.js';
import { findAwaitGraph } from '../../src/awaits/await-graph.js';
import { heapWakeupSteps, newAwaitGraphTrace, runWakeupSteps } from '../../src/wakeups/wakers.js';

function documentOf(program: string, major: number, loopNowMs?: number): AwaitGraphDocument {
  return recordedDocument(program, major, loopNowMs !== undefined ? { loopNowMs } : {});
}

function treeOf(doc: AwaitGraphDocument): string {
  return renderTree(doc, { colors: false, cwd: '/programs' })
    .split('\n')
    .slice(1)
    .join('\n');
}


const MAJORS = [20, 22, 24, 26];

describe.each(MAJORS)('recorded wakeups.js from Node %i', (major) => {
  const doc = documentOf('wakeups', major);

  it('names what can settle each leaf, and proves the never-settling ones', () => {
    expect(leafVerdicts(doc, { descriptions: true })).toEqual([
      'Promise.allSettled in settledNever → can-settle: timer timer 1h',
      'Promise.allSettled in settledNever → never',
      'Promise.race in raceA → can-settle: timer timer 1h',
      'acquire → can-settle: variable held in pool.waiters[0]',
      'awaitsDropped → never',
      'awaitsForever → never',
      "awaitsJob → can-settle: variable held in pendingJobs.get(…).resolve",
      'awaitsUnrefTimer → can-settle: timer timer 1h',
      'sleepCallback → can-settle: timer timer 1h',
      'sleepPromise → can-settle: timer timer 1h',
      "waitAbort → can-settle: abort-signal 'abort' listener on AbortSignal (controller.#signal)",
      "waitMessage → can-settle: event-listener 'message' listener on EventEmitter (bus)",
    ]);
  });

  it('marks every node that can only wait on a never-settling one, cycles included', () => {
    const never = doc.nodes.filter((node) => node.neverSettles).map((node) => `${node.kind} ${node.name}`);
    expect(never.sort()).toEqual([
      'async-function awaitsDropped',
      'async-function awaitsForever',
      'async-function cycleA',
      'async-function cycleB',
      'async-function settledNever',
      'combinator Promise.allSettled',
      'promise Promise',
      'promise Promise',
      'promise Promise',
    ]);
    // The race's cycle can be broken by its timer: not a deadlock, though it is a cycle.
    const names = (ids: number[]) => ids.map((id) => doc.nodes.find((node) => node.id === id)!.name);
    expect(doc.cycles.map(names)).toEqual([['cycleA', 'cycleB'], ['raceA', 'raceB', 'Promise.race']].map((c) => expect.arrayContaining(c)));
    expect(hasDeadlock(doc)).toBe(true);
  });

  it('draws the verdicts in the tree and lists what keeps the loop alive', () => {
    const tree = treeOf(doc).split('\n');
    // The handles that keep nothing alive differ by version (which stdio streams exist).
    const idle = tree.findIndex((line) => line.startsWith('  (and '));
    expect(tree[idle]).toMatch(/^  \(and \d that do not keep it alive: .*timer 1h, unref\(\)ed.*\)$/);
    expect(tree.slice(0, idle).join('\n') + '\n').toBe(`\
└── awaitsForever  (defined at wakeups.js:12:29)  ✖ deadlock
    └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it
└── awaitsDropped  (defined at wakeups.js:18:29)  ✖ deadlock
    └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it
└── settledNever  (defined at wakeups.js:32:28)  ✖ deadlock
    └── Promise.allSettled  ✖ deadlock
        ├── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it
        └── Promise <pending>  ← timer 1h
└── awaitsJob  (defined at wakeups.js:46:25)
    └── Promise <pending>  ← held in pendingJobs.get(…).resolve (wakeups.js)
└── Pool.acquire  (defined at wakeups.js:54:16)
    └── Promise <pending>  ← held in pool.waiters[0] (wakeups.js)
└── sleepCallback  (defined at wakeups.js:65:29)
    └── Promise <pending>  ← timer 1h, callback at wakeups.js:66:45
└── sleepPromise  (defined at wakeups.js:69:28)
    └── Promise <pending>  ← timer 1h
└── waitMessage  (defined at wakeups.js:74:27)
    └── Promise <pending>  ← 'message' listener on EventEmitter (bus)
└── waitAbort  (defined at wakeups.js:79:25)
    └── Promise <pending>  ← 'abort' listener on AbortSignal (controller.#signal)
└── awaitsUnrefTimer  (defined at wakeups.js:83:32)
    └── Promise <pending>  ← timer 1h, unref()ed
└── cycleA  (defined at wakeups.js:24:22)  ✖ deadlock
    └── cycleB  (defined at wakeups.js:27:22)  ✖ deadlock
        └── ↻ cycleA (await cycle)
└── raceA  (defined at wakeups.js:37:21)
    └── Promise.race
        ├── raceB  (defined at wakeups.js:40:21)
        │   └── ↻ raceA (await cycle)
        └── Promise <pending>  ← timer 1h
cycle: cycleA → cycleB → cycleA
cycle: raceA → raceB → Promise.race → raceA
keeping the event loop alive:
  timer 1h, callback at wakeups.js:66:45  → wakes sleepCallback
  timer 1h  → wakes sleepPromise
  timer 1h  → wakes settledNever
  timer 1h  → wakes raceA
`);
  });

  it('keeps the facts of each handle in the JSON', () => {
    const timers = doc.keepAlive!.filter((handle) => handle.kind === 'timer');
    expect(timers.map((handle) => [handle.timer!.delayMs, handle.timer!.repeat, handle.refed, handle.active])).toEqual(
      expect.arrayContaining([
        [3_600_000, false, true, true],
        [3_600_000, false, false, false],
      ]),
    );
    const leaf = doc.nodes.find((node) => node.settlement?.wakers[0]?.path === 'pool.waiters[0]')!;
    expect(leaf.settlement!.wakers[0]).toMatchObject({ kind: 'variable', path: 'pool.waiters[0]', scope: 'file:///programs/wakeups.js' });
  });

  it('gives the time left when the loop clock is known', () => {
    const withClock = documentOf('wakeups', major, 60_000);
    const left = withClock.keepAlive!.filter((handle) => handle.timer?.delayMs === 3_600_000).map((handle) => handle.timer!.remainingMs!);
    // Armed right after the program started: about 59 minutes left a minute in.
    for (const ms of left) expect(ms).toBeGreaterThan(3_600_000 - 60_000 - 1000);
    for (const ms of left) expect(ms).toBeLessThanOrEqual(3_600_000 - 60_000 + 1000);
  });
});

function handle(partial: Partial<KeepAliveHandle> & Pick<KeepAliveHandle, 'id' | 'kind' | 'description'>): KeepAliveHandle {
  const draft = { className: partial.kind === 'server' ? 'Server' : 'Socket', state: 'reading', active: true, wakes: [], ...partial } as KeepAliveHandle;
  // As wakeup-document.ts keeps them: the heap's own description and address, not enumerable.
  Object.defineProperty(draft, 'heapDescription', { value: partial.description, enumerable: false });
  Object.defineProperty(draft, 'heapLocal', { value: partial.localAddress, enumerable: false });
  return draft;
}

describe('matching the heap with /proc sockets', () => {
  const rows = [
    { localAddress: '127.0.0.1', localPort: 9229, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN' },
    { localAddress: '127.0.0.1', localPort: 9229, remoteAddress: '127.0.0.1', remotePort: 50000, state: 'ESTABLISHED' },
    { localAddress: '127.0.0.1', localPort: 41000, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN' },
    { localAddress: '127.0.0.1', localPort: 41000, remoteAddress: '127.0.0.1', remotePort: 50001, state: 'ESTABLISHED' },
    { localAddress: '127.0.0.1', localPort: 50002, remoteAddress: '127.0.0.1', remotePort: 6379, state: 'ESTABLISHED' },
  ];

  it('matches a port-0 server, its only connection and the only client socket; marks the inspector', () => {
    const handles = [
      handle({ id: 1, kind: 'server', description: 'server 127.0.0.1:0 (listening)', localAddress: '127.0.0.1:0', state: 'listening' }),
      handle({ id: 2, kind: 'socket', description: 'TCP connection accepted 127.0.0.1:0 → ?', localAddress: '127.0.0.1:0' }),
      handle({ id: 3, kind: 'socket', description: 'TCP socket' }),
    ];
    const sockets = matchTcpSockets(handles, rows, 9229);
    expect(handles.map((h) => h.description)).toEqual([
      'server 127.0.0.1:41000 (listening)',
      'TCP connection accepted 127.0.0.1:41000 → 127.0.0.1:50001',
      'TCP socket 127.0.0.1:50002 → 127.0.0.1:6379',
    ]);
    expect(sockets.map((s) => [s.localAddress, s.state, s.inspector ?? false, s.handleId ?? null])).toEqual([
      ['127.0.0.1:9229', 'LISTEN', true, null],
      ['127.0.0.1:9229', 'ESTABLISHED', true, null],
      ['127.0.0.1:41000', 'LISTEN', false, 1],
      ['127.0.0.1:41000', 'ESTABLISHED', false, 2],
      ['127.0.0.1:50002', 'ESTABLISHED', false, 3],
    ]);
  });

  it("gives a matched server's accepted connections its address when it cannot tell them apart", () => {
    const handles = [
      handle({ id: 1, kind: 'server', description: 'server 127.0.0.1:0 (listening)', localAddress: '127.0.0.1:0', state: 'listening' }),
      handle({ id: 2, kind: 'socket', description: 'TCP connection accepted 127.0.0.1:0 → ?', localAddress: '127.0.0.1:0' }),
      handle({ id: 4, kind: 'socket', description: 'TCP connection accepted 127.0.0.1:0 → ?', localAddress: '127.0.0.1:0' }),
    ];
    const sockets = matchTcpSockets(handles, [...rows, { ...rows[3], remotePort: 50009 }], 9229);
    expect(handles.map((h) => h.description)).toEqual([
      'server 127.0.0.1:41000 (listening)',
      'TCP connection accepted 127.0.0.1:41000 → ?',
      'TCP connection accepted 127.0.0.1:41000 → ?',
    ]);
    expect(sockets.filter((s) => s.handleId !== undefined).map((s) => s.handleId)).toEqual([1]);
    // Under a wildcard listener with connections on two local addresses: only the port is known.
    const wildcard = [
      handle({ id: 1, kind: 'server', description: 'server :::0 (listening)', localAddress: ':::0', state: 'listening' }),
      handle({ id: 2, kind: 'socket', description: 'TCP connection accepted :::0 → ?', localAddress: ':::0' }),
      handle({ id: 4, kind: 'socket', description: 'TCP connection accepted :::0 → ?', localAddress: ':::0' }),
    ];
    const wildcardRows = [
      { localAddress: '::', localPort: 41000, remoteAddress: '::', remotePort: 0, state: 'LISTEN' },
      { localAddress: '::1', localPort: 41000, remoteAddress: '::1', remotePort: 50001, state: 'ESTABLISHED' },
      { localAddress: '::ffff:127.0.0.1', localPort: 41000, remoteAddress: '::ffff:127.0.0.1', remotePort: 50002, state: 'ESTABLISHED' },
    ];
    matchTcpSockets(wildcard, wildcardRows, 9229);
    expect(wildcard.map((h) => h.description)).toEqual([
      'server [::]:41000 (listening)',
      'TCP connection accepted *:41000 → ?',
      'TCP connection accepted *:41000 → ?',
    ]);
  });

  it('matches nothing it cannot tell apart: two client sockets, or worker threads in the process', () => {
    const two = [handle({ id: 3, kind: 'socket', description: 'TCP socket' }), handle({ id: 4, kind: 'socket', description: 'TCP socket' })];
    matchTcpSockets(two, [...rows, { ...rows[4], localPort: 50003, remotePort: 6380 }], 9229);
    expect(two.map((h) => h.description)).toEqual(['TCP socket', 'TCP socket']);
    // All to one peer, as many as the connections: the far end is known, not which local port is whose.
    const samePeer = [handle({ id: 3, kind: 'socket', description: 'TCP socket' }), handle({ id: 4, kind: 'socket', description: 'TCP socket' })];
    const clientRows = rows.filter((row) => row.localPort !== 41000);
    const sockets = matchTcpSockets(samePeer, [...clientRows, { ...rows[4], localPort: 50003 }], 9229);
    expect(samePeer.map((h) => h.description)).toEqual(['TCP socket ? → 127.0.0.1:6379', 'TCP socket ? → 127.0.0.1:6379']);
    expect(sockets.filter((s) => s.remoteAddress === '127.0.0.1:6379').map((s) => s.handleId)).toEqual([undefined, undefined]);
    const withWorker = [handle({ id: 3, kind: 'socket', description: 'TCP socket' }), handle({ id: 9, kind: 'worker', description: 'worker thread 1' })];
    matchTcpSockets(withWorker, rows, 9229);
    expect(withWorker[0].description).toBe('TCP socket');
  });
});

describe('--watch: frames that did not move', () => {
  const node = (id: number, kind: AwaitNode['kind'], awaitedBy: number[]): AwaitNode => ({
    id,
    kind,
    name: `n${id}`,
    location: null,
    locationSource: 'none',
    awaitedBy,
  });

  it('marks a frame that awaits the same objects in every look, not one that awaits a new promise', () => {
    // Look 1: frame 1 awaits promise 10, frame 2 awaits promise 20.
    const first = frameSignatures([node(1, 'async-function', []), node(10, 'promise', [1]), node(2, 'async-function', []), node(20, 'promise', [2])]);
    // Last look: frame 1 still awaits 10; frame 2 now awaits 21 (it went round a loop).
    const nodes = [node(1, 'async-function', []), node(10, 'promise', [1]), node(2, 'async-function', []), node(21, 'promise', [2])];
    const watch = applyWatch(nodes, [{ at: new Date(1000), snapshotMs: 120.4, frames: first }], new Date(31_000));
    expect(watch).toEqual({ looks: 2, spanMs: 30_000, lookedAt: [new Date(1000).toISOString(), new Date(31_000).toISOString()], snapshotMs: [120] });
    expect(nodes.map((n) => n.stuckMs)).toEqual([30_000, undefined, undefined, undefined]);
  });
});

describe('small pieces', () => {
  it('formats delays and times left', () => {
    const formatDelay = (ms: number) => formatDuration(ms, { secondsPastAnHour: false });
    expect([formatDelay(3_600_000), formatDelay(90_000), formatDelay(1500), formatDelay(250), formatDelay(3_661_000)]).toEqual(['1h', '1m30s', '1.5s', '250ms', '1h1m']);
    expect([formatDelay(3_540_000), formatDelay(59_000), formatDelay(3_599_000)]).toEqual(['59m', '59s', '59m59s']);
  });

  it('estimates the loop clock at the snapshot from the process age read later', () => {
    expect(loopNowAt({ ageMs: 10_000, readAt: 5_000 }, new Date(4_000))).toBe(9_000);
    expect(loopNowAt({ readAt: 5_000 }, new Date(4_000))).toBeUndefined();
  });

  it('--fail-on deadlock: exit code 1 only with a never-settling node', () => {
    const documentWith = (node: AwaitNode): AwaitGraphDocument => ({
      schemaVersion: 1,
      tool: { name: 'asyncgraph', version: 't' },
      target: { pid: 1, nodeVersion: null, url: 'ws://x' },
      capturedAt: '',
      nodes: [node],
      cycles: [],
    });
    const leaf: AwaitNode = { id: 1, kind: 'promise', name: 'Promise', location: null, locationSource: 'none', awaitedBy: [] };
    const stuck = documentWith({ ...leaf, neverSettles: true });
    const fine = documentWith(leaf);
    expect(failOnExitCode(stuck, { failOn: 'deadlock' })).toBe(1);
    expect(failOnExitCode(stuck, {})).toBeUndefined();
    expect(failOnExitCode(fine, { failOn: 'deadlock' })).toBeUndefined();
  });

  it('collapses siblings that differ only by a pool index, not ones with different verdicts', () => {
    const leaf = (description: string, verdict: 'can-settle' | 'never'): AwaitNode => ({
      id: 1,
      kind: 'promise',
      name: 'Promise',
      location: null,
      locationSource: 'none',
      awaitedBy: [],
      settlement: { verdict, reason: '', wakers: verdict === 'never' ? [] : [{ kind: 'variable', description }] },
    });
    expect(wakeupKey(leaf('held in pool.waiters[0]', 'can-settle'))).toBe(wakeupKey(leaf('held in pool.waiters[7]', 'can-settle')));
    expect(wakeupKey(leaf('held in pool.waiters[0]', 'can-settle'))).not.toBe(wakeupKey(leaf('', 'never')));
  });

  it('groups leaves whatever the number of wakers after the first, not a leaf with one and a leaf with more', () => {
    const leaf = (more: number): AwaitNode => ({
      id: 1,
      kind: 'promise',
      name: 'Promise',
      location: null,
      locationSource: 'none',
      awaitedBy: [],
      settlement: {
        verdict: 'can-settle',
        reason: '',
        wakers: [{ kind: 'socket', description: 'TCP socket' }, ...Array.from({ length: more }, (_, k) => ({ kind: 'variable' as const, description: `held in x${k}` }))],
      },
    });
    // Two fetches' third and fourth holders differ with the undici function holding the signal.
    expect(wakeupKey(leaf(2))).toBe(wakeupKey(leaf(3)));
    expect(wakeupKey(leaf(0))).not.toBe(wakeupKey(leaf(1)));
  });
});

/** The settlements of a program recorded on Node 20, with the search's budget given (no sources). */
function recordedSettlements(program: string, totalSearchLimit: number, minLeafShare?: number) {
  const parser = new SnapshotParser();
  parser.write(recordedSnapshotText(program, 20));
  const heap = new HeapGraph(parser.end());
  const trace = newAwaitGraphTrace();
  const nodes = findAwaitGraph(heap, trace);
  const wakeups = runWakeupSteps(heapWakeupSteps(heap, nodes, trace, undefined, { totalSearchLimit, ...(minLeafShare ? { minLeafShare } : {}) }), undefined, undefined);
  return [...wakeups!.settlements.values()];
}

describe('the search budget, shared by the leaves (recorded programs from Node 20)', () => {
  // The budget is the tool's, not V8's: one Node version is enough.
  function wakersByLeaf(program: string, totalSearchLimit: number, minLeafShare?: number): string[] {
    return recordedSettlements(program, totalSearchLimit, minLeafShare).map(({ wakers }) => wakers.map((waker) => waker.description).join(' | '));
  }

  // wake-queue.js: 700 waiters in one linked queue, each search hundreds of nodes, then 100
  // approvals a few steps from their emitter. Together they need about 400,000 nodes.
  it('names every approval after the queue has had its share, and leaves no leaf without a search', () => {
    const halfBudget = wakersByLeaf('wake-queue', 200_000);
    const approvals = halfBudget.filter((wakers) => wakers.includes('listener on EventEmitter (approvals)'));
    expect(approvals).toHaveLength(100);
    expect(halfBudget.filter((wakers) => wakers.includes('the search budget went to other leaves'))).toEqual([]);
    // The queue's waiters nearest its ends are named through it with a share of ~250 nodes.
    expect(halfBudget.filter((wakers) => /^held in queue\.(head|tail)/.test(wakers)).length).toBeGreaterThan(100);
  });

  it('with the whole budget, every waiter names the queue', () => {
    const whole = wakersByLeaf('wake-queue', 2_000_000);
    expect(whole.filter((wakers) => /^held in queue\.(head|tail)/.test(wakers))).toHaveLength(700);
    expect(whole).toContain('held in queue.head.next×303.data.resolve');
  });

  // wake-deep-one.js: one waiter 300 nodes down a list, settled first, then 1000 approvals. Its
  // share of 100,000 nodes among 1001 leaves is the minimum, 256; what the approvals leave is
  // then given to it.
  it('gives what the cheap leaves leave to the leaf its share cut short', () => {
    const wakers = wakersByLeaf('wake-deep-one', 100_000);
    expect(wakers.filter((text) => !text.includes('approved'))).toEqual(['held in list.head.next×299.resolve']);
    expect(wakers.filter((text) => /^'approved:\d+' listener on EventEmitter \(approvals\)$/.test(text))).toHaveLength(1000);
  });

  // wake-lists.js: 20 waiters, each 200 nodes down its own list, between 20 awaits that never
  // settle (not searched). Only the waiters cut short are searched again: with 6000 nodes and a
  // minimum share of 50, the leftover covers all of them.
  it('searches again only the leaves cut short, not the ones that were not searched', () => {
    const wakers = wakersByLeaf('wake-lists', 6000, 50);
    expect(wakers.filter((text) => /^held in lists\[\d+\]\.head\.next×199\.resolve$/.test(text))).toHaveLength(20);
    expect(wakers.filter((text) => text === '')).toHaveLength(20);
  });
});

describe('linked lists and wide nodes (a recorded program from Node 20)', () => {
  // wake-long-lists.js: waiters up to 600 deep in lists, 1900 leaves. A budget of 400,000 nodes
  // gives each search its minimum share, 256 nodes: a search that climbed a list one node per
  // level, or climbed a wide node's thousand holders first, would name no variable.
  const settlements = recordedSettlements('wake-long-lists', 400_000);
  const first = settlements.flatMap(({ wakers }) => (wakers.length > 0 ? [wakers[0]] : []));
  const count = (pattern: RegExp) => first.filter((waker) => pattern.test(waker.description)).length;

  it('climbs a list in one step: every waiter of a 600-long queue behind a wide node names the queue', () => {
    // Behind the queue, `run` is held by each waiter's bound function and by the scope `limit` holds.
    expect(count(/^held in limit → queue\.(head|tail)/)).toBe(600);
    // generic-pool's shape: each node is also in its waiter's handler's scope, and so is the
    // queue, which 500 such scopes hold besides `pool`.
    expect(count(/^held in pool\.queue\.list\.(head|tail)/)).toBe(500);
    expect(count(/^held in ring\.next/)).toBe(50);
  });

  it('names a waiter of a doubly linked list through the nearer end', () => {
    const pool = first.map((waker) => waker.description).filter((text) => text.startsWith('held in pool.queue.list.'));
    const links = (text: string) => Number(/×(\d+)/.exec(text)?.[1] ?? text.match(/\.(?:next|prev)\b/g)?.length ?? 0);
    expect(Math.max(...pool.map(links))).toBeLessThan(250);
    expect(pool).toContain('held in pool.queue.list.head.next.next.data.resolve');
    expect(pool).toContain('held in pool.queue.list.tail.prev.prev.data.resolve');
  });

  it('stops a run at a node a variable holds, and names that variable when it is nearer', () => {
    // `cursor` holds the 50th of 100 links: the 50 behind it and itself name it.
    expect(count(/^held in cursor\b/)).toBe(51);
    expect(count(/^held in line\.head\b/)).toBe(49);
  });

  it('counts a run’s links in the distance: a suspended function nearer than the list still holds the resolver', () => {
    // `keeper` holds each `chain` waiter's resolve 7 steps down; the list's variable is 3 steps
    // plus one per link above the waiter. From the fifth waiter on, the function is nearer.
    const kept = settlements.filter(({ wakers }) => /^held in chain\.head\b/.test(wakers[0]?.description ?? ''));
    expect(kept).toHaveLength(12);
    expect(kept.filter(({ holderFrames }) => (holderFrames?.length ?? 0) > 0).map(({ wakers }) => wakers[0].description)).toEqual(
      Array.from({ length: 8 }, (_, k) => `held in chain.head.next×${k + 4}.resolve`),
    );
  });

  it('keeps a path whole below 400 links, and writes a longer run with its count', () => {
    const deepest = first.find((waker) => waker.description === 'held in limit → queue.head.next×598.value.run');
    expect(deepest?.path).toBe('limit → queue.head.next×598.value.run');
    const nearer = first.find((waker) => waker.description === 'held in limit → queue.head.next×100.value.run');
    expect(nearer?.path).toBe(`limit → queue.head${'.next'.repeat(100)}.value.run`);
  });
});
