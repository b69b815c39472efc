import { describe, expect, it } from 'vitest';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import { buildDocument, type ExecutionInput, type RawFrame } from '../../src/document/document.js';
import type { AwaitGraphDocument } from '../../src/schema.js';
import { isCallbackEntry } from '../../src/capture/running-stack.js';
import { frameCandidates, linkFrames } from '../../src/capture/stack-nodes.js';
import { renderJson } from '../../src/render/json.js';
import { renderTree } from '../../src/render/tree.js';

// The running stack as pure data: matching frames with the heap's generators, the document's
// `execution`, and how the tree prints it. (The protocol side is in capture.test.ts; real
// targets in test/integration/busy.test.ts.)

const APP = 'file:///srv/app/busy.js';

function found(id: number, name: string, kind: FoundNode['kind'], definition: FoundNode['definition'], awaitedBy: number[] = []): FoundNode {
  return { id, heapNode: id, kind, name, definition, awaitedBy };
}

function raw(functionName: string, line: number, column: number, fn?: [number, number], url = APP, scriptId = '81'): RawFrame {
  return {
    functionName,
    scriptId,
    url,
    lineNumber: line,
    columnNumber: column,
    ...(fn ? { functionLocation: { scriptId, lineNumber: fn[0], columnNumber: fn[1] } } : {}),
  };
}

// busy.js:   hotLoop (sync) ← parse (sync) ← handle (async, running) ← main (async, suspended)
const handleDef = { scriptId: 81, line: 34, column: 21 };
const mainDef = { scriptId: 81, line: 39, column: 19 };
const nodes = [
  found(10, 'handle', 'async-function', handleDef, [20]),
  found(11, 'handle', 'async-function', handleDef, []), // another call of handle, suspended
  found(20, 'main', 'async-function', mainDef),
];
const stack = [raw('hotLoop', 19, 2, [18, 16]), raw('parse', 26, 2, [25, 14]), raw('handle', 32, 2, [34, 21])];

describe('frameCandidates / linkFrames', () => {
  it('matches frames with generators by function start (script, line, column)', () => {
    expect(frameCandidates(stack, nodes)).toEqual([[], [], [10, 11]]);
  });

  it('links a frame to the candidate whose [[GeneratorState]] is running', () => {
    const states = new Map([[10, 'running'], [11, 'suspended']]);
    expect(linkFrames([[], [], [10, 11]], (id) => states.get(id))).toEqual([undefined, undefined, 10]);
    const other = new Map([[10, 'suspended'], [11, 'running']]);
    expect(linkFrames([[], [], [10, 11]], (id) => other.get(id))).toEqual([undefined, undefined, 11]);
  });

  it('without lookups, links only a frame with a single candidate', () => {
    expect(linkFrames([[10, 11], [20]], () => undefined)).toEqual([undefined, 20]);
  });

  it('never links a suspended generator, nor one node to two frames (recursion)', () => {
    expect(linkFrames([[11]], () => 'suspended')).toEqual([undefined]);
    const states = new Map([[10, 'running']]);
    expect(linkFrames([[10], [10]], (id) => states.get(id))).toEqual([10, undefined]);
  });

  it('recognizes a pause that only caught the entry of a Node callback', () => {
    expect(isCallbackEntry([raw('processTimers', 505, 4, [504, 24], 'node:internal/timers', '10')])).toBe(true);
    expect(isCallbackEntry([raw('handle', 32, 2, [34, 21])])).toBe(false);
    expect(isCallbackEntry([raw('listOnTimeout', 580, 8, [530, 24], 'node:internal/timers', '10'), raw('processTimers', 520, 6, [504, 24], 'node:internal/timers', '10')])).toBe(false);
  });
});

function document(execution: ExecutionInput): AwaitGraphDocument {
  return buildDocument({
    nodes,
    scriptUrls: new Map([['81', APP]]),
    exact: new Map([
      [10, { scriptId: '81', lineNumber: 34, columnNumber: 21, state: 'running' }],
      [20, { scriptId: '81', lineNumber: 40, columnNumber: 2, state: 'suspended' }],
    ]),
    target: { pid: 4242, nodeVersion: 'v22.1.0', url: 'ws://127.0.0.1:9229/x' },
    capturedAt: new Date('2026-01-01T00:00:00Z'),
    toolVersion: '0.1.0',
    execution,
  });
}

const running: ExecutionInput = {
  state: 'running',
  pauseTimeoutMs: 300,
  sampleIntervalMs: 100,
  samples: [{ atMs: 0, state: 'running', frames: stack }],
  stack,
  stackNodeIds: [undefined, undefined, 10],
  stackKinds: [undefined, undefined, 'async-function'],
};

