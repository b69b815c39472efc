// Every way in and out of a capture leaves no inspector asyncgraph opened behind it (or names it),
// and never misreads the target: two captures of one process at once (a per-target lock, exit 11
// when it is not given up in time), a target blocked in native code when SIGUSR1 arrives (the
// inspector opens late: asyncgraph closes it then, or says where it opens and how to close it), a
// second Ctrl-C, and location lookups that never answer (the graph is still printed). The target
// prints a heartbeat; after each case its next beats must still come. A target that must read as
// idle starts its heartbeat only after the capture: a beat running when the pause request comes
// is JavaScript running, and asyncgraph says so.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { lockCapture, type CaptureLock } from '../../src/session/capture-lock.js';
import { listeningPorts } from '../../src/target/proc.js';
import { expectAlive, CLI, runCommand } from '../helpers/processes.js';
import { RECORDED_SNAPSHOT, startFakeInspector, streamSnapshot, type FakeInspector } from './fake-inspector.js';
import { expectHeartbeats, expectNoInspector, inspectorPortOf, oneLineFailure, spawnFaultTarget, startCli, withoutProgress } from './helpers.js';

const HEARTBEAT_MS = 50;
const nodeTargets = inject('nodeTargets');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A FIFO the target can block on (`block PATH`) until the test writes to it. */
async function fifo(): Promise<{ path: string; release: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'asyncgraph-fifo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'gate');
  const made = await runCommand('mkfifo', [path]);
  expect(made.code, made.stderr).toBe(0);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    // `cat` has it open for reading: this open does not block.
    await writeFile(path, 'go\n');
  };
  cleanups.push(release);
  return { path, release };
}

function holdLock(lock: CaptureLock | null): CaptureLock {
  expect(lock, 'the test could not take the lock').not.toBeNull();
  cleanups.push(() => lock!.release());
  return lock!;
}

describe('one capture per target at a time', () => {
  it.each(nodeTargets)('node $major: two attaches at once on a process without an inspector: both capture it idle, no warning, no inspector left', async ({ path }) => {
    const target = await spawnFaultTarget({ nodePath: path });
    const first = startCli(['attach', String(target.pid)]);
    const second = startCli(['attach', String(target.pid)]);
    const [a, b] = await Promise.all([first.finished(60_000), second.finished(60_000)]);
    for (const result of [a, b]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^pid ${target.pid}, node v\\S+ — idle in event loop`));
      expect(withoutProgress(result.stderr).trim(), 'no warning').toBe('');
    }
    // (Usually one waited for the other; should one have finished before the other started, the
    // lock was simply free: either way neither misread the target nor left the inspector open.)
    await expectNoInspector(target.pid);
    await expectHeartbeats(target, { startMs: HEARTBEAT_MS });
  });

  it('a capture in progress: --wait-for-other 0 stops with one line and exit 11, without touching the target', async () => {
    const target = await spawnFaultTarget({ heartbeatMs: HEARTBEAT_MS });
    holdLock(await lockCapture(target.pid, { waitMs: 0 }));
    const result = await startCli(['attach', String(target.pid), '--wait-for-other', '0']).finished();
    expect(result.code, result.stderr).toBe(11);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe(`another asyncgraph (pid ${process.pid}) is capturing process ${target.pid}`);
    expect(hint).toMatch(/--wait-for-other/);
    // Never signalled: no inspector was opened.
    expect(listeningPorts(target.pid)).toEqual([]);
    await expectHeartbeats(target);
  });

  it('a capture in progress: the next one waits for it, then captures', async () => {
    const target = await spawnFaultTarget();
    const lock = holdLock(await lockCapture(target.pid, { waitMs: 0 }));
    const cli = startCli(['attach', String(target.pid)]);
    await cli.reached(`waiting for another asyncgraph (pid ${process.pid}) capturing process ${target.pid} to finish`);
    expect(listeningPorts(target.pid)).toEqual([]);
    lock.release();
    const result = await cli.finished(30_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/idle in event loop/);
    await expectNoInspector(target.pid);
    await expectHeartbeats(target, { startMs: HEARTBEAT_MS });
  });

  it('--children overlapping a capture of one of its processes: that process is reported, exit 11', async () => {
    const target = await spawnFaultTarget({ heartbeatMs: HEARTBEAT_MS });
    holdLock(await lockCapture(target.pid, { waitMs: 0 }));
    const result = await startCli(['attach', String(target.pid), '--children', '--wait-for-other', '0']).finished(30_000);
    expect(result.code, result.stderr).toBe(11);
    expect(`${result.stdout}${result.stderr}`).toMatch(`another asyncgraph (pid ${process.pid}) is capturing process ${target.pid}`);
    expect(listeningPorts(target.pid)).toEqual([]);
    await expectHeartbeats(target);
  });
});

describe('a target blocked in native code when SIGUSR1 arrives', () => {
  it.each(nodeTargets)('node $major: the inspector opens late: asyncgraph waits for it and closes it again (exit 6)', async ({ path }) => {
    const target = await spawnFaultTarget({ heartbeatMs: HEARTBEAT_MS, nodePath: path });
    const gate = await fifo();
    target.child.stdin!.write(`block ${gate.path}\n`);
    await target.waitForLine('blocking');
    const cli = startCli(['attach', String(target.pid), '--activation-timeout', '500ms']);
    await cli.reached('waiting up to 30 s for the inspector to open late, to close it again');
    await gate.release();
    const result = await cli.finished(40_000);
    expect(result.code, result.stderr).toBe(6);
    const { message } = oneLineFailure(result);
    expect(message).toMatch(
      new RegExp(`^no inspector appeared within 500 ms after sending SIGUSR1 to process ${target.pid} \\(expected on a random port\\); it opened [\\d.]+ s after SIGUSR1 \\(port \\d+\\) and asyncgraph closed it again$`),
    );
    await target.waitForLine('unblocked');
    await expectNoInspector(target.pid);
    await expectHeartbeats(target);
  });

  it('interrupted while waiting for the late inspector: it names where it opens and how to close it; close-inspector does', async () => {
    const target = await spawnFaultTarget({ heartbeatMs: HEARTBEAT_MS });
    const gate = await fifo();
    target.child.stdin!.write(`block ${gate.path}\n`);
    await target.waitForLine('blocking');
    const cli = startCli(['attach', String(target.pid), '--activation-timeout', '500ms']);
    await cli.reached('waiting up to 30 s for the inspector to open late, to close it again');
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(130);
    const { hint } = oneLineFailure(result);
    expect(hint).toBe(
      'its SIGUSR1 is still pending: the inspector opens on a random port when the process gets back to its event loop, and stays open; ' +
        `close it then with \`asyncgraph close-inspector ${target.pid}\``,
    );
    await gate.release();
    await target.waitForLine('unblocked');
    await inspectorPortOf(target.pid);
    const closing = await runCommand(process.execPath, [CLI, 'close-inspector', String(target.pid)]);
    expect(closing.code, closing.stderr).toBe(0);
    expect(closing.stdout).toMatch(new RegExp(`^closed the inspector of process ${target.pid} on 127\\.0\\.0\\.1:\\d+\\n$`));
    await expectNoInspector(target.pid);
    await expectHeartbeats(target);
  });
});

