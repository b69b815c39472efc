// What can wake each await (src/wakeups/wakers.ts), for the unit tests on recorded snapshots:
// never-settling awaits, look-alikes that can settle, and the resources a snapshot can show
// without outside help (no sockets, child processes or files: see test/integration/wakeup.test.ts).
import { once, EventEmitter } from 'node:events';
import * as timersPromises from 'node:timers/promises';

const HOUR = 3_600_000;
const held = [];
const keep = (value) => (held.push(value), value);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function awaitsForever() {
  await keep(new Promise(() => {}));
}

let readiness;
let markReady;
async function awaitsDropped() {
  readiness = new Promise((resolve) => (markReady = resolve));
  await readiness;
}

let cycleADone;
async function cycleA() {
  await cycleB();
}
async function cycleB() {
  await null;
  await cycleADone;
}

async function settledNever() {
  await Promise.allSettled([keep(new Promise(() => {})), sleep(HOUR)]);
}

let raceADone;
async function raceA() {
  await Promise.race([raceB(), sleep(HOUR)]);
}
async function raceB() {
  await null;
  await raceADone;
}

const pendingJobs = new Map();
async function awaitsJob() {
  await new Promise((resolve, reject) => pendingJobs.set('job-1', { resolve, reject }));
}

class Pool {
  constructor() {
    this.waiters = [];
  }
  async acquire() {
    await new Promise((resolve) => this.waiters.push(resolve));
  }
}
const pool = new Pool();
// Captured by a function, `pool` lives in the module's context (an uncaptured top-level variable
// would die with the module body, and the waiting chain with it).
export function releaseOne() {
  pool.waiters.shift()?.();
}

async function sleepCallback() {
  await new Promise((resolve) => setTimeout(() => resolve(), HOUR));
}

async function sleepPromise() {
  await timersPromises.setTimeout(HOUR);
}

const bus = new EventEmitter();
async function waitMessage() {
  await once(bus, 'message');
}

const controller = new AbortController();
async function waitAbort() {
  await once(controller.signal, 'abort');
}

async function awaitsUnrefTimer() {
  await new Promise((resolve) => setTimeout(resolve, HOUR).unref());
}

awaitsForever();
awaitsDropped();
markReady = undefined;
cycleADone = keep(cycleA());
settledNever();
raceADone = keep(raceA());
awaitsJob();
pool.acquire();
sleepCallback();
sleepPromise();
waitMessage();
waitAbort();
awaitsUnrefTimer();
setTimeout(() => console.log('ready'), 50);
