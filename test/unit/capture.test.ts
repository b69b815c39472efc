import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CdpSession } from '../../src/inspector/cdp-session.js';
import { captureOnSession } from '../../src/inspector/capture.js';
import { TargetExitedError } from '../../src/errors.js';

// The capture's protocol logic against a fake session: what it asks of the target, in which
// order, and that it always leaves the target as it found it.

const snapshotText = gunzipSync(
  readFileSync(new URL('../recorded/kitchen-sink.node20.heapsnapshot.gz', import.meta.url)),
).toString('utf8');

type Handler = (params: any) => unknown;

class FakeSession implements CdpSession {
  readonly calls: string[] = [];
  readonly closed = new Promise<void>(() => {});
  private listeners = new Map<string, ((params: any) => void)[]>();
  constructor(private readonly handlers: Record<string, Handler>) {}

  async send(method: string, params?: any): Promise<any> {
    this.calls.push(method);
    const handler = this.handlers[method];
    if (!handler) return {};
    return handler.call(this, params);
  }

  on(event: string, listener: (params: any) => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
  }

  emit(event: string, params: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(params);
  }

  async close(): Promise<void> {}
}

const options = { locationBudgetMs: 1000, snapshotTimeoutMs: 10_000, maxSnapshotBytes: 1e9 };

function streamingSnapshot(this: FakeSession) {
  for (let i = 0; i < snapshotText.length; i += 100_000) {
    this.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: snapshotText.slice(i, i + 100_000) });
  }
  return {};
}

describe('captureOnSession', () => {
  it('reads scripts, streams the snapshot, locates frames, then disables what it enabled', async () => {
    const session: FakeSession = new FakeSession({
      'Debugger.enable'(this: FakeSession) {
        this.emit('Debugger.scriptParsed', { scriptId: '81', url: 'file:///app.js', sourceMapURL: '' });
        return { debuggerId: 'x' };
      },
      'HeapProfiler.takeHeapSnapshot': streamingSnapshot,
      'HeapProfiler.getObjectByHeapObjectId': (params: { objectId: string }) => ({ result: { type: 'object', objectId: `obj-${params.objectId}` } }),
      'Runtime.getProperties': () => ({
        result: [],
        internalProperties: [
          { name: '[[GeneratorLocation]]', value: { type: 'object', value: { scriptId: '81', lineNumber: 2, columnNumber: 25 } } },
          { name: '[[GeneratorState]]', value: { type: 'string', value: 'suspended' } },
        ],
      }),
    });
    const capture = await captureOnSession(session, options);
    expect(capture.scripts.get('81')?.url).toBe('file:///app.js');
    expect(capture.nodes.filter((n) => n.kind === 'async-function')).toHaveLength(16);
    expect(capture.exact.size).toBe(17); // 16 async functions + 1 async generator
    expect([...capture.exact.values()][0]).toEqual({ scriptId: '81', lineNumber: 2, columnNumber: 25, state: 'suspended' });
    // Order matters: scripts before the snapshot, lookups after it, cleanup last.
    const distinct = session.calls.filter((call, i) => call !== session.calls[i - 1]);
    expect(distinct).toEqual([
      'Debugger.enable',
      'HeapProfiler.takeHeapSnapshot',
      ...Array(17).fill(['HeapProfiler.getObjectByHeapObjectId', 'Runtime.getProperties']).flat(),
      'Runtime.releaseObjectGroup',
      'Debugger.disable',
      'HeapProfiler.disable',
    ]);
    expect(session.calls).not.toContain('Runtime.evaluate');
    expect(session.calls).not.toContain('Debugger.pause');
  });

  it('spends no lookups with a zero budget: every frame keeps its definition site', async () => {
    const session = new FakeSession({ 'HeapProfiler.takeHeapSnapshot': streamingSnapshot });
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0 });
    expect(capture.exact.size).toBe(0);
    expect(session.calls).not.toContain('HeapProfiler.getObjectByHeapObjectId');
  });

  it('cleans up when the target goes away mid-snapshot', async () => {
    const session = new FakeSession({
      'HeapProfiler.takeHeapSnapshot'(this: FakeSession) {
        this.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: snapshotText.slice(0, 5000) });
        throw new TargetExitedError('gone');
      },
    });
    await expect(captureOnSession(session, options)).rejects.toBeInstanceOf(TargetExitedError);
    expect(session.calls.slice(-3)).toEqual(['Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
  });

  it('rejects a truncated snapshot with a clear message and still cleans up', async () => {
    const session = new FakeSession({
      'HeapProfiler.takeHeapSnapshot'(this: FakeSession) {
        this.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: snapshotText.slice(0, snapshotText.length / 2) });
        return {};
      },
    });
    await expect(captureOnSession(session, options)).rejects.toThrow(/cannot read the heap snapshot: .*truncated/);
    expect(session.calls.slice(-3)).toEqual(['Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
  });

  it('refuses a snapshot over --max-snapshot size without keeping it', async () => {
    const session = new FakeSession({ 'HeapProfiler.takeHeapSnapshot': streamingSnapshot });
    await expect(captureOnSession(session, { ...options, maxSnapshotBytes: 50_000 })).rejects.toThrow(/exceeds/);
  });
});
