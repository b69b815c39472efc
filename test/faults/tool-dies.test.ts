// asyncgraph itself killed (SIGKILL) or interrupted (SIGINT) in the middle of a capture: during
// the heap snapshot, and during the location lookups (each of which scans the target's whole heap
// on its main thread). The target must come out running, not paused, with a responsive event loop
// and its memory back — and must not keep working through requests queued for a client that is
// gone: lookups are sent one at a time, so at most one is in flight when asyncgraph dies.
// After SIGINT, asyncgraph also closes the inspector it opened, and exits 130 within its own bound.
// Faults are timed by events (a progress line, the target's main thread writing its snapshot or
// running a lookup); bounds are shown by the order of events (the tool exits while the target
// still works), never by measuring wall-clock time, which a loaded machine stretches.

import { describe, expect, it } from 'vitest';
import { listeningPorts } from '../../src/target/proc.js';
import { expectAlive, waitForCpuTicks } from '../helpers/processes.js';
import { expectUnharmed, memoryOf, oneLineFailure, spawnFaultTarget, startCli } from './helpers.js';

/** A heap big enough that the snapshot takes about a second and each lookup ~0.1 s. */
const BIG = { objects: 200_000, frames: 300 };
/**
 * A budget that covers a lookup of every frame (capture/locations.ts, budgetCoversEveryFrame):
 * each of the 600 frames is looked up, one at a time, for a minute or more. A smaller one is
 * spent where inference has no answer, and the fixture's single-await frames need none.
 */
const LOOK_UP_EVERY_FRAME = ['--location-budget', '1h'];

// Bounds only turn a hang into a failure: on a loaded machine a 1 s snapshot takes many seconds.
describe('asyncgraph killed or interrupted mid-capture', () => {
  it('SIGKILL mid-snapshot: the target finishes the snapshot alone and carries on', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), ...LOOK_UP_EVERY_FRAME]);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGKILL');
    await cli.finished(60_000);
    // The snapshot stops the target's main thread until V8 has written it: wait for that, then
    // it must be back to normal.
    await expectAlive(target, 60_000);
    await expectUnharmed(target, { memoryBefore: before });
    // Nobody could close the inspector asyncgraph opened: it is still there (docs/safety.md).
    expect(listeningPorts(target.pid).length).toBe(1);
  });

  it('SIGKILL mid-lookups: nothing left queued, the target answers at once', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), ...LOOK_UP_EVERY_FRAME]);
    await cli.reached('locating suspended frames', 30_000);
    // A lookup is running: the target's main thread scans its heap (~0.1 s of CPU each).
    await waitForCpuTicks(target.pid, 3);
    cli.child.kill('SIGKILL');
    await cli.finished(60_000);
    // At most one lookup (~0.1 s of target time) was in flight: a pong with little CPU spent first.
    await expectUnharmed(target, { memoryBefore: before });
  });

  it('SIGINT mid-snapshot: exit 130 after cleaning up, inspector closed again', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), ...LOOK_UP_EVERY_FRAME]);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGINT');
    const result = await cli.finished(60_000);
    expect(result.code, result.stderr).toBe(130);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('interrupted by SIGINT: stopped the capture and detached; the target keeps running');
    // If the snapshot outlasts the cleanup bound, the close call waits in the target's queue.
    if (hint !== undefined) expect(hint).toMatch(/^the inspector it opened \(port \d+\) closes once the target finishes what it is doing/);
    await expectAlive(target, 60_000);
    await expectUnharmed(target, { memoryBefore: before, inspectorClosed: true });
  });

  it('SIGINT early in a long snapshot: exit 130 by its own bound, the close runs when the target is free', async () => {
    // A snapshot that takes longer than the 2 s cleanup bound.
    const target = await spawnFaultTarget({ objects: 600_000, frames: 3 });
    const cli = startCli(['attach', String(target.pid)]);
    await cli.reached('taking heap snapshot');
    // The snapshot has started: the target's main thread writes it.
    await waitForCpuTicks(target.pid, 3);
    cli.child.kill('SIGINT');
    const result = await cli.finished(60_000);
    expect(result.code, result.stderr).toBe(130);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('interrupted by SIGINT: stopped the capture and detached; the target keeps running');
    // It did not wait for the target: the close it sent still waits behind the snapshot (an
    // order of events, not a duration), and the hint says so.
    expect(hint).toMatch(/^the inspector it opened \(port \d+\) closes once the target finishes what it is doing/);
    expect(listeningPorts(target.pid).length, 'the inspector is still open when the tool exits').toBe(1);
    await expectAlive(target, 60_000);
    await expectUnharmed(target, { inspectorClosed: true });
  });

  it('SIGINT mid-lookups: exit 130 after the lookup in flight, inspector closed again', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), ...LOOK_UP_EVERY_FRAME]);
    await cli.reached('locating suspended frames', 30_000);
    await waitForCpuTicks(target.pid, 3);
    cli.child.kill('SIGINT');
    // finished()'s bound only turns a hang into a failure; the tool's own bound is shown above.
    const result = await cli.finished(60_000);
    expect(result.code, result.stderr).toBe(130);
    oneLineFailure(result);
    await expectUnharmed(target, { memoryBefore: before, inspectorClosed: true });
  });

  it('a second SIGINT stops waiting for the cleanup: exit 130 once the inspector is closed (bounded)', async () => {
    const target = await spawnFaultTarget(BIG);
    const cli = startCli(['attach', String(target.pid), ...LOOK_UP_EVERY_FRAME]);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGINT');
    await cli.reached('interrupted by SIGINT: undoing what it did to the target');
    // Stopped, the target cannot answer: the first cleanup can only end by its hard exit (after
    // DEFAULT_CLEANUP_MS + 1 s), the second signal's path by its own shorter bound.
    process.kill(target.pid, 'SIGSTOP');
    try {
      cli.child.kill('SIGINT');
      const result = await cli.finished(60_000);
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain('asyncgraph: SIGINT again: exiting without waiting for the cleanup');
      // The second signal's bound ended it, before the first cleanup's hard exit.
      expect(result.stderr).not.toContain('the cleanup did not finish');
    } finally {
      process.kill(target.pid, 'SIGCONT');
    }
    await expectAlive(target, 60_000);
    // The close request was queued behind the snapshot (test/faults/lifecycle.test.ts checks the warning).
    await expectUnharmed(target, { inspectorClosed: true });
  });
});
