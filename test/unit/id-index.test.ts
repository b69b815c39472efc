import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../src/snapshot/id-index.js';

describe('IdIndex', () => {
  it('answers as a Map would, for heap-like, huge, negative and repeated ids', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) ids.push(1 + 2 * Math.floor(random() * 20000));
    ids.push(0, 2 ** 31 + 1, 2 ** 32 - 1, -5, 2 ** 40, 3.5);
    const index = new IdIndex(ids.length);
    const reference = new Map<number, number>();
    ids.forEach((id, position) => {
      expect(index.add(id, position)).toBe(reference.get(id) ?? position);
      if (!reference.has(id)) reference.set(id, position);
    });
    expect(index.size).toBe(reference.size);
    for (let id = -10; id < 40_010; id++) expect(index.get(id)).toBe(reference.get(id) ?? -1);
    for (const id of [2 ** 31 + 1, 2 ** 32 - 1, 2 ** 40, 3.5, 2 ** 31 + 3]) expect(index.get(id)).toBe(reference.get(id) ?? -1);
  });

  it('positionsOf keeps the first position of a repeated id', () => {
    const index = IdIndex.positionsOf([{ id: 9 }, { id: 3 }, { id: 9 }]);
    expect([index.get(9), index.get(3), index.get(4)]).toEqual([0, 1, -1]);
  });
});
