// Node's inspector leaves Nagle's algorithm on for its websocket (src/inspector_socket_server.cc
// never calls uv_tcp_nodelay). When the target answers a command with an event first and the
// response second, both small (Debugger.enable: a scriptParsed per script, then its result; a
// paused or resumed event before the answer of a pause round's command), the response waits in
// the target's kernel until this side acknowledges the event, and Linux delays that ACK by up to
// 40 ms (TCP_DELACK_MIN) while this side has nothing to send. Measured on loopback (strace of
// the target): both writes leave its inspector thread within 0.1 ms, the next request arrives
// 43 ms later; `Runtime.evaluate` with the debugger enabled took 44 ms a call, 0.4 ms without.
//
// Node gives a client no TCP_QUICKACK, and the inspector closes the connection on a websocket
// ping. So when a message arrives while a command is outstanding and nothing follows it for a
// moment, this side sends a request for a method that does not exist: its segment carries the
// ACK, the held response leaves at once, and the target answers "method not found" without
// doing anything else. Its id is outside chrome-remote-interface's range, which ignores answers
// it did not ask for.

/** What the nudger needs of the websocket (chrome-remote-interface's `ws` WebSocket). */
export interface NudgedSocket {
  send(data: string): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

/** Quiet after a message before the nudge: an answer that is not held arrives well within it. */
const NUDGE_QUIET_MS = 2;
/** chrome-remote-interface numbers its commands from 1; a capture sends a few thousand at most. */
const NUDGE_FIRST_ID = 2 ** 30;
const NUDGE_METHOD = 'Asyncgraph.acknowledge';

/**
 * Nudges between two commands' starts or ends. A nudge's answer may hold back the next answer in
 * its turn (measured: a pause round's three answers waited 41 ms behind one), so it is nudged
 * too: then each command of a run of them costs about 3 ms instead of 0.5, and `attach` was
 * still 0.96× as long as without (an idle target and the service, farm-bench). The bound keeps a
 * command answered from elsewhere, or a peer that is not Node, from being nudged every few
 * milliseconds until it is.
 */
const MAX_NUDGES_BETWEEN_COMMANDS = 3;

/** Commands whose answer comes after a stream of large events (the snapshot's chunks). */
const STREAMING_COMMANDS = new Set(['HeapProfiler.takeHeapSnapshot']);

/** An answer short enough to be a nudge's (`{"error":{"code":-32601,…},"id":…}`, a hundred characters). */
const NUDGE_ANSWER_MAX_LENGTH = 256;

export class AckNudger {
  private outstanding = 0;
  private streaming = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextId = NUDGE_FIRST_ID;
  private nudgesSinceCommand = 0;
  private stopped = false;
  /** Nudges sent, and answers to them seen (for the tests). */
  sent = 0;
  answered = 0;

  constructor(private readonly socket: NudgedSocket) {
    socket.on('message', (data) => this.received(data));
  }

  /** Around every command sent: `commandStarted` before, `commandEnded` once its answer came or the connection is gone. */
  commandStarted(method: string): void {
    this.outstanding++;
    if (STREAMING_COMMANDS.has(method)) this.streaming++;
    this.nudgesSinceCommand = 0;
  }

  commandEnded(method: string): void {
    this.outstanding--;
    if (STREAMING_COMMANDS.has(method)) this.streaming--;
    this.nudgesSinceCommand = 0;
    if (this.outstanding === 0) this.disarm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private received(data: unknown): void {
    this.disarm();
    if (this.answersNudge(data)) this.answered++;
    // Not while the snapshot streams: its chunks are acknowledged as they come, and a nudge per
    // pause between two would queue behind the snapshot in the target.
    if (this.stopped || this.outstanding === 0 || this.streaming > 0) return;
    if (this.nudgesSinceCommand >= MAX_NUDGES_BETWEEN_COMMANDS) return;
    this.timer = setTimeout(() => this.nudge(), NUDGE_QUIET_MS);
    this.timer.unref();
  }

  private nudge(): void {
    this.timer = undefined;
    if (this.stopped || this.outstanding === 0) return;
    this.nudgesSinceCommand++;
    this.sent++;
    try {
      this.socket.send(JSON.stringify({ id: this.nextId++, method: NUDGE_METHOD, params: {} }));
    } catch {
      // A socket closing (ws 7 drops the frame; another client may throw): the session reports the close.
    }
  }

  /** Whether a message answers one of our nudges: its id (first in Node 22+, last in Node 20) is one of theirs. */
  private answersNudge(data: unknown): boolean {
    const text = typeof data === 'string' ? data : Buffer.isBuffer(data) && data.length <= NUDGE_ANSWER_MAX_LENGTH ? data.toString('latin1') : '';
    if (text.length > NUDGE_ANSWER_MAX_LENGTH) return false;
    const id = /"id":(\d+)/.exec(text)?.[1];
    return id !== undefined && Number(id) >= NUDGE_FIRST_ID && Number(id) < this.nextId;
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
