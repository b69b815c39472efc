import { describe, expect, it } from 'vitest';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import type { FoundSettlement } from '../../src/wakeups/wakers.js';
import { linkHolderFrames } from '../../src/wakeups/holder-links.js';

const found = (id: number, kind: FoundNode['kind'], awaitedBy: number[] = []): FoundNode => ({
  id,
  heapNode: 0,
  kind,
  name: `n${id}`,
  definition: null,
  awaitedBy,
});
const settled = (holderFrames: number[]): FoundSettlement => ({ verdict: 'can-settle', reason: '', wakers: [], holderFrames });

describe('linkHolderFrames', () => {
  // caller(1) → leaf(2); library root(3) → step(4) → frame(5) → its own leaf(6)
  const nodes = [found(1, 'async-function'), found(2, 'promise', [1]), found(3, 'async-function'), found(4, 'then', [3]), found(5, 'async-function', [4]), found(6, 'promise', [5])];

  it("hangs the root of a frame that holds a leaf's resolve function under that leaf", () => {
    const linked = linkHolderFrames(nodes, new Map([[2, settled([5])]]));
    expect(linked.find((node) => node.id === 3)).toMatchObject({ awaitedBy: [2], linkedBy: 'holder' });
    // Nothing else changes, and the input is left as it was.
    expect(linked.filter((node) => node.id !== 3)).toEqual(nodes.filter((node) => node.id !== 3));
    expect(nodes[2].awaitedBy).toEqual([]);
  });

  it('never links a root above the leaf (no cycle), nor one twice', () => {
    // The library's own leaf is held by its own frames: its root is above it.
    expect(linkHolderFrames(nodes, new Map([[6, settled([5, 3])]]))).toBe(nodes);
    const twice = linkHolderFrames(nodes, new Map([[2, settled([5])], [6, settled([5])]]));
    expect(twice.find((node) => node.id === 3)!.awaitedBy).toEqual([2]);
  });
});
