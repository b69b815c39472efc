import { describe, expect, it } from 'vitest';
import { AsyncgraphError, InterruptedError, SnapshotTooLargeError } from '../../src/errors.js';
import type { CdpSession } from '../../src/session/cdp-session.js';
import { asSnapshotTooLarge, guardSession, REFUSED_METHODS } from '../../src/session/guarded-session.js';

type Listener = (params: any) => void;

/** A session whose commands answer only when told to. */
class SlowSession implements CdpSession {
  readonly sent: { method: string; timeoutMs?: number }[] = [];
  readonly closed = new Promise<void>(() => {});
  private listeners = new Map<string, Listener[]>();
  private answers: (() => void)[] = [];
  send(method: string, _params?: unknown, timeoutMs?: number): Promise<any> {
    this.sent.push({ method, timeoutMs });
    return new Promise((resolve) => this.answers.push(() => resolve({})));
  }
  answerAll(): void {
    for (const answer of this.answers.splice(0)) answer();
  }
  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  emit(event: string, params: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(params);
  }
  async close(): Promise<void> {}
}

describe('guardSession', () => {
  it('refuses every method that could run code in the target', async () => {
    const inner = new SlowSession();
    const session = guardSession(inner);
    for (const method of ['Runtime.evaluate', 'Runtime.callFunctionOn', 'Debugger.setBreakpointByUrl', 'Debugger.evaluateOnCallFrame']) {
      expect(REFUSED_METHODS.has(method)).toBe(true);
      await expect(session.send(method as 'Runtime.evaluate')).rejects.toThrow(/refusing to send/);
    }
    // Also inside a worker's message.
    await expect(
      session.send('NodeWorker.sendMessageToWorker' as 'Runtime.enable', { sessionId: '1', message: '{"id":1,"method":"Runtime.evaluate"}' } as never),
    ).rejects.toThrow(/refusing to send Runtime\.evaluate/);
    expect(inner.sent).toEqual([]);
  });

  it('on abort: fails what is in flight at once, then sends only cleanup, within the bound', async () => {
    const inner = new SlowSession();
    const controller = new AbortController();
    const session = guardSession(inner, { signal: controller.signal, cleanupMs: 500 });
    const pending = session.send('HeapProfiler.takeHeapSnapshot', {}, 60_000);
    controller.abort(new InterruptedError('interrupted by SIGINT'));
    await expect(pending).rejects.toThrow('interrupted by SIGINT');
    await expect(session.send('HeapProfiler.getObjectByHeapObjectId', { objectId: '1' })).rejects.toThrow(InterruptedError);
    const cleanup = session.send('Debugger.disable', undefined, 60_000);
    inner.answerAll();
    await cleanup;
    const last = inner.sent[inner.sent.length - 1];
    expect(last.method).toBe('Debugger.disable');
    expect(last.timeoutMs).toBeLessThanOrEqual(500);
    expect(session.stopReason).toBeInstanceOf(InterruptedError);
  });

  it('stops a snapshot stream past the limit, and keeps the chunks from the parser', async () => {
    const inner = new SlowSession();
    const session = guardSession(inner, { maxSnapshotBytes: 10 });
    const seen: string[] = [];
    session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => seen.push(chunk));
    const taking = session.send('HeapProfiler.takeHeapSnapshot', {});
    inner.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: '12345' });
    inner.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: '1234567' });
    inner.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: 'x' });
    await expect(taking).rejects.toThrow(SnapshotTooLargeError);
    expect(seen).toEqual(['12345']);
    // Other events still flow (a pause must still be seen to be resumed).
    const paused: unknown[] = [];
    session.on('Debugger.paused', (event) => paused.push(event));
    inner.emit('Debugger.paused', { callFrames: [] });
    expect(paused).toHaveLength(1);
  });

  it('recognises the parser’s own size errors', () => {
    expect(asSnapshotTooLarge(new Error('heap snapshot exceeds 1 MB'), 1024 * 1024)).toBeInstanceOf(SnapshotTooLargeError);
    expect(asSnapshotTooLarge(new AsyncgraphError('cannot read the heap snapshot: heap snapshot header declares more nodes than fit in 1 MB'), 1024 * 1024)).toBeInstanceOf(SnapshotTooLargeError);
    expect(asSnapshotTooLarge(new Error('heap snapshot is truncated'), 1024 * 1024)).toBeUndefined();
  });
});
