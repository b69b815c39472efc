// Closing an inspector that asyncgraph opened with SIGUSR1, so that no debug port stays open
// behind us: while it listens, any local user who can reach 127.0.0.1:PORT can run code in the
// target (the protocol has no authentication).
//
// Node has no way to close its inspector from outside. From an inspector session the only way is
// to have the target call its own `process._debugEnd()` (the native function that
// `require('node:inspector').close()` also is, on Node 20, 22 and 24): it stops the inspector
// agent, drops every session — ours included, so the command never gets an answer — and closes
// the listening socket. So this is the one `Runtime.evaluate` asyncgraph ever sends, with exactly
// CLOSE_INSPECTOR_EXPRESSION, as the very last command of a capture (after every cleanup
// command), and only:
//   - when asyncgraph itself opened the inspector (resolveTarget says `activated`),
//   - unless --keep-inspector,
//   - and when no other client is connected to it (closing would cut that client off; we warn
//     instead).
// Then we check (bounded) that the port really stopped listening. A later SIGUSR1 opens the
// inspector again as usual.

import { setTimeout as sleep } from 'node:timers/promises';
import { TargetExitedError, TimeoutError } from '../errors.js';
import type { CdpSession } from './cdp-session.js';
import { listeningPorts, ownTcpSockets, processExists } from '../target/proc.js';

/** The expression evaluated in the target to close its inspector. */
export const CLOSE_INSPECTOR_EXPRESSION = 'process._debugEnd()';

/** How long to wait for the port to stop listening after the close call. */
const VERIFY_MS = 2000;
const POLL_MS = 20;

export interface InspectorWeOpened {
  pid: number;
  host: string;
  port: number;
}

/**
 * `queued`: the call was sent but the target is busy (still writing a heap snapshot after a
 * SIGINT): it runs when the target gets to it — messages of a session are dispatched in order,
 * before the session's end — and we cannot wait to see it.
 */
export type CloseResult = { closed: true } | { closed: false; queued?: boolean; reason: string };

const TCP_ESTABLISHED = '01';

/**
 * Connections the target has accepted on its inspector port (ESTABLISHED, from its own fds);
 * null if that cannot be read. Our own session is one of them.
 */
export function inspectorConnections(pid: number, port: number): number | null {
  try {
    return ownTcpSockets(pid).filter((row) => row.state === TCP_ESTABLISHED && row.localPort === port).length;
  } catch {
    return null;
  }
}

function stillListening(pid: number, port: number): boolean {
  try {
    return processExists(pid) && listeningPorts(pid).some((socket) => socket.port === port);
  } catch {
    return false; // gone meanwhile
  }
}

/**
 * Close the inspector asyncgraph opened, through `session` (a raw session: this is the single
 * call the guarded session refuses). Call it last; the session is gone afterwards. Never throws.
 */
export async function closeInspectorWeOpened(session: CdpSession, inspector: InspectorWeOpened, timeoutMs: number): Promise<CloseResult> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  const { pid, port } = inspector;
  if (!stillListening(pid, port)) return { closed: true };

  const connections = inspectorConnections(pid, port);
  if (connections !== null && connections > 1) {
    return { closed: false, reason: `another debugger client connected to it meanwhile (${connections - 1}), and closing would cut it off` };
  }

  const callMs = Math.max(1, deadline - Date.now());
  try {
    const answer = await session.send(
      'Runtime.evaluate',
      { expression: CLOSE_INSPECTOR_EXPRESSION, silent: true, returnByValue: true, awaitPromise: false },
      callMs,
    );
    // Normally there is no answer: the session ends inside the call. An answer means it failed.
    if (answer.exceptionDetails) {
      const text = answer.exceptionDetails.exception?.description?.split('\n')[0] ?? answer.exceptionDetails.text;
      return { closed: false, reason: `${CLOSE_INSPECTOR_EXPRESSION} failed in the target: ${text}` };
    }
  } catch (error) {
    // The disconnect is the expected outcome.
    if (error instanceof TimeoutError) {
      return { closed: false, queued: true, reason: `the target is busy; ${CLOSE_INSPECTOR_EXPRESSION} is queued and runs when it gets to it` };
    }
    if (!(error instanceof TargetExitedError)) {
      return { closed: false, reason: `${CLOSE_INSPECTOR_EXPRESSION} got no answer: ${(error as Error).message}` };
    }
  }

  const verifyUntil = Math.max(deadline, Date.now() + Math.min(VERIFY_MS, timeoutMs));
  while (stillListening(pid, port)) {
    if (Date.now() >= verifyUntil) return { closed: false, reason: `port ${port} is still listening after ${CLOSE_INSPECTOR_EXPRESSION}` };
    await sleep(POLL_MS);
  }
  return { closed: true };
}
