// Target process for scripts/calibrate-snapshot-memory.js: a heap of one shape, built once,
// then a 10 ms heartbeat whose lateness is counted as stall time (the heap snapshot stops the
// main thread while V8 builds and writes it).
//
// Usage: node --inspect=127.0.0.1:0 --expose-gc scripts/memory-shape-target.js SHAPE N
//
// Shapes (N scales each):
//   empty    nothing but the heartbeat (N ignored)
//   chains   N request chains serve → loadUser → fetchRow, all awaiting one pending upstream
//            promise (the shape of /work/shared/notes/target-memory.md)
//   objects  N small objects { id, name: 'user' + id, tags: [id] } in one array
//   strings  N one-byte strings of 4 MB each
//   arrays   N arrays of 1M doubles (8 MB each)
//   records  N objects { id, at: a timestamp, score: a fraction } (two HeapNumbers each)
//   map      one Map of N string keys → timestamps
//   numbers  one array of N heap numbers (doubles held one by one: 16 bytes each and a pointer)
//   smis     N arrays of 1M small integers (4-8 MB each)
//   buffers  N Buffers of 16 MB each (memory outside the V8 heap)
//
// Prints "ready" once the heap is built and collected; answers "reset" and "stall" on stdin
// (scripts/stall-meter.js). Exits when stdin closes.

import harness from '../fixtures/lib/harness.cjs';
import { startStallMeter } from './stall-meter.js';

const { keep } = harness;
const [shape, countText = '0'] = process.argv.slice(2);
const count = Number(countText);

const builders = {
  empty() {},
  chains() {
    let releaseUpstream;
    const upstream = new Promise((resolve) => {
      releaseUpstream = resolve;
    });
    keep(releaseUpstream);
    async function fetchRow(id) {
      await upstream;
      return { id };
    }
    async function loadUser(id) {
      const row = await fetchRow(id);
      return row;
    }
    async function serve(id) {
      const user = await loadUser(id);
      return user;
    }
    const requests = [];
    for (let i = 0; i < count; i++) requests.push(serve(i));
    keep(requests);
  },
  objects() {
    const users = [];
    for (let id = 0; id < count; id++) users.push({ id, name: 'user' + id, tags: [id] });
    keep(users);
  },
  strings() {
    // In the V8 heap and flat: a concatenation is a cons string (a rope) until something reads
    // a character (String::Flatten); Buffer#toString would make an external string instead.
    for (let i = 0; i < count; i++) {
      const text = 'ab'.repeat(2 << 20) + i;
      text.charCodeAt(1);
      keep(text);
    }
  },
  arrays() {
    for (let i = 0; i < count; i++) keep(Array.from({ length: 1 << 20 }, (_, k) => k + 0.5));
  },
  records() {
    // Timestamps and fractions are not small integers: each field holds its own HeapNumber.
    const rows = [];
    for (let i = 0; i < count; i++) rows.push({ id: i, at: 1.7e12 + i, score: i + 0.5 });
    keep(rows);
  },
  map() {
    // A cache: key → last-seen timestamp (a HeapNumber per value).
    const seen = new Map();
    for (let i = 0; i < count; i++) seen.set('key' + i, 1.7e12 + i);
    keep(seen);
  },
  numbers() {
    // A generic array (the string first) holds each double as its own HeapNumber: one object per element.
    const values = ['numbers'];
    for (let i = 0; i < count; i++) values.push(i + 0.5);
    keep(values);
  },
  smis() {
    for (let i = 0; i < count; i++) keep(Array.from({ length: 1 << 20 }, (_, k) => k & 0xffff));
  },
  buffers() {
    for (let i = 0; i < count; i++) keep(Buffer.alloc(16 << 20, i));
  },
};

const build = builders[shape];
if (!build || !Number.isSafeInteger(count) || count < 0) {
  process.stderr.write(`usage: memory-shape-target.js ${Object.keys(builders).join('|')} N\n`);
  process.exit(2);
}
build();
// The garbage of building is gone before the calibration reads the heap's size.
globalThis.gc?.();

startStallMeter();
setImmediate(() => process.stdout.write('ready\n'));
