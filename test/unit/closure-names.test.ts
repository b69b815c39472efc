import { describe, expect, it } from 'vitest';
import { ClosureNames } from '../../src/wakeups/closure-names.js';

const SOURCE = [
  'const waiters = new Map();', //                                        line 0
  'const tick = () => { count++; };', //                                  line 1
  'const flush = () => { for (const r of waiters.values()) r(); };', //   line 2
  'function uses(a) { return { waiters: a.waiters, b }; }', //            line 3
  'function shorthand() { return { waiters }; }', //                      line 4
  'function dynamic() { return eval("waiters"); }', //                    line 5
  'const poll = () => this.poll();', //                                   line 6
].join('\n');

describe('ClosureNames', () => {
  it('asks for a script it has not been given, once per take', () => {
    const names = new ClosureNames();
    expect(names.namesUsedBy({ scriptId: 7, line: 1, column: 13 })).toBe('missing');
    expect(names.namesUsedBy({ scriptId: 7, line: 2, column: 14 })).toBe('missing');
    expect(names.takeMissing()).toEqual([7]);
    expect(names.takeMissing()).toEqual([]);
  });

  it('lists the variables a function names, not the properties', () => {
    const names = new ClosureNames();
    names.addSource(7, SOURCE);
    const at = (line: number, column: number) => names.namesUsedBy({ scriptId: 7, line, column }) as ReadonlySet<string>;
    expect([...at(1, 13)]).toEqual(['count']);
    expect(at(2, 14).has('waiters')).toBe(true);
    // `{ waiters: … }` and `a.waiters` are property names; `b` is a variable.
    expect(at(3, 14).has('waiters')).toBe(false);
    expect(at(3, 14).has('b')).toBe(true);
    // `{ waiters }` is the variable.
    expect(at(4, 18).has('waiters')).toBe(true);
    // An arrow's `this` is a variable of its scope.
    expect([...at(6, 13)]).toEqual(['this']);
  });

  it('does not know for code that can reach any name, nor without a source', () => {
    const names = new ClosureNames();
    names.addSource(7, SOURCE);
    names.addSource(8, null);
    expect(names.namesUsedBy({ scriptId: 7, line: 5, column: 16 })).toBe('unknown');
    expect(names.namesUsedBy({ scriptId: 8, line: 0, column: 0 })).toBe('unknown');
    expect(names.takeMissing()).toEqual([]);
  });
});
