import { describe, expect, it } from 'vitest';
import { renderTestChain, testRoot } from '../../src/test-runners/test-chain.js';
import { documentOf, node } from '../helpers/documents.js';

// documents.ts's loc() puts `cart.test.ts:…` under file:///app/.
const TEST = { name: 'loads the cart', file: '/app/cart.test.ts' };

/** The runner's frames, the test function, a helper in the file, a module still evaluating. */
function runnerDocument() {
  return documentOf([
    node({ id: 1, kind: 'async-function', name: 'runTest', at: 'runner.js:10:5' }),
    node({ id: 2, kind: 'then', name: 'resolve', thenMethod: 'then', viaHandler: true, by: [1] }),
    node({ id: 3, kind: 'async-function', name: '(anonymous)', at: 'cart.test.ts:30:3', by: [2] }),
    node({ id: 4, kind: 'async-function', name: 'fetchCart', at: 'cart.test.ts:12:10', by: [3] }),
    node({ id: 5, kind: 'promise', name: 'Promise', by: [4] }),
    // An earlier test of the file, cut off from the runner, still hanging on its timer.
    node({ id: 6, kind: 'async-function', name: '(anonymous)', at: 'cart.test.ts:20:3' }),
    node({ id: 7, kind: 'promise', name: 'Promise', by: [6] }),
    node({ id: 8, kind: 'module', name: 'cart.test.ts', at: 'cart.test.ts:3:1' }),
  ]);
}

describe('testRoot', () => {
  it('is the outermost frame of the file that the runner still awaits, not a helper or the module', () => {
    expect(testRoot(runnerDocument(), TEST)?.id).toBe(3);
  });

  it('with the test line known, the first candidate at or after it', () => {
    expect(testRoot(runnerDocument(), { ...TEST, line: 19 })?.id).toBe(6);
    expect(testRoot(runnerDocument(), { ...TEST, line: 29 })?.id).toBe(3);
  });

  it('leaves out a root reported for an earlier test, and never falls back to one', () => {
    const earlier = new Set(['file:///app/cart.test.ts:30:3']);
    expect(testRoot(runnerDocument(), TEST, earlier)?.id).toBe(6);
    // Both reported: another test's chain is not shown in this one's place.
    earlier.add('file:///app/cart.test.ts:20:3');
    expect(testRoot(runnerDocument(), TEST, earlier)).toBeUndefined();
    expect(renderTestChain(runnerDocument(), TEST, earlier)).toBe(
      `asyncgraph: the frames of /app/cart.test.ts still suspended are where earlier timed-out tests' chains were reported; none is new for "loads the cart"`,
    );
  });

  it('does not cross a holder link or a promise going up', () => {
    const doc = documentOf([
      node({ id: 1, kind: 'async-function', name: 'withConnection', at: 'cart.test.ts:12:10' }),
      node({ id: 2, kind: 'promise', name: 'Promise', by: [1] }),
      node({ id: 3, kind: 'async-function', name: 'holder', at: 'runner.js:1:1', linkedBy: 'holder', by: [2] }),
      node({ id: 4, kind: 'async-function', name: '(anonymous)', at: 'cart.test.ts:30:3', by: [3] }),
    ]);
    // Both are candidates; the one at the test's line wins.
    expect(testRoot(doc, { ...TEST, line: 29 })?.id).toBe(4);
  });

  it('is undefined when no frame of the file is suspended', () => {
    expect(testRoot(documentOf([node({ id: 1, kind: 'async-function', name: 'other', at: 'other.js:1:1' })]), TEST)).toBeUndefined();
  });
});

describe('renderTestChain', () => {
  it('draws the chain from the test down, named after the test, and records its root', () => {
    const earlier = new Set<string>();
    const text = renderTestChain(runnerDocument(), TEST, earlier);
    expect(text.split('\n').slice(1)).toEqual([
      '└── test "loads the cart"  /app/cart.test.ts:30:3',
      '    └── fetchCart  /app/cart.test.ts:12:10',
      '        └── Promise <pending>',
    ]);
    expect(text.split('\n')[0]).toBe('pid 42, node v20.0.0 — 2 suspended frames, 1 pending promise');
    expect([...earlier]).toEqual(['file:///app/cart.test.ts:30:3']);
  });

  it('says why there is no chain when nothing of the file is suspended', () => {
    expect(renderTestChain(documentOf([]), TEST)).toBe(
      'asyncgraph: no frame of /app/cart.test.ts is suspended any more: nothing referenced what "loads the cart" awaits, so it could never settle and was garbage-collected before the snapshot',
    );
  });
});
