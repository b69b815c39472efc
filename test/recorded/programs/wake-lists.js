// Twenty waiters, each at the end of its own 200-node list, between twenty awaits that can never
// settle (no resolving function alive: they are not searched): for the unit test of the holder
// search's second pass (src/wakeups/wakers.ts), which must only search again the leaves whose
// share cut them short.
const LISTS = 20;
const LENGTH = 200;

const lists = [];
const kept = [];

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
  for (let j = 0; j < LENGTH; j++) list.head = { next: list.head, resolve: null };
  lists.push(list);
  waitAtTheEnd(list);
  waitForever();
}
// The interval names `lists`: without a function using it, nothing alive would hold the lists.
setInterval(() => lists.length, 3_600_000);
console.log('ready');
