import { describe, expect, it } from 'vitest';
import { buildDocument } from '../../src/document/document.js';
import type { AwaitGraphDocument, CaptureMemory } from '../../src/schema.js';
import { renderTree } from '../../src/render/tree.js';

const MB = 1024 * 1024;

function doc(memory?: CaptureMemory, snapshotMs = 1234): AwaitGraphDocument {
  const base = buildDocument({
    nodes: [{ id: 1, heapNode: 0, kind: 'async-function', name: 'main', definition: { scriptId: 1, line: 9, column: 0 }, awaitedBy: [] }],
    scriptUrls: new Map([['1', 'file:///app/main.js']]),
    exact: new Map(),
    target: { pid: 42, nodeVersion: 'v20.0.0', url: 'ws://x' },
    capturedAt: new Date(0),
    toolVersion: 'test',
    stats: { snapshotBytes: 1, heapNodes: 1, locationBudgetMs: 0, locationLookupMs: 0, snapshotMs },
  });
  return memory ? { ...base, memory } : base;
}

describe('the capture cost line under the tree header', () => {
  it('says how long the snapshot stopped the target and its RSS before, at the peak and after', () => {
    const memory: CaptureMemory = { estimatedBytes: 900 * MB, rssBeforeBytes: 191 * MB, rssPeakBytes: 887 * MB, rssAfterBytes: 693 * MB };
    expect(renderTree(doc(memory), { colors: false, cwd: '/app' }).split('\n').slice(0, 2)).toEqual([
      'pid 42, node v20.0.0 — 1 suspended frame, 0 pending promises',
      'capture cost: the heap snapshot stopped it for 1.2 s; RSS 191 MB before, 887 MB at the peak, 693 MB after',
    ]);
  });

  it('names a forced capture, with what it was estimated to need', () => {
    const memory: CaptureMemory = { estimatedBytes: 1200 * MB, headroomBytes: 430 * MB, forced: true, rssBeforeBytes: 170 * MB, rssAfterBytes: 650 * MB };
    expect(renderTree(doc(memory, 300), { colors: false, cwd: '/app' }).split('\n')[1]).toBe(
      'capture cost: the heap snapshot stopped it for 300 ms; RSS 170 MB before, 650 MB after  (--force: estimated to need 1200 MB, 430 MB free)',
    );
  });

  it('no line without the memory facts (documents of older versions)', () => {
    expect(renderTree(doc(), { colors: false, cwd: '/app' })).not.toContain('capture cost');
  });
});
