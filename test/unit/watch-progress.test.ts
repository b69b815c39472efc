// `--watch`: the wait between looks says what comes and when, counted down each second.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitForLook } from '../../src/capture/watch.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('waitForLook', () => {
  it('counts down to the look, once a second', async () => {
    vi.useFakeTimers();
    const steps: string[] = [];
    const done = waitForLook(Date.now() + 3500, 2, { looks: 2, onProgress: (step) => steps.push(step) });
    await vi.advanceTimersByTimeAsync(3500);
    await done;
    expect(steps).toEqual(['look 2 of 2 in 4s', 'look 2 of 2 in 3s', 'look 2 of 2 in 2s', 'look 2 of 2 in 1s']);
  });

  it('says nothing when the look is due, and stops when aborted', async () => {
    vi.useFakeTimers();
    const steps: string[] = [];
    await waitForLook(Date.now() - 1, 1, { looks: 3, onProgress: (step) => steps.push(step) });
    expect(steps).toEqual([]);
    const controller = new AbortController();
    const waiting = waitForLook(Date.now() + 60_000, 3, { looks: 3, signal: controller.signal, onProgress: (step) => steps.push(step) });
    const settled = expect(waiting).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort();
    await settled;
    expect(steps).toEqual(['look 3 of 3 in 1m', 'look 3 of 3 in 59s']);
  });
});
