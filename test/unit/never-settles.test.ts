import { describe, expect, it } from 'vitest';
import { neverSettlingVariables, WAITS_FOR_ALL, WAITS_FOR_ANY, type Waiting } from '../../src/wakeups/never-settles.js';

/** CSR lists from one array of dependencies per variable. */
function lists(deps: number[][]) {
  const start = [0];
  const list: number[] = [];
  for (const d of deps) {
    list.push(...d);
    start.push(list.length);
  }
  return { count: deps.length, start, list };
}

function never(deps: number[][], possible: (v: number) => boolean, waiting: (v: number) => Waiting = () => WAITS_FOR_ALL): number[] {
  return [...neverSettlingVariables(lists(deps), waiting, possible)].flatMap((flag, v) => (flag ? [v] : []));
}

describe('neverSettlingVariables', () => {
  it('a chain over a leaf that can never settle never settles; one that can clears the chain', () => {
    // 0 awaits 1 awaits 2 (a leaf)
    expect(never([[1], [2], []], () => true)).toEqual([0, 1, 2]);
    expect(never([[1], [2], []], (v) => v !== 2)).toEqual([]);
  });

  it('waits for all: one input that can settle is enough to clear it', () => {
    // 0 = all(1, 2); 1 never, 2 can
    expect(never([[1, 2], [], []], (v) => v !== 2)).toEqual([1]);
  });

  it('waits for any (allSettled): stays while one input never settles', () => {
    expect(never([[1, 2], [], []], (v) => v !== 2, (v) => (v === 0 ? WAITS_FOR_ANY : WAITS_FOR_ALL))).toEqual([0, 1]);
  });

  it('a cycle with nothing outside it never settles; something outside that can settle it clears it', () => {
    expect(never([[1], [0]], () => true)).toEqual([0, 1]);
    expect(never([[1], [0]], (v) => v !== 1)).toEqual([]);
  });

  it('asks `possible` only where the dependencies say never, once per variable', () => {
    const asked: number[] = [];
    never([[1], [2], []], (v) => {
      asked.push(v);
      return v !== 2;
    });
    expect(asked).toEqual([2]);
  });
});
