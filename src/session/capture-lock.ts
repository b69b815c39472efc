// One capture per target at a time. Two captures of one process at once misread it (one's pause
// or snapshot stalls the other's pause round, which then reports the target `blocked`), both may
// send SIGUSR1, and the first to finish closes the inspector under the second (which then warns
// that "another client" is connected and leaves it open for good). So a capture holds a lock
// named after its target while it runs, from before the inspector is found or opened until after
// it is closed again; a second capture waits for it (bounded) or stops with exit 11.
//
// The lock is an abstract unix socket (Linux: a name, no file; unix(7) "Abstract sockets") named
// by the target's pid and start time (so a reused pid is another target). The kernel releases it
// when its holder exits, however it exits, SIGKILL included: there is never a stale lock to take
// over. Its holder answers each connection with its own pid (for the waiting message) and keeps
// the connection open, so a waiter learns of the release by the connection closing.
//
// Limit: abstract socket names belong to a network namespace. Two asyncgraph processes in
// different network namespaces (one on the host, one in the target's container) do not see each
// other's locks; the target's pid differs between pid namespaces anyway.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CaptureInProgressError } from '../errors.js';
import { readProcessInfo } from '../target/proc.js';
import { formatSeconds } from '../units.js';

export interface CaptureLock {
  /** Frees the lock at once (idempotent). Exiting frees it too. */
  release(): void;
}

export interface LockOptions {
  /** How long to wait for another capture to end (0: do not wait). */
  waitMs: number;
  signal?: AbortSignal;
  /** Called while waiting, with the pid of the asyncgraph holding the lock when known. */
  onWaiting?: (holderPid: number | null) => void;
  /** The error to throw when interrupted while waiting. */
  interrupted?: () => unknown;
}

/** How long the holder may take to say its pid. */
const HOLDER_ANSWER_MS = 500;

/** While waiting, try again at least this often (the holder's connection closing is the usual signal). */
const RECHECK_MS = 500;

/** The lock's name for a target: its pid and start time (clock ticks since boot, /proc/PID/stat). */
export function captureLockName(pid: number, startTime: number): string {
  return `\0asyncgraph/capture/${pid}/${startTime}`;
}

/**
 * Takes the capture lock of process `pid` (a thread id names its process), waiting up to
 * `waitMs` for another capture to end; CaptureInProgressError (exit 11) if it does not. Null when
 * the process cannot be read (gone, or not Linux): resolving the target reports that.
 */
export async function lockCapture(pid: number, options: LockOptions): Promise<CaptureLock | null> {
  let info;
  try {
    info = readProcessInfo(pid);
    if (info.tgid !== pid && info.tgid > 0) info = readProcessInfo(info.tgid);
  } catch {
    return null;
  }
  const name = captureLockName(info.pid, info.startTime);
  const deadline = Date.now() + Math.max(0, options.waitMs);
  let holderPid: number | null = null;
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw options.interrupted?.() ?? options.signal.reason;
    const server = await tryListen(name);
    if (server) return holding(server);
    const left = deadline - Date.now();
    if (left <= 0) {
      // Who holds it, for the message (it answers at once; gone meanwhile: no pid).
      if (holderPid === null) await watchHolder(name, HOLDER_ANSWER_MS, options.signal, (pid) => (holderPid = pid), true);
      const who = holderPid !== null ? `another asyncgraph (pid ${holderPid})` : 'another asyncgraph';
      const waited = options.waitMs > 0 ? `; waited ${formatSeconds(options.waitMs)} for it` : '';
      throw new CaptureInProgressError(
        `${who} is capturing process ${info.pid}${waited}`,
        'try again when it is done, or wait for it with --wait-for-other <duration> (e.g. 5m)',
      );
    }
    await watchHolder(name, Math.min(left, RECHECK_MS), options.signal, (pid) => {
      if (pid !== holderPid || !told) options.onWaiting?.(pid);
      holderPid = pid;
      told = true;
    });
    if (!told) options.onWaiting?.(holderPid);
    told = true;
  }
}

/** Listens on the name; null if another process holds it. */
function tryListen(name: string): Promise<Server | null> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.unref();
    socket.write(`${process.pid}\n`);
  });
  (server as Server & { lockSockets?: Set<Socket> }).lockSockets = sockets;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(null);
      else reject(error);
    });
    server.listen(name, () => {
      // Never what keeps asyncgraph running.
      server.unref();
      resolve(server);
    });
  });
}

function holding(server: Server): CaptureLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      server.close();
      for (const socket of (server as Server & { lockSockets?: Set<Socket> }).lockSockets ?? []) socket.destroy();
    },
  };
}

/**
 * Connects to the holder (telling `onPid` its pid) and resolves once that connection closes (the
 * lock was released) or after `ms`, whichever comes first (`untilPid`: or once the pid is known).
 */
function watchHolder(name: string, ms: number, signal: AbortSignal | undefined, onPid: (pid: number) => void, untilPid = false): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, ms));
    signal?.addEventListener('abort', done, { once: true });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const match = /^(\d+)\n/.exec(text);
      if (match) {
        onPid(Number(match[1]));
        text = '';
        if (untilPid) done();
      }
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