describe('a second Ctrl-C', () => {
  it('mid-snapshot: exits 130 without waiting for the cleanup, and the inspector is closed or named', async () => {
    const target = await spawnFaultTarget({ objects: 200_000, frames: 300, heartbeatMs: HEARTBEAT_MS });
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGINT');
    await cli.reached('interrupted by SIGINT: undoing what it did to the target');
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    await expectAlive(target, 30_000);
    const port = listeningPorts(target.pid)[0]?.port;
    // Either closed, or queued behind the snapshot (then it closes once that is written), and said.
    if (port !== undefined) expect(withoutProgress(result.stderr)).toMatch(new RegExp(`port ${port}|127\\.0\\.0\\.1:${port}`));
    await expectNoInspector(target.pid);
    await expectHeartbeats(target);
  });
});

describe('location lookups that never answer', () => {
  let inspector: FakeInspector | undefined;
  afterEach(async () => {
    await inspector?.close();
    inspector = undefined;
  });

  it('the graph is still printed, frames inferred, and a note said once', async () => {
    inspector = await startFakeInspector({
      handlers: {
        'HeapProfiler.takeHeapSnapshot': streamSnapshot(RECORDED_SNAPSHOT),
        'HeapProfiler.getObjectByHeapObjectId': () => {},
      },
    });
    const result = await startCli(['attach', '--port', String(inspector.port), '--json', '--location-budget', '100']).finished(30_000);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout) as { nodes: { locationSource: string }[]; notes?: string[] };
    expect(document.nodes.length).toBeGreaterThan(0);
    expect(document.nodes.some((node) => node.locationSource === 'exact')).toBe(false);
    expect(document.notes).toEqual([
      'exact locations: HeapProfiler.getObjectByHeapObjectId did not answer within 5000 ms (the target is busy), so the remaining frames\' locations are inferred from their source',
    ]);
    // One lookup, then none: nothing more queued in a target that does not answer.
    expect(inspector.methods.filter((method) => method === 'HeapProfiler.getObjectByHeapObjectId')).toHaveLength(1);

    const tree = await startCli(['attach', '--port', String(inspector.port), '--location-budget', '100']).finished(30_000);
    expect(tree.code, tree.stderr).toBe(0);
    expect(withoutProgress(tree.stderr).match(/^asyncgraph: note: /gm)).toHaveLength(1);
  });

  it('a pause round that fails: the graph is still printed, without the execution state, and a note said once', async () => {
    inspector = await startFakeInspector({
      handlers: {
        'HeapProfiler.takeHeapSnapshot': streamSnapshot(RECORDED_SNAPSHOT),
        'Debugger.pause': (command, connection) => connection.fail(command, 'Pause refused'),
      },
    });
    const result = await startCli(['attach', '--port', String(inspector.port), '--json']).finished(30_000);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout) as { nodes: unknown[]; execution?: unknown; notes?: string[] };
    expect(document.nodes.length).toBeGreaterThan(0);
    expect(document.execution).toBeUndefined();
    expect(document.notes).toEqual([
      'the pause that shows whether it runs JavaScript failed (Debugger.pause failed: Pause refused): the execution state is not reported',
    ]);
  });
});
