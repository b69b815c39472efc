import { describe, expect, it } from 'vitest';
import { generalise } from '../../src/document/wakeup-document.js';

describe('generalise: what differs between the members of a group in a waker text', () => {
  it.each([
    ['held in held[12345]', 'held in held[…]'],
    ["held in cache.get('user:7')._resolve", 'held in cache.get(…)._resolve'],
    ['held in pool._waitingClientsQueue._slots[0]._list.head.next×28.data._resolve', 'held in pool._waitingClientsQueue._slots[…]._list[…].data._resolve'],
    // p-limit's yocto-queue: private ends.
    ['held in limit → queue.#head.next×12.value.reject', 'held in limit → queue[…].value.reject'],
    ['held in limit → queue.#tail.value.reject', 'held in limit → queue[…].value.reject'],
    ["'approved:74' listener on EventEmitter (approvals)", "'approved:…' listener on EventEmitter (approvals)"],
    ['held by a local of mainFetch (a local of mainFetch)', 'held by a local of mainFetch (a local of …)'],
    // A quoted text with an index inside: the index first, so the quote keeps its closing bracket.
    ["'abc[12]' listener", "'abc[…]' listener"],
    ["map.get('k1')[3]", 'map.get(…)[…]'],
    ['nothing to generalise here', 'nothing to generalise here'],
    ['', ''],
  ])('%s', (text, expected) => {
    expect(generalise(text)).toBe(expected);
  });
});
