// Is the target's main thread running JavaScript, and if so, what is its synchronous call stack?
//
// The only way to see a stack from outside without running code in the target is to pause it:
// `Debugger.pause`. What V8 does with that request depends on the thread
// (V8DebuggerAgentImpl::pause):
//  - JavaScript on the stack (the request arrives through an interrupt): it breaks at the next
//    interrupt check, within a millisecond or so for a loop, a regex backtrack or a recursion;
//  - an idle event loop: nothing to break, so V8 remembers "pause on the next function call" and
//    stops the *next* JavaScript to run — a timer or socket callback seconds or hours later, with
//    nobody left to resume it. `Debugger.resume` does not cancel that ("Can only perform operation
//    while paused"); `Debugger.disable` and closing the session do (Node 20, 22, 24), and so does
//    `Debugger.setBreakpointsActive {active: false}`, which clears this session's pending pause
//    (V8Debugger::setPauseOnNextCall(false)) even when another debugger keeps the Debugger domain
//    enabled. `{active: true}` right after restores the breakpoints.
//
// So every round sends pause + breakpoints off + breakpoints on back to back, in one network
// write where the session can (`CdpSession.batch`): Node's inspector then nearly always
// dispatches the three in one go, so an idle target never holds a pending pause, not even for
// one round trip, and a timer firing meanwhile does not stop in its callback. (Measured against
// a 1 ms interval timer: sent as three writes, 50-70% of rounds stopped in the timer's callback;
// in one write, 0-1.5%.) A running target breaks right after the three (toggling breakpoints
// does not undo an interrupt's break). Every `Debugger.paused` event is answered with
// `Debugger.resume` at once, whoever caused it (a `debugger;` statement too) — except a pause
// that was there before we attached (another debugger's breakpoint). The stack comes with the
// event: nothing is read while paused.
//
// The leftover: when the three commands are dispatched in two batches and a callback starts
// between them, the pause lands at the entry of that callback — one frame, in Node's own code
// (processTimers, processImmediate, onStreamRead…). Such a pause is counted as idle: the thread
// was not running JavaScript when asked. It is resumed like any other.

import type { CdpSession } from '../session/cdp-session.js';
import { abortError } from '../session/guarded-session.js';
import { isInternalUrl, type RawFrame, type RawSample } from '../document/document.js';
import type { ExecutionState } from '../schema.js';
import type { ThreadActivity } from '../target/proc.js';
import type { PauseGuard } from './pause-guard.js';

export type { ExecutionState, RawFrame, RawSample };

export interface SamplingOptions {
  /** How long one round waits for the pause (default 300 ms). */
  pauseTimeoutMs: number;
  /** Number of pause rounds (default 1). */
  samples: number;
  /** Time from the start of one round to the start of the next (default 100 ms). */
  intervalMs: number;
  signal?: AbortSignal;
  /**
   * The target thread's CPU time and scheduler state, where they can be read (a local process's
   * main thread). A round ends early when the thread sleeps without using the CPU after answering
   * (an idle event loop), and is asked again when it saw no pause while the thread kept using the
   * CPU.
   */
  thread?: () => ThreadActivity | undefined;
}

/**
 * A pause that only caught the start of a new event-loop callback (see the top of this file):
 * one frame, in Node's own code.
 */
export function isCallbackEntry(frames: RawFrame[]): boolean {
  return frames.length === 1 && isInternalUrl(frames[0].url);
}

/**
 * One round: ask for a pause and cancel what is left of the request in the same breath, then wait
 * up to `pauseTimeoutMs` for the pause. Leaves the target running in every outcome (the guard
 * resumes every pause, including one that arrives after the bound).
 */
