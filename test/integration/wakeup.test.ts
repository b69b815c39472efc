// What will wake each await (issue 5), on live targets under Node 20, 22 and 24: the exact
// verdict and waker of every case in fixtures/wake-never.js and fixtures/wake-resources.js, the
// keep-alive section, `--fail-on deadlock`, and `--watch`.
//
// wake-resources.js needs a TCP server that accepts and never answers (started here, in the test
// process) and a FIFO nobody writes (made here with mkfifo); it starts `sleep 3600`, which is
// killed in teardown with the fixture.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CAPTURE_FLAGS, parseDocument, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, expectAlive, fixtureForSuite, kill, runCli, spawnFixture, type FixtureTarget } from '../helpers/processes.js';
import { leafVerdicts } from '../helpers/documents.js';

const HOUR = 3_600_000;
const nodeTargets = inject('nodeTargets');

/** Times left and Node's own line numbers vary; the rest of a line is exact. */
function normalize(text: string, replacements: [string, string][] = []): string {
  let out = text
    .replace(/ \((?:\d+h)?(?:\d+m)?(?:[\d.]+s)?(?:\d+ms)? left\)/g, ' (… left)')
    .replace(/node:internal\/[\w/.-]+:\d+:\d+/g, 'node:internal');
  for (const [from, to] of replacements) out = out.split(from).join(to);
  return out;
}


const NEVER_TREE = [
  '└── awaitsForever  fixtures/wake-never.js:25:3  ✖ deadlock',
  '    └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  '└── loadConfig  fixtures/wake-never.js:37:3  ✖ deadlock',
  '    └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  '└── startServer  fixtures/wake-never.js:40:3  ✖ deadlock',
  '    └── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it  (shown above)',
  '└── settledNever  fixtures/wake-never.js:53:3  ✖ deadlock',
  '    └── Promise.allSettled  ✖ deadlock',
  '        ├── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  '        └── Promise <pending>  ← timer 1h (… left)',
  '└── allWithTimer  fixtures/wake-never.js:66:3',
  '    └── Promise.all',
  '        ├── Promise <pending>  ✖ never settles: no resolve function is alive and nothing native holds it',
  '        └── Promise <pending>  ← timer 1h (… left)',
  '└── awaitsJob  fixtures/wake-never.js:71:3',
  "    └── Promise <pending>  ← held in pendingJobs.get(…).resolve (fixtures/wake-never.js)",
  '└── awaitsUnrefTimer  fixtures/wake-never.js:75:3',
  '    └── Promise <pending>  ← timer 1h (… left), unref()ed',
  '└── cycleA  fixtures/wake-never.js:45:3  ✖ deadlock',
  '    └── cycleB  fixtures/wake-never.js:49:3  ✖ deadlock',
  '        └── ↻ cycleA (await cycle)',
  '└── raceA  fixtures/wake-never.js:58:3',
  '    └── Promise.race',
  '        ├── raceB  fixtures/wake-never.js:62:3',
  '        │   └── ↻ raceA (await cycle)',
  '        └── Promise <pending>  ← timer 1h (… left)',
  'cycle: cycleA → cycleB → cycleA',
  'cycle: raceA → raceB → Promise.race → raceA',
  'keeping the event loop alive:',
  '  stdin, reading',
  '  timer 1h (… left)  → wakes settledNever',
  '  timer 1h (… left)  → wakes raceA',
  '  timer 1h (… left)  → wakes allWithTimer',
];

/**
 * Node 26's fs/promises readFile is one native ReadFileJob (src/node_file.cc) where 20–24 open the
 * file through FSReqPromises: its await is one step shorter there.
 */
function resourcesTree(major: number): string[] {
  if (major < 26) return RESOURCES_TREE;
  const tree = RESOURCES_TREE.filter((line) => !/open {2}node:internal|\.catch\(handleErrorFromBinding\)/.test(line));
  return tree.map((line) =>
    line
      .replace('                └── Promise <pending>  ← file-system request (FSReqPromise)', '        └── Promise <pending>  ← file-system request (ReadFileJob)')
      .replace('file-system request (FSReqPromise), in flight', 'file-system request (ReadFileJob), in flight'),
  );
}

