// What /proc tells about a target beyond its heap, for the wake-up report: how long its event
// loop has run (timers' time left) and its TCP sockets (addresses the heap does not keep).
// Linux only; every read is best effort: a missing fact leaves the report without it.

import { readFileSync } from 'node:fs';
import type { TcpRow } from '../document/wakeup-document.js';
import { ownTcpSockets, readProcessInfo } from './proc.js';

/** Linux's USER_HZ: /proc/PID/stat counts start time in these ticks on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** /proc/net/tcp state codes (include/net/tcp_states.h). */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

export interface ProcessFacts {
  /** Milliseconds since the process started, at `readAt`. */
  ageMs?: number;
  /** Date.now() when read. */
  readAt: number;
  tcpRows?: TcpRow[];
  /** Reads that failed, each with what it costs the report (becomes a note of the document). */
  problems?: string[];
}

export function readProcessFacts(pid: number): ProcessFacts {
  const readAt = Date.now();
  const facts: ProcessFacts = { readAt };
  try {
    const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const started = readProcessInfo(pid).startTime / CLOCK_TICKS_PER_SECOND;
    if (Number.isFinite(uptimeSeconds) && started > 0) facts.ageMs = Math.round((uptimeSeconds - started) * 1000);
  } catch (error) {
    // Gone or not readable: no time left for timers.
    (facts.problems ??= []).push(`/proc/${pid}/stat could not be read (${(error as Error).message}), so timers show no time left`);
  }
  try {
    facts.tcpRows = ownTcpSockets(pid).map(
      (row): TcpRow => ({
        localAddress: row.localAddress,
        localPort: row.localPort,
        remoteAddress: row.remoteAddress,
        remotePort: row.remotePort,
        state: TCP_STATES[row.state] ?? row.state,
      }),
    );
  } catch (error) {
    // No permission for the fds: no socket list.
    (facts.problems ??= []).push(`the sockets of process ${pid} could not be read from /proc (${(error as Error).message}), so sockets show no addresses`);
  }
  return facts;
}

/**
 * The target's event-loop clock when the snapshot was requested: Node's timers count from the
 * loop's start (Environment::GetNowUint64 subtracts timer_base), which is within about 0.1 s of
 * the process start on the main thread. So a timer's time left comes out up to ~0.1 s short.
 */
export function loopNowAt(facts: ProcessFacts, capturedAt: Date): number | undefined {
  if (facts.ageMs === undefined) return undefined;
  return facts.ageMs - (facts.readAt - capturedAt.getTime());
}
