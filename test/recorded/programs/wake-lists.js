// Twenty waiters, each at the end of its own 200-node list, between twenty awaits that can never
// settle (no resolving function alive: they are not searched): for the unit test of the holder
// search's second pass (src/wakeups/wakers.ts), which must only search again the leaves whose
// share cut them short.
const LISTS = 20;
const LENGTH = 200;

const lists = [];
const kept = [];

// Nodes of two classes in turn: not a run of plain links of one class, which the search climbs in
// one step (src/wakeups/list-links.ts). This test is about searches that walk the lists.
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

function parkAtTheEndOf(list) {
  let node = list.head;
  while (node.next) node = node.next;
  return new Promise((resolve) => (node.resolve = resolve));
}

async function waitAtTheEnd(list) {
  await parkAtTheEndOf(list);
}

async function waitForever() {
  await kept[kept.push(new Promise(() => {})) - 1];
}

for (let i = 0; i < LISTS; i++) {
  const list = { head: null };
  for (let j = 0; j < LENGTH; j++) list.head = j % 2 === 0 ? new Even(list.head) : new Odd(list.head);
  lists.push(list);
  waitAtTheEnd(list);
  waitForever();
}
// The interval names `lists`: without a function using it, nothing alive would hold the lists.
setInterval(() => lists.length, 3_600_000);
console.log('ready');
