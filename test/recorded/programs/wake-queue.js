// Many waiters in one doubly linked queue (generic-pool's shape), for the unit tests of the holder
// search's budget (src/wakeups/holder-search.ts): each waiter's search walks the list both ways to
// its ends to find the variable holding it, hundreds of nodes each. After them come waits whose
// holders are a few steps away: a listener per order, and a timer.
import { once, EventEmitter } from 'node:events';

const WAITERS = 700;

const queue = { head: null, tail: null };

// Nodes of two classes in turn: not a run of plain links of one class, which the search climbs in
// one step (src/wakeups/list-links.ts). These tests are about a search that walks the list.
class Even {
  constructor(data, prev) {
    Object.assign(this, { data, prev, next: null });
  }
}
class Odd {
  constructor(data, prev) {
    Object.assign(this, { data, prev, next: null });
  }
}
let enqueued = 0;

function enqueue(data) {
  const node = enqueued++ % 2 === 0 ? new Even(data, queue.tail) : new Odd(data, queue.tail);
  if (queue.tail) queue.tail.next = node;
  else queue.head = node;
  queue.tail = node;
}

async function waitInQueue(id) {
  await new Promise((resolve) => enqueue({ id, resolve }));
}

const ORDERS = 100;
const approvals = new EventEmitter();
approvals.setMaxListeners(0);
async function awaitApproval(id) {
  await once(approvals, `approved:${id}`);
}

async function sleepLong() {
  await new Promise((resolve) => setTimeout(resolve, 3_600_000));
}

for (let id = 0; id < WAITERS; id++) waitInQueue(id);
for (let id = 0; id < ORDERS; id++) awaitApproval(id);
sleepLong();
console.log('ready');
