// asyncgraph itself killed (SIGKILL) or interrupted (SIGINT) in the middle of a capture: during
// the heap snapshot, and during the location lookups (each of which scans the target's whole heap
// on its main thread). The target must come out running, not paused, with a responsive event loop
// and its memory back — and must not keep working through requests queued for a client that is
// gone: lookups are sent one at a time, so at most one is in flight when asyncgraph dies.
// After SIGINT, asyncgraph also closes the inspector it opened, and exits 130 within a short bound.

import { describe, expect, it } from 'vitest';
import { listeningPorts } from '../../src/inspector/proc.js';
import { expectAlive } from '../helpers/processes.js';
import { expectUnharmed, memoryOf, oneLineFailure, spawnFaultTarget, startCli } from './helpers.js';

/** A heap big enough that the snapshot takes about a second and each lookup ~0.1 s. */
const BIG = { objects: 200_000, frames: 300 };

describe('asyncgraph killed or interrupted mid-capture', () => {
  it('SIGKILL mid-snapshot: the target finishes the snapshot alone and carries on', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGKILL');
    await cli.finished();
    // The snapshot stops the target's main thread until V8 has written it: wait for that, then
    // it must be back to normal.
    await expectAlive(target, 15_000);
    await expectUnharmed(target, { memoryBefore: before });
    // Nobody could close the inspector asyncgraph opened: it is still there (docs/safety.md).
    expect(listeningPorts(target.pid).length).toBe(1);
  });

  it('SIGKILL mid-lookups: nothing left queued, the target answers at once', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('locating suspended frames', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    cli.child.kill('SIGKILL');
    await cli.finished();
    // At most one lookup (~0.1 s of target time) was in flight: a pong within 1 s.
    await expectUnharmed(target, { memoryBefore: before });
  });

  it('SIGINT mid-snapshot: exit 130 after cleaning up, inspector closed again', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(130);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('interrupted by SIGINT: stopped the capture and detached; the target keeps running');
    // If the snapshot outlasts the cleanup bound, the close call waits in the target's queue.
    if (hint !== undefined) expect(hint).toMatch(/^the inspector it opened \(port \d+\) closes once the target finishes what it is doing/);
    await expectAlive(target, 15_000);
    await expectUnharmed(target, { memoryBefore: before, inspectorClosed: true });
  });

  it('SIGINT early in a long snapshot: exit 130 within the bound, the close runs when the target is free', async () => {
    // A snapshot that takes longer than the 2 s cleanup bound.
    const target = await spawnFaultTarget({ objects: 600_000, frames: 3 });
    const cli = startCli(['attach', String(target.pid)]);
    await cli.reached('taking heap snapshot');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const interruptedAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(130);
    expect(Date.now() - interruptedAt, 'from SIGINT to exit').toBeLessThan(4000);
    const { message } = oneLineFailure(result);
    expect(message).toBe('interrupted by SIGINT: stopped the capture and detached; the target keeps running');
    await expectAlive(target, 30_000);
    await expectUnharmed(target, { inspectorClosed: true });
  });

  it('SIGINT mid-lookups: exit 130 within the cleanup bound, inspector closed again', async () => {
    const target = await spawnFaultTarget(BIG);
    const before = await memoryOf(target);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('locating suspended frames', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const interruptedAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    const cleanupMs = Date.now() - interruptedAt;
    expect(result.code, result.stderr).toBe(130);
    oneLineFailure(result);
    expect(cleanupMs, 'from SIGINT to exit').toBeLessThan(3000);
    await expectUnharmed(target, { memoryBefore: before, inspectorClosed: true });
  });

  it('a second SIGINT stops waiting for the cleanup: exit 130 once the inspector is closed (bounded)', async () => {
    const target = await spawnFaultTarget(BIG);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    cli.child.kill('SIGINT');
    await cli.reached('interrupted by SIGINT: undoing what it did to the target');
    const secondAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(130);
    // At most the 1 s close bound, and the hard exit half a second after it.
    expect(Date.now() - secondAt, 'from the second SIGINT to exit').toBeLessThan(3000);
    await expectAlive(target, 15_000);
    // The close request was queued behind the snapshot (test/faults/lifecycle.test.ts checks the warning).
    await expectUnharmed(target, { inspectorClosed: true });
  });
});
