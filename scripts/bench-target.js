// Target process for `npm run bench`: N chains of three async functions, each chain suspended
// on a promise that is kept reachable (its resolve function is held in an array), so the whole
// chain stays in the heap snapshot:
//
//   top(i) awaits middle(i) awaits leaf(i) awaits Promise <pending>
//
// Usage: node --inspect=127.0.0.1:0 scripts/bench-target.js N
//
// It measures its own event-loop stalls with a 10 ms heartbeat interval: whenever a tick comes
// more than STALL_SLACK_MS late, the lateness counts as stall time. Commands on stdin, one per line:
//   reset   zero the counters, answers "reset"
//   stall   answers "stall <total ms> <longest ms>" for the time since the last reset
// It prints "ready <N>" once the chains are built, and exits when stdin closes.

import harness from '../fixtures/lib/harness.cjs';

const { onStdinLines } = harness;
const count = Number(process.argv[2] ?? 0);
if (!Number.isSafeInteger(count) || count < 0) {
  process.stderr.write('usage: bench-target.js N\n');
  process.exit(2);
}

const held = [];

async function leaf(i) {
  await new Promise((resolve) => {
    held.push(resolve);
  });
  return i;
}

async function middle(i) {
  return (await leaf(i)) + 1;
}

async function top(i) {
  return (await middle(i)) + 1;
}

for (let i = 0; i < count; i++) top(i);

const INTERVAL_MS = 10;
const STALL_SLACK_MS = 5;
let last = performance.now();
let stallMs = 0;
let longestMs = 0;
setInterval(() => {
  const now = performance.now();
  const late = now - last - INTERVAL_MS;
  last = now;
  if (late > STALL_SLACK_MS) {
    stallMs += late;
    if (late > longestMs) longestMs = late;
  }
}, INTERVAL_MS);

onStdinLines((line) => {
  if (line === 'reset') {
    stallMs = 0;
    longestMs = 0;
    last = performance.now();
    process.stdout.write('reset\n');
  } else if (line === 'stall') {
    // Count a stall still in progress (the tick that would end it has not run yet).
    const late = performance.now() - last - INTERVAL_MS;
    const pending = late > STALL_SLACK_MS ? late : 0;
    process.stdout.write(`stall ${(stallMs + pending).toFixed(1)} ${Math.max(longestMs, pending).toFixed(1)}\n`);
  }
});
setImmediate(() => process.stdout.write(`ready ${count}\n`));