const RESOURCES_TREE = [
  '└── sleepCallback  fixtures/wake-resources.js:31:3',
  '    └── Promise <pending>  ← timer 1h (… left), callback at fixtures/wake-resources.js:31:45',
  '└── sleepPromise  fixtures/wake-resources.js:35:3',
  '    └── Promise <pending>  ← timer 1h (… left)',
  '└── waitMessage  fixtures/wake-resources.js:39:3',
  "    └── Promise <pending>  ← 'message' listener on EventEmitter (bus)",
  '└── waitAbort  fixtures/wake-resources.js:43:3',
  "    └── Promise <pending>  ← 'abort' listener on AbortSignal (controller.#signal)",
  '└── waitShutdown  fixtures/wake-resources.js:47:3',
  "    └── Promise <pending>  ← 'shutdown' listener on EventEmitter (bus) (+1 more)",
  '└── waitReply  fixtures/wake-resources.js:53:3',
  "    └── Promise <pending>  ← 'data' listener on TCP socket 127.0.0.1:PORT → 127.0.0.1:REPLY",
  '└── waitClose  fixtures/wake-resources.js:57:3',
  "    └── Promise <pending>  ← 'close' listener on server 127.0.0.1:PORT (listening)",
  '└── waitChild  fixtures/wake-resources.js:61:3',
  "    └── Promise <pending>  ← 'exit' listener on child process CHILD (sleep 3600)",
  '└── readFifo  fixtures/wake-resources.js:65:3',
  '    └── readFile  node:internal',
  '        └── open  node:internal',
  '            └── .catch(handleErrorFromBinding)  (defined at node:internal)',
  '                └── Promise <pending>  ← file-system request (FSReqPromise)',
  'keeping the event loop alive:',
  '  server 127.0.0.1:PORT (listening)  → wakes waitClose',
  '  TCP socket 127.0.0.1:PORT → 127.0.0.1:REPLY, reading  → wakes waitReply',
  '  stdin, reading',
  '  child process CHILD (sleep 3600), running  → wakes waitChild',
  '  timer 1h (… left), callback at fixtures/wake-resources.js:31:45  → wakes sleepCallback',
  '  timer 1h (… left)  → wakes sleepPromise',
  '  file-system request (FSReqPromise), in flight  → wakes readFifo',
];

/** Only the closures whose code names the waiters wake them; the scope's other closures do not. */
const SCOPE_TREE = [
  '└── main  fixtures/wake-scope.js:55:3',
  '    └── Promise.all',
  '        ├── Repository.findById  fixtures/wake-scope.js:26:19',
  '        │   └── Promise <pending>  ← held in rows.get(…) (fixtures/wake-scope.js)',
  '        └── Jobs.next  fixtures/wake-scope.js:33:19',
  '            └── Promise <pending>  ← interval 1h (… left), callback at fixtures/wake-scope.js:43:15',
  'keeping the event loop alive:',
  '  stdin, reading',
  '  interval 1h (… left), callback at fixtures/wake-scope.js:43:15  → wakes Jobs.next',
  '  interval 1m (… left), callback at fixtures/wake-scope.js:42:33',
  '  (and 2 that do not keep it alive: SIGINT handler, unref()ed; SIGTERM handler, unref()ed)',
];

