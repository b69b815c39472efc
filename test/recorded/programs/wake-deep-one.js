// One waiter at the far end of a long linked list, settled first (the first leaf of its kind),
// and a thousand approvals a few steps from their emitter: for the unit test of the holder
// search's budget (src/wakeups/holder-search.ts) that gives what the cheap leaves leave to the
// leaf its share cut short.
import { once, EventEmitter } from 'node:events';

const LENGTH = 300;
const ORDERS = 1000;

// Nodes of two classes in turn: not a run of plain links of one class, which the search climbs in
// one step (src/wakeups/list-links.ts). This test is about a search that walks the list.
class Even {
  constructor(next) {
    Object.assign(this, { next, resolve: null });
  }
}
class Odd {
  constructor(next) {
    Object.assign(this, { next, resolve: null });
  }
}
const list = { head: null };
for (let i = 0; i < LENGTH; i++) list.head = i % 2 === 0 ? new Even(list.head) : new Odd(list.head);

// Only the list holds the last node: the search climbs all of it to `list`.
function parkAtTheEnd() {
  let node = list.head;
  while (node.next) node = node.next;
  return new Promise((resolve) => (node.resolve = resolve));
}

async function waitAtTheEnd() {
  await parkAtTheEnd();
}

const approvals = new EventEmitter();
approvals.setMaxListeners(0);
async function awaitApproval(id) {
  await once(approvals, `approved:${id}`);
}

waitAtTheEnd();
for (let id = 0; id < ORDERS; id++) awaitApproval(id);
setInterval(() => {}, 3_600_000);
console.log('ready');
