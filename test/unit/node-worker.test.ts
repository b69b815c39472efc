import { describe, expect, it } from 'vitest';
import { AsyncgraphError, TargetExitedError, TimeoutError } from '../../src/errors.js';
import type { CdpSession } from '../../src/session/cdp-session.js';
import { attachToWorkers } from '../../src/session/node-worker.js';

type Listener = (params: any) => void;

/**
 * A process's inspector session with two workers behind the NodeWorker domain. Each worker
 * answers Runtime.evaluate with its id, fails Bogus.method, emits an event before answering
 * Debugger.enable, and never answers Slow.method.
 */
class FakeProcessSession {
  readonly sent: { method: string; params: any }[] = [];
  private readonly listeners = new Map<string, Listener[]>();
  private closeNow!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.closeNow = resolve));

  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  emit(event: string, params: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(params);
  }

  async send(method: string, params: any = {}): Promise<unknown> {
    this.sent.push({ method, params });
    if (method === 'NodeWorker.enable') {
      for (const id of ['1', '2']) {
        this.emit('NodeWorker.attachedToWorker', {
          sessionId: `s${id}`,
          workerInfo: { workerId: id, type: 'worker', title: `[worker ${id}]`, url: `file:///w${id}.js` },
          waitingForDebugger: false,
        });
      }
    }
    if (method === 'NodeWorker.sendMessageToWorker') {
      const { id, method: inner } = JSON.parse(params.message);
      const reply = (message: unknown) =>
        setImmediate(() => this.emit('NodeWorker.receivedMessageFromWorker', { sessionId: params.sessionId, message: JSON.stringify(message) }));
      if (inner === 'Runtime.evaluate') reply({ id, result: { result: { type: 'string', value: params.sessionId } } });
      if (inner === 'Bogus.method') reply({ id, error: { code: -32601, message: "'Bogus.method' wasn't found" } });
      if (inner === 'Debugger.enable') {
        reply({ method: 'Debugger.scriptParsed', params: { scriptId: '9', url: 'file:///w.js' } });
        reply({ id, result: { debuggerId: 'd' } });
      }
    }
    return {};
  }

  close(): void {
    this.closeNow();
  }
}

async function setup() {
  const parent = new FakeProcessSession();
  const attached = await attachToWorkers(parent as unknown as CdpSession, { commandTimeoutMs: 1000, workerCommandTimeoutMs: 200 });
  return { parent, ...attached };
}

describe('attachToWorkers', () => {
  it('enables NodeWorker without pausing new workers and returns a session per running worker', async () => {
    const { parent, workers } = await setup();
    expect(parent.sent[0]).toEqual({ method: 'NodeWorker.enable', params: { waitForDebuggerOnStart: false } });
    expect(workers.map((worker) => [worker.info.workerId, worker.info.title, worker.session.sessionId])).toEqual([
      ['1', '[worker 1]', 's1'],
      ['2', '[worker 2]', 's2'],
    ]);
  });

  it('tunnels commands to the right worker and their answers back', async () => {
    const { parent, workers } = await setup();
    const answers = await Promise.all(workers.map((worker) => worker.session.send('Runtime.evaluate', { expression: '1' })));
    expect(answers.map((answer) => answer.result.value)).toEqual(['s1', 's2']);
    const tunnelled = parent.sent.filter((message) => message.method === 'NodeWorker.sendMessageToWorker');
    expect(tunnelled.map((message) => [message.params.sessionId, JSON.parse(message.params.message)])).toEqual([
      ['s1', { id: 1, method: 'Runtime.evaluate', params: { expression: '1' } }],
      ['s2', { id: 1, method: 'Runtime.evaluate', params: { expression: '1' } }],
    ]);
  });

  it("delivers the worker's events to its own listeners, before the answer that follows them", async () => {
    const { workers } = await setup();
    const seen: string[] = [];
    workers[0].session.on('Debugger.scriptParsed', (script) => seen.push(`0:${script.url}`));
    workers[1].session.on('Debugger.scriptParsed', (script) => seen.push(`1:${script.url}`));
    await workers[0].session.send('Debugger.enable', {});
    expect(seen).toEqual(['0:file:///w.js']);
  });

  it('turns protocol errors into one-line errors naming the method', async () => {
    const { workers } = await setup();
    const error = await workers[0].session.send('Bogus.method' as 'Runtime.enable').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AsyncgraphError);
    expect((error as Error).message).toBe("Bogus.method failed: 'Bogus.method' wasn't found");
  });

  it('bounds every command', async () => {
    const { workers } = await setup();
    const error = await workers[0].session.send('Slow.method' as 'Runtime.enable', undefined, 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('Slow.method (worker 1) did not answer within 50 ms');
  });

  it('fails what is pending when the worker exits, and refuses new commands', async () => {
    const { parent, workers } = await setup();
    const pending = workers[1].session.send('Slow.method' as 'Runtime.enable', undefined, 5000).catch((e: unknown) => e);
    parent.emit('NodeWorker.detachedFromWorker', { sessionId: 's2' });
    expect(await pending).toBeInstanceOf(TargetExitedError);
    await workers[1].session.closed;
    await expect(workers[1].session.send('Runtime.enable')).rejects.toBeInstanceOf(TargetExitedError);
    // The other worker is unaffected.
    expect((await workers[0].session.send('Runtime.evaluate', { expression: '1' })).result.value).toBe('s1');
  });

  it('fails every worker session when the process connection closes', async () => {
    const { parent, workers } = await setup();
    const pending = workers[0].session.send('Slow.method' as 'Runtime.enable', undefined, 5000).catch((e: unknown) => e);
    parent.close();
    expect(await pending).toBeInstanceOf(TargetExitedError);
  });

  it('detachAll detaches each worker and disables the domain', async () => {
    const { parent, detachAll } = await setup();
    await detachAll();
    expect(parent.sent.slice(-3).map((message) => [message.method, message.params.sessionId])).toEqual([
      ['NodeWorker.detach', 's1'],
      ['NodeWorker.detach', 's2'],
      ['NodeWorker.disable', undefined],
    ]);
  });
});
