// A target under load: an HTTP server answering a bounded loopback load (2 keep-alive clients,
// 127.0.0.1 only, each pausing 1 ms between requests so the shared CPU is spared; a few seconds). asyncgraph attaches in the middle. No request may fail; the
// latency spike the capture causes (the heap snapshot stops the target's main thread while V8
// writes it) is measured and printed — not asserted, it depends on the machine.

import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectUnharmed, memoryOf, spawnFaultTarget, startCli } from './helpers.js';

interface Sample {
  startedAt: number;
  ms: number;
}

function get(agent: Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end();
  });
}

/** `clients` keep-alive clients requesting in a loop until `stop()`; every request timed. */
function loadGenerator(port: number, clients: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const samples: Sample[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const startedAt = performance.now();
      try {
        await get(agent, port);
        samples.push({ startedAt, ms: performance.now() - startedAt });
      } catch (error) {
        failures.push((error as Error).message);
      }
      await sleep(1);
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    samples,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** Resolves once `count` requests have been answered (or failed); bounded by the test's timeout. */
async function answered(load: { samples: Sample[]; failures: string[] }, count: number): Promise<void> {
  while (load.samples.length + load.failures.length < count) await sleep(5);
}

function stats(samples: Sample[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const fmt = (s: ReturnType<typeof stats>) => `n=${s.n} p50=${s.p50.toFixed(1)}ms p99=${s.p99.toFixed(1)}ms max=${s.max.toFixed(1)}ms`;

describe('a target under load', () => {
  it('no request fails while asyncgraph captures; the latency spike is reported', async () => {
    // A service-sized heap (the snapshot takes a noticeable time) serving HTTP.
    const target = await spawnFaultTarget({ http: true, objects: 100_000, frames: 50 });
    const port = Number((await target.waitForLine(/^http \d+$/)).split(' ')[1]);
    const before = await memoryOf(target);

    const load = loadGenerator(port, 2);
    // A baseline and an "after" of so many answered requests (counts, not durations: a loaded
    // machine answers fewer per second).
    await answered(load, 50);
    const captureStart = performance.now();
    const result = await startCli(['attach', String(target.pid), '--json']).finished(20_000);
    const captureEnd = performance.now();
    await answered(load, load.samples.length + 20);
    await load.stop();

    expect(result.code, result.stderr).toBe(0);
    expect(load.failures, 'failed requests').toEqual([]);
    const baseline = stats(load.samples.filter((s) => s.startedAt < captureStart));
    const during = stats(load.samples.filter((s) => s.startedAt >= captureStart && s.startedAt <= captureEnd));
    const after = stats(load.samples.filter((s) => s.startedAt > captureEnd));
    const doc = JSON.parse(result.stdout) as { stats: { heapNodes: number; snapshotBytes: number } };
    console.log(
      `load test: capture took ${(captureEnd - captureStart).toFixed(0)} ms (heap ${doc.stats.heapNodes} nodes, ` +
        `snapshot ${(doc.stats.snapshotBytes / 1024 / 1024).toFixed(1)} MB); 0 of ${load.samples.length} requests failed\n` +
        `  before: ${fmt(baseline)}\n  during: ${fmt(during)}\n  after:  ${fmt(after)}\n` +
        `  spike: max latency ${during.max.toFixed(0)} ms during the capture vs p99 ${baseline.p99.toFixed(1)} ms before`,
    );
    expect(baseline.n).toBeGreaterThan(0);
    expect(during.n).toBeGreaterThan(0);
    await expectUnharmed(target, { memoryBefore: before, inspectorClosed: true, ownPorts: [port] });
  });
});
