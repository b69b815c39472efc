// Waiters deep in long linked lists, for the unit tests of the holder search's list runs
// (src/wakeups/list-links.ts) and wide nodes (src/wakeups/holder-search.ts):
//  - `queue`: a singly linked list of one class (p-limit's yocto-queue), 600 waiters, behind a
//    limiter whose `run` every waiter's bound function holds (p-limit's shape);
//  - `pool`: a doubly linked list whose every node is also in the scope of its waiter's timeout
//    handler, with the queue itself (generic-pool's shape), 500 waiters;
//  - `ring`: a circular list of 50 waiters that a module variable holds at one node;
//  - `line`: a list of 100 waiters with a module variable, `cursor`, at its 50th node;
//  - `chain`: a list of 12 waiters whose resolve functions a suspended `keeper` also holds.
class Link {
  constructor(value) {
    this.value = value;
    this.next = undefined;
  }
}

function makeLimiter() {
  const queue = { head: undefined, tail: undefined };
  const run = (resolve) => resolve(queue.head);
  const limit = () =>
    new Promise((resolve) => {
      const link = new Link(undefined);
      if (queue.tail) queue.tail.next = link;
      else queue.head = link;
      queue.tail = link;
      new Promise((internalResolve) => (link.value = { run: internalResolve })).then(run.bind(undefined, resolve));
    });
  return limit;
}
const limit = makeLimiter();

async function fetchProfile() {
  await limit();
}

// Each waiter's handler keeps its node and the queue in its scope (generic-pool's Queue): the
// queue is a wide node, held by 500 scopes and by `pool`.
class WaitQueue {
  constructor() {
    this.list = { head: null, tail: null };
  }

  push(request) {
    const node = { prev: this.list.tail, next: null, data: request };
    if (this.list.tail) this.list.tail.next = node;
    else this.list.head = node;
    this.list.tail = node;
    request.promise.catch(() => this.remove(node));
  }

  remove(node) {
    return node;
  }
}
const pool = { queue: new WaitQueue() };
async function acquire() {
  const request = {};
  request.promise = new Promise((resolve) => (request.resolve = resolve));
  pool.queue.push(request);
  await request.promise;
}

class RingLink {
  constructor() {
    this.next = this;
    this.resolve = null;
  }
}
let ring = new RingLink();
async function waitInRing() {
  const link = new RingLink();
  link.next = ring.next;
  ring.next = link;
  await new Promise((resolve) => (link.resolve = resolve));
}

const line = { head: null };
let cursor = null;
async function waitInLine(position) {
  const link = { next: line.head, resolve: null };
  line.head = link;
  if (position === 50) cursor = link;
  await new Promise((resolve) => (link.resolve = resolve));
}

// A suspended function holds 12 waiters' resolve functions a few steps down, and so does a list:
// for the waiters deep in the list the function is nearer than the list's variable (a run climbed
// in one step still counts its links as the distance).
const chain = { head: null };
const wakeKeeper = [];
async function keeper(nest) {
  // Awaits something alive: a frame nothing can resume is garbage, not in the snapshot.
  await new Promise((resolve) => wakeKeeper.push(resolve));
  return nest;
}
function enqueueKept(slots) {
  return new Promise((resolve) => {
    slots.push(resolve);
    chain.head = { next: chain.head, resolve };
  });
}
async function waitKept(promise) {
  await promise;
}
function startKept() {
  const slots = [];
  keeper({ a: { b: { c: slots } } });
  for (let i = 0; i < 12; i++) waitKept(enqueueKept(slots));
}

startKept();
for (let i = 0; i < 600; i++) fetchProfile();
for (let i = 0; i < 500; i++) acquire();
for (let i = 0; i < 50; i++) waitInRing();
for (let i = 0; i < 100; i++) waitInLine(i);
// Functions that name `ring`, `line` and `cursor`: without them nothing alive would hold those.
setInterval(() => [ring, line, cursor, chain, wakeKeeper], 3_600_000);
console.log('ready');