describe.each(nodeTargets)('node $major', ({ path, major }) => {
  describe.concurrent('wake-scope.js', () => {
    const target = fixtureForSuite(path, 'wake-scope.js');

    it.sequential('names the holder in a factory scope, and only the timer whose code reaches it', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(normalize(splitTree(run.stdout).body), context).toBe(treeText(SCOPE_TREE));
    });

    it.sequential('--json: every waker of each leaf, none of the unrelated closures', async () => {
      const run = await runCli(['attach', String(target().pid), '--json', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const doc = parseDocument(run.stdout);
      const wakers = (name: string) => {
        const frame = doc.nodes.find((node) => node.name === name)!;
        const leaf = doc.nodes.find((node) => node.kind === 'promise' && node.awaitedBy.includes(frame.id))!;
        return leaf.settlement!.wakers.map((waker) => `${waker.kind}: ${waker.description.replace(/ \(.* left\)/, '')}`);
      };
      expect(wakers('findById'), context).toEqual(['variable: held in rows.get(…)']);
      expect(wakers('next'), context).toEqual(['timer: interval 1h']);
      await expectAlive(target());
    });
  });

  describe.concurrent('wake-never.js', () => {
    const target = fixtureForSuite(path, 'wake-never.js');

    it.sequential('attach --fail-on deadlock prints every verdict and exits with 1', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', '--fail-on', 'deadlock', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(1);
      expect(run.stderr, context).toBe('');
      const lines = normalize(splitTree(run.stdout).body).split('\n');
      const idle = lines.findIndex((line) => line.startsWith('  (and '));
      expect(lines.slice(0, idle).join('\n') + '\n', context).toBe(treeText(NEVER_TREE));
      expect(lines[idle], context).toMatch(/timer 1h \(… left\), unref\(\)ed/);
      await expectAlive(target());
    });

    it.sequential('--json has the same verdicts; without --fail-on the exit code is 0', async () => {
      const run = await runCli(['attach', String(target().pid), '--json', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const doc = parseDocument(run.stdout);
      expect(leafVerdicts(doc), context).toEqual([
        'Promise.all in allWithTimer → can-settle: timer',
        'Promise.all in allWithTimer → never',
        'Promise.allSettled in settledNever → can-settle: timer',
        'Promise.allSettled in settledNever → never',
        'Promise.race in raceA → can-settle: timer',
        'awaitsForever → never',
        'awaitsJob → can-settle: variable',
        'awaitsUnrefTimer → can-settle: timer',
        'loadConfig,startServer → never',
      ]);
      const never = doc.nodes.filter((node) => node.neverSettles && node.kind !== 'promise').map((node) => node.name);
      expect(never.sort(), context).toEqual(['Promise.allSettled', 'awaitsForever', 'cycleA', 'cycleB', 'loadConfig', 'settledNever', 'startServer']);
      const unref = doc.keepAlive!.find((handle) => handle.timer?.refed === false)!;
      expect(unref, context).toMatchObject({ kind: 'timer', active: false, refed: false, timer: { delayMs: HOUR, repeat: false } });
      for (const handle of doc.keepAlive!.filter((h) => h.kind === 'timer')) {
        expect(handle.timer!.remainingMs, context).toBeGreaterThan(HOUR - 120_000);
        expect(handle.timer!.remainingMs, context).toBeLessThanOrEqual(HOUR);
      }
      await expectAlive(target());
    });

    it.sequential('attach --children --fail-on deadlock: exit 1 for a deadlock in the tree, the report printed', async () => {
      const run = await runCli(['attach', String(target().pid), '--children', '--no-color', '--fail-on', 'deadlock', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(1);
      expect(run.stdout, context).toMatch(new RegExp(`^process tree of pid ${target().pid} — 1 Node process\\n`));
      expect(run.stdout, context).toContain('awaitsForever');
      const filtered = await runCli(['attach', String(target().pid), '--children', '--no-color', '--fail-on', 'deadlock', '--filter', 'awaitsJob', ...CAPTURE_FLAGS]);
      expect(filtered.code, describeRun(filtered)).toBe(1);
      expect(filtered.stderr.split('\n')[0], describeRun(filtered)).toBe(`asyncgraph: --fail-on deadlock in process ${target().pid}: 5 deadlocks, all hidden by --filter awaitsJob:`);
      const without = await runCli(['attach', String(target().pid), '--children', '--no-color', ...CAPTURE_FLAGS]);
      expect(without.code, describeRun(without)).toBe(0);
      await expectAlive(target());
    });

    it.sequential('--fail-on deadlock with a filter that hides the deadlocks says why it failed', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', '--fail-on', 'deadlock', '--filter', 'awaitsJob', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(1);
      expect(splitTree(run.stdout).header, context).toMatch(/ — idle in event loop, --filter awaitsJob shows 1 of 11 suspended frames, 1 of 9 pending promises$/);
      // Keep-alive lines name the frames a timer wakes though the filter hid them.
      expect(run.stdout, context).toMatch(/^ {2}timer 1h \(.* left\) {2}→ wakes settledNever \(filtered out\)$/m);
      expect(run.stdout, context).not.toContain('wakes ?');
      expect(run.stderr.split('\n'), context).toEqual([
        'asyncgraph: --fail-on deadlock: 5 deadlocks, all hidden by --filter awaitsJob:',
        '  loadConfig, startServer → Promise <pending>: never settles: no resolve function is alive and nothing native holds it',
        '  awaitsForever → Promise <pending>: never settles: no resolve function is alive and nothing native holds it',
        '  settledNever → Promise <pending>: never settles: no resolve function is alive and nothing native holds it',
        '  allWithTimer → Promise <pending>: never settles: no resolve function is alive and nothing native holds it',
        '  await cycle cycleA → cycleB → cycleA: nothing outside it can break it',
        '',
      ]);
      await expectAlive(target());
    });

    it.sequential('--watch 1s marks the frames that did not move', async () => {
      const run = await runCli(['attach', String(target().pid), '--json', '--watch', '1s', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const doc = parseDocument(run.stdout);
      expect(doc.watch, context).toMatchObject({ looks: 2 });
      expect(doc.watch!.spanMs, context).toBeGreaterThanOrEqual(1000);
      expect(doc.watch!.snapshotMs.length, context).toBe(1);
      const frames = doc.nodes.filter((node) => node.kind === 'async-function' && !node.internal);
      expect(frames.length, context).toBe(11);
      for (const frame of frames) expect(frame.stuckMs, `${frame.name}\n${context}`).toBe(doc.watch!.spanMs);
      await expectAlive(target());
    });

    it.sequential('snapshot --fail-on deadlock still writes the document', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'asyncgraph-wake-'));
      try {
        const file = join(dir, 'graph.json');
        const run = await runCli(['snapshot', '--pid', String(target().pid), '--fail-on', 'deadlock', '-o', file, ...CAPTURE_FLAGS]);
        expect(run.code, describeRun(run)).toBe(1);
        expect(run.stderr, describeRun(run)).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe.concurrent('wake-resources.js', () => {
    let target: FixtureTarget;
    let childPid: number | undefined;
    let server: Server;
    const accepted: Socket[] = [];
    let replyPort = 0;
    let dir: string;

    beforeAll(async () => {
      server = createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      replyPort = (server.address() as { port: number }).port;
      dir = mkdtempSync(join(tmpdir(), 'asyncgraph-wake-'));
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      target = await spawnFixture(path, 'wake-resources.js', {
        nodeArgs: ['--inspect-port=0'],
        env: { FIFO: join(dir, 'fifo'), REPLY_PORT: String(replyPort) },
      });
      childPid = Number(/^child (\d+)$/m.exec(target.stdout)?.[1]) || undefined;
    });
    afterAll(async () => {
      if (target) await kill(target.child);
      if (childPid) {
        try {
          process.kill(childPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server?.close(resolve));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.sequential('attach names the resource behind every await', async () => {
      const run = await runCli(['attach', String(target.pid), '--no-color', '--fail-on', 'deadlock', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0); // nothing here is a deadlock
      expect(run.stderr, context).toBe('');
      const body = normalize(splitTree(run.stdout).body, [
        [`127.0.0.1:${replyPort}`, '127.0.0.1:REPLY'],
        [`child process ${childPid}`, 'child process CHILD'],
      ]).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
      const lines = body.split('\n');
      const idle = lines.findIndex((line) => line.startsWith('  (and '));
      expect(lines.slice(0, idle).join('\n') + '\n', context).toBe(treeText(resourcesTree(major)));
      expect(lines[idle], context).toMatch(/interval 1m \(… left\), unref\(\)ed, callback at fixtures\/wake-resources\.js:28:13\)$/);
      await expectAlive(target);
    });

    it.sequential('--json has the facts of each resource', async () => {
      const run = await runCli(['attach', String(target.pid), '--json', ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const doc = parseDocument(run.stdout);
      expect(leafVerdicts(doc), context).toEqual([
        ...(major < 26 ? ['handleErrorFromBinding → can-settle: fs-request'] : []),
        ...(major >= 26 ? ['readFile → can-settle: fs-request'] : []),
        'sleepCallback → can-settle: timer',
        'sleepPromise → can-settle: timer',
        'waitAbort → can-settle: abort-signal',
        'waitChild → can-settle: child-process',
        'waitClose → can-settle: server',
        'waitMessage → can-settle: event-listener',
        'waitReply → can-settle: socket',
        'waitShutdown → can-settle: event-listener',
      ]);
      const byKind = (kind: string) => doc.keepAlive!.filter((handle) => handle.kind === kind);
      expect(byKind('child-process'), context).toEqual([expect.objectContaining({ pid: childPid, command: 'sleep 3600', active: true })]);
      const sockets = byKind('socket').filter((handle) => handle.remoteAddress);
      expect(sockets, context).toEqual([expect.objectContaining({ remoteAddress: `127.0.0.1:${replyPort}`, state: 'reading', active: true })]);
      const listening = byKind('server')[0];
      expect(doc.tcpSockets!.find((s) => s.handleId === listening.id), context).toMatchObject({ state: 'LISTEN', localAddress: listening.localAddress });
      expect(doc.tcpSockets!.filter((s) => s.inspector).length, context).toBeGreaterThan(0);
      // The AbortSignal-driven wait has two ways out: the event, and the signal.
      const shutdown = doc.nodes.find((node) => node.settlement?.wakers[0]?.event?.name === 'shutdown')!;
      expect(shutdown.settlement!.wakers.map((waker) => `${waker.kind} ${waker.event?.name}`), context).toEqual(['event-listener shutdown', 'abort-signal abort']);
      await expectAlive(target);
    });
  });
});
