// Target process for `npm run bench`: N chains of three async functions, each chain suspended
// on a promise that is kept reachable (its resolve function is held in an array), so the whole
// chain stays in the heap snapshot:
//
//   top(i) awaits middle(i) awaits leaf(i) awaits Promise <pending>
//
// With --shared, every leaf awaits ONE shared pending promise instead (the shape of a hung
// service: many requests on one upstream call), whose resolve function is the one held.
//
// Usage: node --inspect=127.0.0.1:0 scripts/bench-target.js N [--shared]
//
// It measures its own event-loop stalls (scripts/stall-meter.js): a 10 ms heartbeat interval whose
// ticks more than 5 ms late count their lateness as stall time. Commands on stdin, one per line:
//   reset   zero the counters, answers "reset"
//   stall   answers "stall <total ms> <longest ms>" for the time since the last reset
// It prints "ready <N>" once the chains are built, and exits when stdin closes.

import { startStallMeter } from './stall-meter.js';

const count = Number(process.argv[2] ?? 0);
const shared = process.argv.includes('--shared');
if (!Number.isSafeInteger(count) || count < 0) {
  process.stderr.write('usage: bench-target.js N [--shared]\n');
  process.exit(2);
}

const held = [];
const upstream = shared ? new Promise((resolve) => held.push(resolve)) : null;

async function leaf(i) {
  await (upstream ?? new Promise((resolve) => {
    held.push(resolve);
  }));
  return i;
}

async function middle(i) {
  return (await leaf(i)) + 1;
}

async function top(i) {
  return (await middle(i)) + 1;
}

for (let i = 0; i < count; i++) top(i);

startStallMeter();
setImmediate(() => process.stdout.write(`ready ${count}\n`));
