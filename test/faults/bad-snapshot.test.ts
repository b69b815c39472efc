// The heap snapshot stream is the one big thing asyncgraph reads. Truncated, malformed, endless
// or never finished, it must end in one line with a documented exit code, and asyncgraph must not
// exhaust its own memory: --max-snapshot-mb (default 2048) stops reading past the limit and says
// how to raise it. A fake inspector serves the streams, and records what asyncgraph asks of it:
// read-only methods only, never code evaluation, and everything it enabled disabled again.

import { afterEach, describe, expect, it } from 'vitest';
import { REFUSED_METHODS } from '../../src/session/guarded-session.js';
import { RECORDED_SNAPSHOT, startFakeInspector, streamSnapshot, type CommandHandler, type FakeInspector } from './fake-inspector.js';
import { oneLineFailure, startCli } from './helpers.js';

const fakes = new Set<FakeInspector>();
afterEach(async () => {
  await Promise.all([...fakes].map((fake) => fake.close()));
  fakes.clear();
});

async function captureFrom(takeHeapSnapshot: CommandHandler, extra: string[] = []) {
  const inspector = await startFakeInspector({ handlers: { 'HeapProfiler.takeHeapSnapshot': takeHeapSnapshot } });
  fakes.add(inspector);
  const result = await startCli(['attach', '--port', String(inspector.port), '--json', ...extra]).finished(20_000);
  return { inspector, result };
}

/** What a capture may leave enabled: every enable has its disable after it. */
function expectLeftAsFound(methods: string[]): void {
  for (const domain of ['Debugger', 'HeapProfiler']) {
    const enabled = methods.lastIndexOf(`${domain}.enable`);
    if (enabled >= 0) expect(methods.lastIndexOf(`${domain}.disable`), `${domain} left enabled: ${methods.join(' ')}`).toBeGreaterThan(enabled);
  }
  if (methods.includes('HeapProfiler.takeHeapSnapshot')) expect(methods).toContain('HeapProfiler.disable');
}

describe('the heap snapshot stream', () => {
  it('a good one: captured, with read-only methods only (no code evaluated), domains disabled after', async () => {
    const { inspector, result } = await captureFrom(streamSnapshot(RECORDED_SNAPSHOT));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).stats.snapshotBytes).toBe(RECORDED_SNAPSHOT.length);
    for (const method of inspector.methods) expect(REFUSED_METHODS.has(method), `${method} sent`).toBe(false);
    expect(inspector.methods).not.toContain('Runtime.evaluate');
    expect(inspector.methods).not.toContain('Runtime.callFunctionOn');
    // Getters are never run: properties are read without previews of values.
    for (const command of inspector.commands.filter((c) => c.method === 'Runtime.getProperties')) {
      expect(command.params?.generatePreview).not.toBe(true);
      expect(command.params?.accessorPropertiesOnly).not.toBe(true);
    }
    expectLeftAsFound(inspector.methods);
  });

  it('truncated: exit 1, "cannot read the heap snapshot", cleaned up', async () => {
    const { inspector, result } = await captureFrom(streamSnapshot(RECORDED_SNAPSHOT.slice(0, Math.floor(RECORDED_SNAPSHOT.length / 2))));
    expect(result.code, result.stderr).toBe(1);
    expect(oneLineFailure(result).message).toMatch(/^cannot read the heap snapshot: heap snapshot is truncated/);
    expectLeftAsFound(inspector.methods);
  });

  it('malformed: exit 1, "cannot read the heap snapshot"', async () => {
    const garbage = `{"snapshot":{"meta":{"node_fields":["type"]},"node_count":1,"edge_count":0},"nodes":[1,2,"x"]}`;
    const { inspector, result } = await captureFrom(streamSnapshot(garbage));
    expect(result.code, result.stderr).toBe(1);
    expect(oneLineFailure(result).message).toMatch(/^cannot read the heap snapshot: /);
    expectLeftAsFound(inspector.methods);
  });

  it('not even JSON: exit 1, one line', async () => {
    const { result } = await captureFrom(streamSnapshot('\u0000\u0001 this is not a heap snapshot'));
    expect(result.code, result.stderr).toBe(1);
    expect(oneLineFailure(result).message).toMatch(/^cannot read the heap snapshot: /);
  });

  it('larger than --max-snapshot-mb: exit 9, says how to raise it, stops reading at once', async () => {
    const { inspector, result } = await captureFrom(streamSnapshot(RECORDED_SNAPSHOT), ['--max-snapshot-mb', '0.05']);
    expect(result.code, result.stderr).toBe(9);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('the heap snapshot is larger than 0.05 MB (--max-snapshot-mb); stopped reading it, the target keeps running');
    expect(hint).toMatch(/^raise the limit, e\.g\. --max-snapshot-mb \d+/);
    expectLeftAsFound(inspector.methods);
  });

  it('endless (the stream never ends): exit 9 at the limit, not out of memory', async () => {
    let streaming = true;
    const endless: CommandHandler = async (_command, connection) => {
      const chunk = `${'1,'.repeat(32 * 1024)}`;
      connection.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: '{"snapshot":{"meta":{},"node_count":1,"edge_count":1},"nodes":[' });
      while (streaming) {
        connection.emit('HeapProfiler.addHeapSnapshotChunk', { chunk });
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    try {
      const { result } = await captureFrom(endless, ['--max-snapshot-mb', '8']);
      expect(result.code, result.stderr).toBe(9);
      expect(oneLineFailure(result).message).toMatch(/^the heap snapshot is larger than 8 MB/);
    } finally {
      streaming = false;
    }
  });

  it('never finishing: exit 8 after --timeout', async () => {
    const { inspector, result } = await captureFrom(() => {}, ['--timeout', '1']);
    expect(result.code, result.stderr).toBe(8);
    const { message, hint } = oneLineFailure(result);
    expect(message).toBe('the heap snapshot did not finish within 1s');
    // The message says --timeout ended it (no wall-clock check: a loaded machine stretches it).
    expect(hint).toContain('--timeout');
    expectLeftAsFound(inspector.methods);
  });

  it('chunks that are not text: one line', async () => {
    const { result } = await captureFrom((command, connection) => {
      connection.emit('HeapProfiler.addHeapSnapshotChunk', { chunk: 42 });
      connection.reply(command, {});
    });
    expect(result.code, result.stderr).not.toBe(0);
    oneLineFailure(result);
  });
});
