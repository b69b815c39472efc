import { describe, expect, it } from 'vitest';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import { primingLeaves } from '../../src/wakeups/priming-leaves.js';

const frame = (id: number, line: number): FoundNode => ({ id, heapNode: id, kind: 'async-function', name: `f${line}`, definition: { scriptId: 1, line, column: 0 }, awaitedBy: [] });
const leaf = (id: number, awaiter?: number): FoundNode => ({ id, heapNode: id, kind: 'promise', name: 'Promise', definition: null, awaitedBy: awaiter === undefined ? [] : [awaiter] });

describe('primingLeaves', () => {
  it('takes the first leaf awaited by each function, and one leaf nothing awaits', () => {
    // Frames 1-3 are one function (line 10), frame 4 another (line 20).
    const frames = [frame(1, 10), frame(2, 10), frame(3, 10), frame(4, 20)];
    const leaves = [leaf(11, 1), leaf(12, 2), leaf(13, 4), leaf(14, 3), leaf(15), leaf(16)];
    expect(primingLeaves(leaves, [...frames, ...leaves])).toEqual([0, 2, 4]);
  });

  it('takes at most 64, from a sample spread over every leaf', () => {
    const frames = Array.from({ length: 1000 }, (_, i) => frame(i + 1, i));
    const leaves = Array.from({ length: 100_000 }, (_, i) => leaf(10_000 + i, (i % 1000) + 1));
    const first = primingLeaves(leaves, [...frames, ...leaves]);
    expect(first).toHaveLength(64);
    expect(new Set(first.map((at) => leaves[at].awaitedBy[0])).size).toBe(64);
    expect(first).toEqual([...first].sort((a, b) => a - b));
  });
});
