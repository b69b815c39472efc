import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CdpSession } from '../../src/session/cdp-session.js';
import { captureOnSession } from '../../src/capture/capture.js';
import { PauseGuard } from '../../src/capture/pause-guard.js';
import { keptBusy, sampleExecution, sleptIdle } from '../../src/capture/running-stack.js';
import { budgetCoversEveryFrame, lookupExactLocations, lookupOrder } from '../../src/capture/locations.js';
import { InterruptedError, TargetExitedError } from '../../src/errors.js';

// The capture's protocol logic against a fake session: what it asks of the target, in which
// order, and that it always leaves the target as it found it.

const snapshotText = gunzipSync(
  readFileSync(new URL('../recorded/kitchen-sink.node20.heapsnapshot.gz', import.meta.url)),
).toString('utf8');

type Handler = (params: any) => unknown;

class FakeSession implements CdpSession {
  readonly calls: string[] = [];
  /** Every command with its params, and `batch(` / `)batch` around batched ones. */
  readonly log: string[] = [];
  readonly closed = new Promise<void>(() => {});
  private listeners = new Map<string, ((params: any) => void)[]>();
  constructor(private readonly handlers: Record<string, Handler>) {}

  async send(method: string, params?: any): Promise<any> {
    this.calls.push(method);
    this.log.push(params && Object.keys(params).length > 0 ? `${method} ${JSON.stringify(params)}` : method);
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

  batch(issue: () => void): void {
    this.log.push('batch(');
    issue();
    this.log.push(')batch');
  }

  async close(): Promise<void> {}
}

// A short pause bound keeps the idle rounds quick.
const options = { locationBudgetMs: 1000, snapshotTimeoutMs: 10_000, maxSnapshotBytes: 1e9, pauseTimeoutMs: 30 };

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
    // Order matters: scripts first; then one pause round, whose leftover pause request (the target
    // is idle: no Debugger.paused) is cancelled in the same batch; the snapshot; lookups after it
    // (the budget covers every frame, and every frame is found: no source is fetched); cleanup last.
    const distinct = session.calls.filter((call, i) => call !== session.calls[i - 1]);
    expect(distinct).toEqual([
      'Debugger.enable',
      'Debugger.pause',
      'Debugger.setBreakpointsActive',
      'HeapProfiler.takeHeapSnapshot',
      // The snapshot's pause round (see capture.ts: Node 22+ takes the snapshot of a busy thread
      // only in a pause); idle here, so cancelled the same way.
      'Debugger.pause',
      'Debugger.setBreakpointsActive',
      ...Array(17).fill(['HeapProfiler.getObjectByHeapObjectId', 'Runtime.getProperties']).flat(),
      'Runtime.releaseObjectGroup',
      'Debugger.disable',
      'HeapProfiler.disable',
    ]);
    expect(session.log.slice(1, 6)).toEqual([
      'batch(',
      'Debugger.pause',
      'Debugger.setBreakpointsActive {"active":false}',
      'Debugger.setBreakpointsActive {"active":true}',
      ')batch',
    ]);
    expect(session.calls).not.toContain('Runtime.evaluate');
    expect(session.calls).not.toContain('Debugger.resume');
    expect(capture.execution).toMatchObject({ state: 'idle', pauseTimeoutMs: 30, samples: [{ state: 'idle' }] });
    expect(capture.execution?.stack).toBeUndefined();
  });

  it('with a budget too small for every frame, fetches the sources and infers before the lookups', async () => {
    const { heapNodes } = await captureOnSession(new FakeSession({ 'HeapProfiler.takeHeapSnapshot': streamingSnapshot }), { ...options, pauseTimeoutMs: 0, locationBudgetMs: 0 });
    const session = new FakeSession({
      'HeapProfiler.takeHeapSnapshot': streamingSnapshot,
      'Debugger.getScriptSource': () => ({ scriptSource: '' }),
      'HeapProfiler.getObjectByHeapObjectId': () => ({ result: { type: 'object', objectId: 'x' } }),
    });
    // Room for about three lookups (0.5 µs per heap node each) of the 17 frames.
    await captureOnSession(session, { ...options, pauseTimeoutMs: 0, locationBudgetMs: heapNodes * 0.0005 * 3.5 });
    const first = (method: string) => session.calls.indexOf(method);
    expect(first('Debugger.getScriptSource')).toBeGreaterThan(first('HeapProfiler.takeHeapSnapshot'));
    expect(first('HeapProfiler.getObjectByHeapObjectId')).toBeGreaterThan(first('Debugger.getScriptSource'));
  });

  it('sends no pause at all with --pause-timeout 0', async () => {
    const session = new FakeSession({ 'HeapProfiler.takeHeapSnapshot': streamingSnapshot });
    const capture = await captureOnSession(session, { ...options, pauseTimeoutMs: 0, locationBudgetMs: 0 });
    expect(session.calls).toEqual(['Debugger.enable', 'HeapProfiler.takeHeapSnapshot', 'Debugger.getScriptSource', 'Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
    expect(capture.execution).toBeUndefined();
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

// ------------------------------------------------------------------------------------------------
// The pause step: a running target is paused once, resumed at once, and never left paused.

/** An async function of the recorded snapshot, to stand for the frame the "running" stack runs. */
async function someAsyncFunction() {
  const session = new FakeSession({ 'HeapProfiler.takeHeapSnapshot': streamingSnapshot });
  const capture = await captureOnSession(session, { ...options, pauseTimeoutMs: 0, locationBudgetMs: 0 });
  const node = capture.nodes.find((n) => n.kind === 'async-function' && n.definition && n.awaitedBy.length > 0)!;
  return { node, definition: node.definition! };
}

function frame(functionName: string, line: number, functionLocation?: { scriptId: string; lineNumber: number; columnNumber: number }) {
  return {
    callFrameId: `${functionName}-frame`,
    functionName,
    location: { scriptId: '81', lineNumber: line, columnNumber: 4 },
    ...(functionLocation ? { functionLocation } : {}),
    url: 'file:///app.js',
    scopeChain: [],
    this: { type: 'undefined' },
  };
}

/**
 * Handlers of a target that runs JavaScript: every Debugger.pause is answered by a pause.
 * `state.pausedAtDisable` says whether it was still paused when Debugger.disable came.
 */
function runningTarget(callFrames: unknown[], extra: Record<string, Handler> = {}, state = { paused: false, pausedAtDisable: undefined as boolean | undefined }): Record<string, Handler> {
  return {
    'Debugger.disable'() {
      state.pausedAtDisable = state.paused;
      return {};
    },
    'Debugger.enable'(this: FakeSession) {
      this.emit('Debugger.scriptParsed', { scriptId: '81', url: 'file:///app.js', sourceMapURL: '' });
      return { debuggerId: 'x' };
    },
    'Debugger.pause'(this: FakeSession) {
      // The break comes as the request is answered (on Node 22 the event may even come first).
      queueMicrotask(() => {
        state.paused = true;
        this.emit('Debugger.paused', { callFrames, reason: 'other' });
      });
      return {};
    },
    ...extra,
    'Debugger.resume'(this: FakeSession) {
      const result = extra['Debugger.resume'] ? extra['Debugger.resume'].call(this, {}) : {};
      state.paused = false;
      setImmediate(() => this.emit('Debugger.resumed', {}));
      return result;
    },
    'HeapProfiler.takeHeapSnapshot': extra['HeapProfiler.takeHeapSnapshot'] ?? streamingSnapshot,
  };
}

describe('captureOnSession: the pause step', () => {
  it('records the stack of a running target, resumes it before the snapshot, and links the running generator', async () => {
    const { node, definition } = await someAsyncFunction();
    const fnLocation = { scriptId: String(definition.scriptId), lineNumber: definition.line, columnNumber: definition.column };
    const session: FakeSession = new FakeSession(
      runningTarget([frame('hotLoop', 11), frame('parse', 29), frame(node.name, 40, fnLocation)], {
        'HeapProfiler.getObjectByHeapObjectId': (params: { objectId: string }) => ({ result: { type: 'object', objectId: `obj-${params.objectId}` } }),
        'Runtime.getProperties': (params: { objectId: string }) => ({
          result: [],
          internalProperties: [
            { name: '[[GeneratorLocation]]', value: { type: 'object', value: { scriptId: '81', lineNumber: 2, columnNumber: 25 } } },
            { name: '[[GeneratorState]]', value: { type: 'string', value: params.objectId === `obj-${node.id}` ? 'running' : 'suspended' } },
          ],
        }),
      }),
    );
    const capture = await captureOnSession(session, options);
    const distinct = session.calls.filter((call, i) => call !== session.calls[i - 1]);
    expect(distinct.slice(0, 9)).toEqual([
      'Debugger.enable',
      'Debugger.pause',
      'Debugger.setBreakpointsActive',
      'Debugger.resume',
      'HeapProfiler.takeHeapSnapshot',
      'Debugger.pause',
      'Debugger.setBreakpointsActive',
      'Debugger.resume',
      'HeapProfiler.getObjectByHeapObjectId',
    ]);
    // The running frame's candidate is looked up first.
    expect(session.log.find((entry) => entry.startsWith('HeapProfiler.getObjectByHeapObjectId'))).toContain(`"${node.id}"`);
    expect(session.calls.filter((call) => call === 'Debugger.resume')).toHaveLength(2);
    expect(capture.execution?.state).toBe('running');
    expect(capture.execution?.stack?.map((f) => f.functionName)).toEqual(['hotLoop', 'parse', node.name]);
    expect(capture.execution?.stackNodeIds).toEqual([undefined, undefined, node.id]);
    expect(capture.execution?.stackKinds).toEqual([undefined, undefined, 'async-function']);
  });

  it("an idle target's pause at a timer callback's entry is idle, also when the frame's url is empty (Node 26)", async () => {
    // Node 26's V8 sends CallFrame.url empty (deprecated): the URL comes from scriptParsed.
    for (const url of ['node:internal/timers', '']) {
      const timers = { ...frame('processTimers', 504), location: { scriptId: '10', lineNumber: 504, columnNumber: 4 }, url };
      const session = new FakeSession(
        runningTarget([timers], {
          'Debugger.enable'(this: FakeSession) {
            this.emit('Debugger.scriptParsed', { scriptId: '10', url: 'node:internal/timers', sourceMapURL: '' });
            this.emit('Debugger.scriptParsed', { scriptId: '81', url: 'file:///app.js', sourceMapURL: '' });
            return { debuggerId: 'x' };
          },
        }),
      );
      const capture = await captureOnSession(session, options);
      expect(capture.execution?.state, `url ${JSON.stringify(url)}`).toBe('idle');
    }
  });

  it('resumes even when the snapshot then fails', async () => {
    const state = { paused: false, pausedAtDisable: undefined as boolean | undefined };
    const session = new FakeSession(
      runningTarget([frame('hotLoop', 11)], {
        'HeapProfiler.takeHeapSnapshot'() {
          throw new TargetExitedError('gone');
        },
      }, state),
    );
    await expect(captureOnSession(session, options)).rejects.toBeInstanceOf(TargetExitedError);
    expect(state.pausedAtDisable).toBe(false);
    expect(session.calls.indexOf('Debugger.resume')).toBeGreaterThan(session.calls.indexOf('Debugger.pause'));
    expect(session.calls.indexOf('Debugger.resume')).toBeLessThan(session.calls.indexOf('HeapProfiler.takeHeapSnapshot'));
    expect(session.calls.slice(-3)).toEqual(['Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
  });

  it('retries a failed resume, and resumes again in the cleanup, before disabling', async () => {
    let resumes = 0;
    let paused = false;
    let pausedAtDisable: boolean | undefined;
    const session: FakeSession = new FakeSession({
      'Debugger.pause'(this: FakeSession) {
        setImmediate(() => {
          paused = true;
          this.emit('Debugger.paused', { callFrames: [frame('hotLoop', 11)], reason: 'other' });
        });
        return {};
      },
      // The first two resumes fail; the target stays paused until one succeeds.
      'Debugger.resume'() {
        if (++resumes <= 2) throw new Error('transient failure');
        paused = false;
        return {};
      },
      'HeapProfiler.takeHeapSnapshot'() {
        throw new Error('snapshot failed');
      },
      'Debugger.disable'() {
        pausedAtDisable = paused;
        return {};
      },
    });
    await expect(captureOnSession(session, options)).rejects.toThrow(/snapshot failed/);
    // Round: resume, retry (both fail); the cleanup resumes again before anything else.
    expect(session.calls.slice(0, 6)).toEqual(['Debugger.enable', 'Debugger.pause', 'Debugger.setBreakpointsActive', 'Debugger.setBreakpointsActive', 'Debugger.resume', 'Debugger.resume']);
    expect(resumes).toBeGreaterThanOrEqual(3);
    expect(pausedAtDisable).toBe(false);
    expect(session.calls.slice(-3)).toEqual(['Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
  });

  it('resumes a pause that arrives after the bound (and reports the round as idle)', async () => {
    let late: (() => void) | undefined;
    const session: FakeSession = new FakeSession({
      'Debugger.pause'(this: FakeSession) {
        late = () => this.emit('Debugger.paused', { callFrames: [frame('lateCallback', 3)], reason: 'other' });
        return {};
      },
      'HeapProfiler.takeHeapSnapshot'(this: FakeSession) {
        late?.(); // arrives while the snapshot is being taken
        return streamingSnapshot.call(this);
      },
    });
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0 });
    expect(capture.execution?.state).toBe('idle');
    expect(session.calls).toContain('Debugger.resume');
    expect(session.calls.indexOf('Debugger.resume')).toBeLessThan(session.calls.indexOf('Debugger.disable'));
  });

  it('counts a pause at the entry of a Node callback (one frame in node:) as idle, and resumes it', async () => {
    const entry = { ...frame('processTimers', 505), url: 'node:internal/timers' };
    const session = new FakeSession(runningTarget([entry]));
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0 });
    expect(capture.execution?.state).toBe('idle');
    expect(session.calls).toContain('Debugger.resume');
  });

  it('reports a target that does not answer the pause request as blocked, and goes on', async () => {
    const session = new FakeSession({
      'Debugger.pause': () => new Promise(() => {}),
      'HeapProfiler.takeHeapSnapshot': streamingSnapshot,
    });
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0 });
    expect(capture.execution?.state).toBe('blocked');
    expect(session.calls).toContain('HeapProfiler.takeHeapSnapshot');
  });

  it('leaves a pause that was there before it attached (another debugger) alone', async () => {
    const held = [frame('atBreakpoint', 7)];
    const session: FakeSession = new FakeSession({
      'Debugger.enable'(this: FakeSession) {
        this.emit('Debugger.paused', { callFrames: held, reason: 'other' });
        return { debuggerId: 'x' };
      },
      'HeapProfiler.takeHeapSnapshot': streamingSnapshot,
    });
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0 });
    expect(capture.execution?.state).toBe('paused');
    expect(capture.execution?.stack?.[0].functionName).toBe('atBreakpoint');
    expect(session.calls).not.toContain('Debugger.pause');
    expect(session.calls).not.toContain('Debugger.resume');
  });

  it('takes --samples rounds, one stack each', async () => {
    const session = new FakeSession(runningTarget([frame('hotLoop', 11), frame('parse', 29)]));
    const capture = await captureOnSession(session, { ...options, locationBudgetMs: 0, samples: 3, sampleIntervalMs: 5 });
    expect(capture.execution?.samples.map((s) => s.state)).toEqual(['running', 'running', 'running']);
    // Three rounds, and the snapshot's.
    expect(session.calls.filter((call) => call === 'Debugger.pause')).toHaveLength(4);
    expect(session.calls.filter((call) => call === 'Debugger.resume')).toHaveLength(4);
  });

  it('stops on abort (SIGINT) between rounds, and still undoes everything', async () => {
    const controller = new AbortController();
    const session = new FakeSession(
      runningTarget([frame('hotLoop', 11)], {
        'Debugger.resume'(this: FakeSession) {
          controller.abort(new InterruptedError('interrupted by SIGINT'));
          setImmediate(() => this.emit('Debugger.resumed', {}));
          return {};
        },
      }),
    );
    await expect(
      captureOnSession(session, { ...options, samples: 5, sampleIntervalMs: 50, signal: controller.signal }),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(session.calls).not.toContain('HeapProfiler.takeHeapSnapshot');
    expect(session.calls.filter((call) => call === 'Debugger.pause')).toHaveLength(1);
    expect(session.calls.slice(-3)).toEqual(['Runtime.releaseObjectGroup', 'Debugger.disable', 'HeapProfiler.disable']);
  });
});

describe('sampleExecution: a lost break on a busy thread', () => {
  // The first Debugger.pause is answered but no break follows (V8 dropped it); later ones break.
  function droppingFirstBreak(callFrames: unknown[]): Record<string, Handler> {
    let pauses = 0;
    return {
      'Debugger.pause'(this: FakeSession) {
        if (++pauses > 1) queueMicrotask(() => this.emit('Debugger.paused', { callFrames, reason: 'other' }));
        return {};
      },
      'Debugger.resume'(this: FakeSession) {
        setImmediate(() => this.emit('Debugger.resumed', {}));
        return {};
      },
    };
  }

  async function sample(session: FakeSession, cpuMs?: () => number, state = 'R', pauseTimeoutMs = 300) {
    const guard = new PauseGuard(session, 0);
    await session.send('Debugger.enable', {});
    guard.debuggerEnabled();
    const thread = cpuMs ? () => ({ cpuMs: cpuMs(), state }) : undefined;
    return sampleExecution(session, guard, { pauseTimeoutMs, samples: 1, intervalMs: 10, ...(thread ? { thread } : {}) });
  }

  it('asks again when the thread kept using the CPU through an idle-looking round', async () => {
    const session = new FakeSession(droppingFirstBreak([frame('hotLoop', 11)]));
    const start = performance.now();
    const samples = await sample(session, () => Math.floor((performance.now() - start) / 10) * 10); // one full core
    expect(samples.map((s) => s.state)).toEqual(['running']);
    expect(samples[0].frames?.[0].functionName).toBe('hotLoop');
    expect(session.calls.filter((call) => call === 'Debugger.pause')).toHaveLength(2);
  });

  it('believes the idle round when the thread used no CPU, or when its clock is unknown', async () => {
    for (const clock of [() => 0, undefined]) {
      const session = new FakeSession(droppingFirstBreak([frame('hotLoop', 11)]));
      const samples = await sample(session, clock);
      expect(samples.map((s) => s.state)).toEqual(['idle']);
      expect(session.calls.filter((call) => call === 'Debugger.pause')).toHaveLength(1);
    }
  });

  it('ends an idle round early once the thread sleeps without using the CPU', async () => {
    // No break ever comes and the bound is beyond the test's timeout: only the early end ends it.
    const session = new FakeSession({});
    const samples = await sample(session, () => 0, 'S', 3_600_000);
    expect(samples.map((s) => s.state)).toEqual(['idle']);
    // Asleep but using the CPU, or using none but runnable: not idle.
    expect(sleptIdle({ cpuMs: 100, state: 'S' }, { cpuMs: 150, state: 'S' })).toBe(false);
    expect(sleptIdle({ cpuMs: 100, state: 'S' }, { cpuMs: 100, state: 'R' })).toBe(false);
    expect(sleptIdle({ cpuMs: 100, state: 'R' }, { cpuMs: 110, state: 'S' })).toBe(true);
  });

  it('keptBusy: a tenth of the wall time on the CPU, beyond tick noise', () => {
    expect(keptBusy(150, 300)).toBe(true);
    expect(keptBusy(30, 300)).toBe(true);
    expect(keptBusy(250, 2000)).toBe(true);
    expect(keptBusy(150, 2000)).toBe(false);
    expect(keptBusy(20, 40)).toBe(false);
  });
});

describe('lookupExactLocations: where the budget goes', () => {
  const definition = { scriptId: 81, line: 3, column: 0 };
  const nodes = [1, 2, 3].map((id) => ({ id, heapNode: id, kind: 'async-function' as const, name: 'f', definition, awaitedBy: [] }));
  const located = () =>
    new FakeSession({
      'HeapProfiler.getObjectByHeapObjectId': (params: { objectId: string }) => ({ result: { type: 'object', objectId: `obj-${params.objectId}` } }),
      'Runtime.getProperties': () => ({
        result: [],
        internalProperties: [{ name: '[[GeneratorLocation]]', value: { type: 'object', value: { scriptId: '81', lineNumber: 4, columnNumber: 2 } } }],
      }),
    });
  const lookedUp = (session: FakeSession) => session.log.filter((entry) => entry.startsWith('HeapProfiler.getObjectByHeapObjectId')).map((entry) => JSON.parse(entry.slice(entry.indexOf('{'))).objectId);

  it('looks up every frame when the budget covers them all (no `placed` given)', async () => {
    // 200k heap nodes: an estimated 100 ms per lookup, 300 ms for the three.
    const options = { budgetMs: 1000, objectGroup: 'g', heapNodes: 200_000 };
    expect(budgetCoversEveryFrame(nodes, options)).toBe(true);
    const session = located();
    const { exact } = await lookupExactLocations(session, nodes, options);
    expect(lookedUp(session)).toEqual(['1', '2', '3']);
    expect(exact.size).toBe(3);
  });

  it('when it cannot, skips later instances of a function that inference placed', async () => {
    expect(budgetCoversEveryFrame(nodes, { budgetMs: 250, heapNodes: 200_000 })).toBe(false);
    const session = located();
    const inferred = { has: (id: number) => id !== 3, isCertain: () => false, questionOf: () => undefined };
    const { exact } = await lookupExactLocations(session, nodes, { budgetMs: 250, objectGroup: 'g', heapNodes: 200_000, inferred });
    // 3, which inference could not place, first; then 1, the first frame of the function it placed.
    expect(lookedUp(session)).toEqual(['3', '1']);
    expect([...exact.keys()]).toEqual([3, 1]);
  });

  it('spends it first on functions inference has no answer for, never on frames it placed for certain', async () => {
    // Functions f (frames 1, 2: no answer), g (frames 3, 4: placed by the call they await) and
    // h (frames 5, 6: its only await). Frame ids sort each function's instances.
    const at = (line: number) => ({ scriptId: 81, line, column: 0 });
    const frames = [
      { id: 3, name: 'g', definition: at(10) },
      { id: 4, name: 'g', definition: at(10) },
      { id: 5, name: 'h', definition: at(20) },
      { id: 6, name: 'h', definition: at(20) },
      { id: 7, name: 'f', definition: at(3) },
      { id: 8, name: 'f', definition: at(3) },
    ].map((frame) => ({ ...frame, heapNode: frame.id, kind: 'async-function' as const, awaitedBy: [] }));
    const inferred = { has: (id: number) => id !== 7 && id !== 8, isCertain: (id: number) => id === 5 || id === 6, questionOf: () => undefined };
    expect(lookupOrder(frames, inferred).map((frame) => frame.id)).toEqual([7, 3, 8]);
    const session = located();
    await lookupExactLocations(session, frames, { budgetMs: 250, objectGroup: 'g', heapNodes: 200_000, inferred });
    expect(lookedUp(session)).toEqual(['7', '3', '8']);
  });

  it('stops looking up frames of one question once two were found suspended at one place', async () => {
    const frames = [1, 2, 3, 4].map((id) => ({ id, heapNode: id, kind: 'async-function' as const, name: 'f', definition, awaitedBy: [] }));
    const lineOf = new Map([[1, 4], [2, 9], [3, 4], [4, 9]]);
    const suspended = (line: (id: number) => number) =>
      new FakeSession({
        'HeapProfiler.getObjectByHeapObjectId': (params: { objectId: string }) => ({ result: { type: 'object', objectId: `obj-${params.objectId}` } }),
        'Runtime.getProperties': (params: { objectId: string }) => ({
          result: [],
          internalProperties: [
            { name: '[[GeneratorState]]', value: { type: 'string', value: 'suspended' } },
            { name: '[[GeneratorLocation]]', value: { type: 'object', value: { scriptId: '81', lineNumber: line(Number(params.objectId.slice(4))), columnNumber: 2 } } },
          ],
        }),
      });
    const inferred = { has: () => false, isCertain: () => false, questionOf: () => 'f awaiting a promise' };
    const options = { budgetMs: 60_000, objectGroup: 'g', heapNodes: 200_000, inferred };
    const agreeing = suspended(() => 4);
    await lookupExactLocations(agreeing, frames, options);
    expect(lookedUp(agreeing)).toEqual(['1', '2']);
    // Two places: every frame is looked up.
    const differing = suspended((id) => lineOf.get(id)!);
    await lookupExactLocations(differing, frames, options);
    expect(lookedUp(differing)).toEqual(['1', '2', '3', '4']);
  });

  it("counts a function's first unplaced frame apart from its placed ones", () => {
    // f: frame 1 placed (by the call it awaits), 2-4 not; g (5) and h (6) placed.
    const at = (line: number) => ({ scriptId: 81, line, column: 0 });
    const frames = [1, 2, 3, 4, 5, 6].map((id) => ({
      id,
      heapNode: id,
      kind: 'async-function' as const,
      name: id <= 4 ? 'f' : id === 5 ? 'g' : 'h',
      definition: at(id <= 4 ? 3 : id),
      awaitedBy: [],
    }));
    const inferred = { has: (id: number) => id === 1 || id >= 5, isCertain: () => false, questionOf: () => undefined };
    expect(lookupOrder(frames, inferred).map((frame) => frame.id)).toEqual([2, 1, 5, 6, 3, 4]);
  });
});
