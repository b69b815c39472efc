// The per-target capture lock (src/session/capture-lock.ts): one holder at a time, the next one
// told who holds it, waiting ends with the release (an event, not a poll), and a holder that dies —
// SIGKILL included — leaves no stale lock.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLockName, lockCapture, type CaptureLock } from '../../src/session/capture-lock.js';
import { CaptureInProgressError, ExitCode } from '../../src/errors.js';
import { readProcessInfo } from '../../src/target/proc.js';

// Any live process will do as the "target": this one.
const target = process.pid;
const held: CaptureLock[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});

async function take(waitMs = 0, onWaiting?: (pid: number | null) => void): Promise<CaptureLock> {
  const lock = await lockCapture(target, { waitMs, ...(onWaiting ? { onWaiting } : {}) });
  expect(lock).not.toBeNull();
  held.push(lock!);
  return lock!;
}

describe('capture lock', () => {
  it('a second taker is refused (exit 11) naming the holder; after the release it gets it', async () => {
    const first = await take();
    const refused = await lockCapture(target, { waitMs: 0 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CaptureInProgressError);
    expect((refused as CaptureInProgressError).exitCode).toBe(ExitCode.CaptureInProgress);
    expect((refused as Error).message).toBe(`another asyncgraph (pid ${process.pid}) is capturing process ${target}`);
    first.release();
    await take();
  });

  it('a waiting taker is told who holds it and gets the lock once it is released', async () => {
    const first = await take();
    let tell!: (pid: number | null) => void;
    const told = new Promise<number | null>((resolve) => (tell = resolve));
    const waiting = take(60_000, (pid) => tell(pid));
    expect(await told).toBe(process.pid);
    first.release();
    await waiting;
  });

  it('a holder killed with SIGKILL leaves no stale lock', async () => {
    const name = captureLockName(target, readProcessInfo(target).startTime);
    const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(name)}, () => console.log('held'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(holder.stdout!.setEncoding('utf8'), 'data')) as [string];
      expect(line.trim()).toBe('held');
      await expect(lockCapture(target, { waitMs: 0 })).rejects.toBeInstanceOf(CaptureInProgressError);
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      await take();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a process that cannot be read takes no lock (resolving the target reports it)', async () => {
    expect(await lockCapture(2 ** 22 + 12345, { waitMs: 0 })).toBeNull();
  });
});