describe('the document: execution', () => {
  it('has the stack with 1-based locations, the frame linked to its node, and runningNodeId', () => {
    const doc = document(running);
    expect(doc.execution).toEqual({
      state: 'running',
      stack: [
        { functionName: 'hotLoop', location: { url: APP, line: 20, column: 3 }, locationSource: 'exact' },
        { functionName: 'parse', location: { url: APP, line: 27, column: 3 }, locationSource: 'exact' },
        { functionName: 'handle', location: { url: APP, line: 33, column: 3 }, locationSource: 'exact', kind: 'async-function', nodeId: 10 },
      ],
      runningNodeId: 10,
      pauseTimeoutMs: 300,
    });
    // Right after capturedAt in the JSON, before the nodes.
    const keys = Object.keys(JSON.parse(renderJson(doc)));
    expect(keys.indexOf('execution')).toBe(keys.indexOf('capturedAt') + 1);
  });

  it('marks a top-level frame and Node internals', () => {
    const top = [raw('', 14, 0, [0, 0]), raw('Module._compile', 1520, 13, [1482, 36], 'node:internal/modules/cjs/loader', '65')];
    const doc = document({ state: 'running', pauseTimeoutMs: 300, sampleIntervalMs: 100, samples: [{ atMs: 0, state: 'running', frames: top }], stack: top });
    expect(doc.execution?.stack).toEqual([
      { functionName: '', location: { url: APP, line: 15, column: 1 }, locationSource: 'exact', topLevel: true },
      { functionName: 'Module._compile', location: { url: 'node:internal/modules/cjs/loader', line: 1521, column: 14 }, locationSource: 'exact', internal: true },
    ]);
    expect(doc.execution?.runningNodeId).toBeUndefined();
  });

  it('keeps every round in samples, only when there are several', () => {
    const doc = document({
      ...running,
      samples: [
        { atMs: 0, state: 'running', frames: stack, kinds: [undefined, undefined, 'async-function'] },
        { atMs: 100, state: 'idle' },
      ],
    });
    expect(doc.execution?.samples).toEqual([
      { atMs: 0, state: 'running', stack: expect.arrayContaining([expect.objectContaining({ functionName: 'handle', kind: 'async-function' })]) },
      { atMs: 100, state: 'idle' },
    ]);
    expect(doc.execution?.sampleIntervalMs).toBe(100);
    expect(document(running).execution?.samples).toBeUndefined();
  });
});

describe('the tree: execution', () => {
  const style = { colors: false, cwd: '/srv/app' };

  it('says running JavaScript, prints the chain and the frames, and marks the running node', () => {
    expect(renderTree(document(running), style)).toBe(
      [
        'pid 4242, node v22.1.0 — running JavaScript, 2 suspended frames, 0 pending promises',
        'running: hotLoop ← parse ← async handle ← async main',
        '▶ hotLoop  busy.js:20:3',
        '  parse  busy.js:27:3',
        '  async handle  busy.js:33:3',
        '└── handle  (defined at busy.js:35:22)',
        '└── main  busy.js:41:3',
        '    └── ▶ handle  busy.js:33:3 [running]',
        '',
      ].join('\n'),
    );
  });

  it('says idle in event loop, and prints the forest as before', () => {
    const idle = document({ state: 'idle', pauseTimeoutMs: 300, sampleIntervalMs: 100, samples: [{ atMs: 0, state: 'idle' }] });
    const text = renderTree(idle, style);
    expect(text.split('\n')[0]).toBe('pid 4242, node v22.1.0 — idle in event loop, 2 suspended frames, 0 pending promises');
    const { execution: _, ...withoutExecution } = idle;
    // Only the header differs from a document without `execution`.
    expect(text.split('\n').slice(1)).toEqual(renderTree(withoutExecution as AwaitGraphDocument, style).split('\n').slice(1));
    expect(renderTree(withoutExecution as AwaitGraphDocument, style).split('\n')[0]).toBe('pid 4242, node v22.1.0 — 3 suspended frames, 0 pending promises');
  });

  it('says blocked when the target did not answer', () => {
    const blocked = document({ state: 'blocked', pauseTimeoutMs: 300, sampleIntervalMs: 100, samples: [{ atMs: 0, state: 'blocked' }] });
    expect(renderTree(blocked, style).split('\n')[0]).toBe(
      'pid 4242, node v22.1.0 — blocked (no answer to a pause within 300 ms), 2 suspended frames, 0 pending promises',
    );
  });

  it('names the top level by its file and folds Node internals', () => {
    const top = [
      raw('', 14, 0, [0, 0]),
      raw('Module._compile', 1520, 13, [1482, 36], 'node:internal/modules/cjs/loader', '65'),
      raw('Module.load', 1265, 31, [1256, 32], 'node:internal/modules/cjs/loader', '65'),
    ];
    const text = renderTree(document({ state: 'running', pauseTimeoutMs: 300, sampleIntervalMs: 100, samples: [{ atMs: 0, state: 'running', frames: top }], stack: top }), style);
    expect(text.split('\n').slice(1, 4)).toEqual(['running: (top level) busy.js', '▶ (top level)  busy.js:15:1', '    … 2 frames in Node.js internals']);
  });

  it('prints samples as counts per distinct stack, most frequent first', () => {
    const elsewhere = [raw('tokenize', 7, 4, [5, 18]), ...stack.slice(1)];
    const doc = document({
      ...running,
      samples: [
        { atMs: 0, state: 'running', frames: stack, kinds: [undefined, undefined, 'async-function'] },
        { atMs: 100, state: 'running', frames: elsewhere, kinds: [undefined, undefined, 'async-function'] },
        { atMs: 200, state: 'running', frames: stack, kinds: [undefined, undefined, 'async-function'] },
        { atMs: 300, state: 'idle' },
      ],
    });
    const lines = renderTree(doc, style).split('\n');
    const at = lines.findIndex((line) => line.startsWith('samples:'));
    expect(lines.slice(at, at + 4)).toEqual([
      'samples: 4 every 100 ms — 3 running, 1 idle',
      '  2×  hotLoop  busy.js:20:3 ← parse ← async handle',
      '  1×  tokenize  busy.js:8:5 ← parse ← async handle',
      '  1×  (idle in event loop)',
    ]);
  });

  it('is readable without colours and highlights with them', () => {
    const colored = renderTree(document(running), { ...style, colors: true });
    expect(colored).toContain('\x1b[');
    // eslint-disable-next-line no-control-regex
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderTree(document(running), style));
  });
});
