// The event-loop stall meter of the benchmark targets (bench-target.js, memory-shape-target.js):
// a 10 ms heartbeat interval whose lateness, whenever a tick comes more than 5 ms late, counts as
// stall time. Commands on stdin, one per line:
//   reset   zero the counters, answers "reset"
//   stall   answers "stall <total ms> <longest ms>" for the time since the last reset
// The process exits when stdin closes (fixtures/lib/harness.cjs).

import harness from '../fixtures/lib/harness.cjs';

const INTERVAL_MS = 10;
const STALL_SLACK_MS = 5;

export function startStallMeter() {
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

  harness.onStdinLines((line) => {
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
}
