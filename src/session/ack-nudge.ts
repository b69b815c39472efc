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
// ACK, the held response leaves at once, and V8 answers the request with "method not found"
// without doing anything else. Its id is outside chrome-remote-interface's range, which ignores
// answers it did not ask for.

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
 * A nudge's answer: `{"id":1073741824,"error":{…}}` (Node 22+), `{"error":{…},"id":1073741824}`
 * (Node 20), a hundred characters either way.
 */
const NUDGE_ANSWER = /"id":10737\d{5}[,}]/;
const NUDGE_ANSWER_MAX_LENGTH = 256;

/** Nudges answered one after the other with nothing else coming, before the nudger waits for more. */
const MAX_NUDGES_IN_A_ROW = 2;

/** Commands whose answer comes after a stream of large events (the snapshot's chunks). */
const STREAMING_COMMANDS = new Set(['HeapProfiler.takeHeapSnapshot']);

export class AckNudger {
  private outstanding = 0;
  private streaming = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextId = NUDGE_FIRST_ID;
  /** Nudges since the last message that did not answer one. */
  private nudgesInARow = 0;
  private stopped = false;
  /** Nudges sent, for the tests. */
  sent = 0;

  constructor(private readonly socket: NudgedSocket) {
    socket.on('message', (data) => this.received(data));
  }

  /** Around every command sent: `commandStarted` before, `commandEnded` once it is answered or given up. */
  commandStarted(method: string): void {
    this.outstanding++;
    if (STREAMING_COMMANDS.has(method)) this.streaming++;
  }

  commandEnded(method: string): void {
    this.outstanding--;
    if (STREAMING_COMMANDS.has(method)) this.streaming--;
    if (this.outstanding === 0) this.disarm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private received(data: unknown): void {
    this.disarm();
    const nudgeAnswer = isNudgeAnswer(data);
    if (!nudgeAnswer) this.nudgesInARow = 0;
    // Not while the snapshot streams: its chunks are acknowledged as they come, and a nudge per
    // pause between two would queue behind the snapshot in the target.
    if (this.stopped || this.outstanding === 0 || this.streaming > 0) return;
    // A nudge's answer may hold back the next answer in its turn (measured: a pause round's three
    // answers waited 41 ms behind one), so it is nudged too, but only so often in a row: a command
    // answered from elsewhere would otherwise be nudged every few milliseconds until it is.
    if (nudgeAnswer && this.nudgesInARow >= MAX_NUDGES_IN_A_ROW) return;
    this.timer = setTimeout(() => this.nudge(), NUDGE_QUIET_MS);
    this.timer.unref();
  }

  private nudge(): void {
    this.timer = undefined;
    if (this.stopped || this.outstanding === 0) return;
    try {
      this.socket.send(JSON.stringify({ id: this.nextId++, method: NUDGE_METHOD, params: {} }));
      this.sent++;
      this.nudgesInARow++;
    } catch {
      // A socket closing: the session reports that on its own.
    }
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** ws 7 gives text frames as strings; a Buffer is read as bytes. */
function isNudgeAnswer(data: unknown): boolean {
  if (typeof data === 'string') return data.length <= NUDGE_ANSWER_MAX_LENGTH && NUDGE_ANSWER.test(data);
  return Buffer.isBuffer(data) && data.length <= NUDGE_ANSWER_MAX_LENGTH && NUDGE_ANSWER.test(data.toString('latin1'));
}