export async function pauseOnce(
  session: CdpSession,
  guard: PauseGuard,
  options: { pauseTimeoutMs: number; signal?: AbortSignal; until?: Promise<unknown>; looksIdle?: () => boolean },
): Promise<{ state: ExecutionState; frames?: RawFrame[] }> {
  const pausedFrames = guard.nextPause();
  let answered = false;
  let requests: Promise<unknown>[] = [];
  const issue = () => {
    requests = [
      session.send('Debugger.pause', undefined, options.pauseTimeoutMs + 5000).then(() => {
        answered = true;
      }),
      session.send('Debugger.setBreakpointsActive', { active: false }, options.pauseTimeoutMs + 5000),
      session.send('Debugger.setBreakpointsActive', { active: true }, options.pauseTimeoutMs + 5000),
    ];
  };
  if (session.batch) session.batch(issue);
  else issue();
  // Failures (the target went away) surface through the race below or the next command.
  const failed = Promise.all(requests).then(
    () => new Promise<never>(() => {}),
    (error: unknown) => Promise.reject(error),
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.pauseTimeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (!options.signal) return;
    onAbort = () => reject(abortError(options.signal!));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
  // `looksIdle`: once the requests are answered, a thread seen idle on a few polls in a row will
  // not break; the rest of the bound need not be waited for.
  let poll: NodeJS.Timeout | undefined;
  const idle = new Promise<'timeout'>((resolve) => {
    const looksIdle = options.looksIdle;
    if (!looksIdle) return;
    let streak = 0;
    poll = setInterval(() => {
      if (!answered) return;
      streak = looksIdle() ? streak + 1 : 0;
      if (streak >= IDLE_POLLS) resolve('timeout');
    }, IDLE_POLL_MS);
  });
  try {
    // `until`: stop waiting early (the guard still resumes a pause that comes later).
    const enough = options.until?.then(
      () => 'timeout' as const,
      () => 'timeout' as const,
    );
    const outcome = await Promise.race([pausedFrames, timedOut, failed, aborted, idle, ...(enough ? [enough] : [])]);
    if (outcome === 'timeout') {
      guard.cancelWait();
      return { state: answered ? 'idle' : 'blocked' };
    }
    if (isCallbackEntry(outcome)) return { state: 'idle' };
    return { state: 'running', frames: outcome };
  } catch (error) {
    guard.cancelWait();
    throw error;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    // The guard resumes on its own; make sure that happened before anything else is sent, and
    // try once more if that resume failed (the cleanup tries again, then Debugger.disable and
    // closing the session resume too).
    await guard.resume();
    if (guard.paused) await guard.resume();
  }
}

/**
 * `samples` rounds, one every `intervalMs` (start to start; an idle round takes the whole
 * `pauseTimeoutMs`, so rounds may follow each other directly).
 */
export async function sampleExecution(session: CdpSession, guard: PauseGuard, options: SamplingOptions): Promise<RawSample[]> {
  const samples: RawSample[] = [];
  // Stopped at another debugger's breakpoint: that is the answer, and a pause request would be
  // a no-op (V8 ignores it while paused).
  const foreign = guard.foreignPause;
  if (foreign) return [{ atMs: 0, state: 'paused', frames: foreign }];
  const start = performance.now();
  for (let i = 0; i < options.samples; i++) {
    if (i > 0) {
      const due = start + i * options.intervalMs - performance.now();
      if (due > 0) await sleep(due, options.signal);
    }
    const atMs = Math.round(performance.now() - start);
    const round = await pauseRound(session, guard, options);
    samples.push({ atMs, ...round });
  }
  return samples;
}

/** Attempts of one round whose thread ran on the CPU while no pause came. */
const BUSY_ROUND_ATTEMPTS = 3;

/**
 * One round, asked again when it came back idle although the thread kept using the CPU through
 * the wait. On a loaded machine Node's inspector thread may hand the three commands of a round to
 * the main thread in two interrupts; the break requested by the first then runs while
 * breakpoints are off and V8 drops it. The CPU clock tells that apart from a real idle loop.
 */
async function pauseRound(session: CdpSession, guard: PauseGuard, options: SamplingOptions): Promise<{ state: ExecutionState; frames?: RawFrame[] }> {
  const thread = options.thread;
  for (let attempt = 1; ; attempt++) {
    const before = thread?.();
    const started = performance.now();
    const looksIdle = before && thread ? () => sleptIdle(before, thread()) : undefined;
    const round = await pauseOnce(session, guard, { ...options, ...(looksIdle ? { looksIdle } : {}) });
    if (round.state !== 'idle' || attempt >= BUSY_ROUND_ATTEMPTS || before === undefined) return round;
    const after = thread?.();
    if (after === undefined || !keptBusy(after.cpuMs - before.cpuMs, performance.now() - started)) return round;
  }
}

/** Polls of an idle-looking thread, IDLE_POLL_MS apart, that end a round early. */
const IDLE_POLLS = 3;
const IDLE_POLL_MS = 25;

/**
 * Asleep (an event loop waits in epoll_wait: state S) and at most one clock tick of CPU since the
 * round began (answering the three commands takes microseconds). JavaScript that runs, even when
 * the machine is too loaded to give it the CPU, is runnable (R), never asleep.
 */
export function sleptIdle(before: ThreadActivity, now: ThreadActivity | undefined): boolean {
  return now !== undefined && now.state === 'S' && now.cpuMs - before.cpuMs <= 10;
}

/**
 * A thread that used at least a tenth of the wait on the CPU (and more than clock noise): a loop
 * on a machine with several times more runnable threads than cores still gets that much, while an
 * idle event loop uses next to nothing. A wrong "busy" costs one more bounded round.
 */
export function keptBusy(cpuMs: number, wallMs: number): boolean {
  return cpuMs >= 30 && cpuMs >= wallMs / 10;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(abortError(signal!));
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
