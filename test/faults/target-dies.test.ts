// The target goes away in the middle of a capture: SIGKILLed while V8 writes the snapshot, or
// exiting by itself (process.exit) right after it, while asyncgraph reads it or looks up
// locations. asyncgraph must say so in one line (exit 7) — whatever the protocol said last — and
// not hang; and a target that wants to exit must not be held up by asyncgraph's session.

import { describe, expect, it } from 'vitest';
import { oneLineFailure, spawnFaultTarget, startCli } from './helpers.js';

const BIG = { objects: 200_000, frames: 300 };

describe('the target dies mid-capture', () => {
  it('SIGKILLed mid-snapshot: exit 7, "exited during the capture"', async () => {
    const target = await spawnFaultTarget(BIG);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    target.child.kill('SIGKILL');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(7);
    expect(oneLineFailure(result).message).toBe(`process ${target.pid} exited during the capture`);
  });

  it('exits by itself right after the snapshot (mid-stream or mid-lookups): exit 7', async () => {
    const target = await spawnFaultTarget(BIG);
    const cli = startCli(['attach', String(target.pid), '--location-budget', '60000']);
    await cli.reached('taking heap snapshot');
    // Read by the target only once its main thread is free again: after the snapshot.
    target.child.stdin!.write('exit\n');
    const result = await cli.finished();
    expect(result.code, result.stderr).toBe(7);
    expect(oneLineFailure(result).message).toBe(`process ${target.pid} exited during the capture`);
    // And it really could exit: a target that exits with a debugger attached waits for it to
    // disconnect ("Waiting for the debugger to disconnect..."), which asyncgraph does as it goes.
    // Waited for as an event (a target held up by a session would never exit: the test's own
    // timeout ends that), not against a clock a loaded machine can overrun.
    const exitCode = await new Promise<number | null>((resolve) => {
      if (target.child.exitCode !== null) return resolve(target.child.exitCode);
      target.child.once('exit', (code) => resolve(code));
    });
    expect(exitCode, target.stderr).toBe(0);
  });
});
