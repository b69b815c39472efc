import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckNudger, type NudgedSocket } from '../../src/session/ack-nudge.js';

/** A websocket that records what is sent and lets the test deliver messages. */
function fakeSocket(): NudgedSocket & { sentFrames: string[]; deliver(data: unknown): void } {
  const listeners: ((data: unknown) => void)[] = [];
  const sentFrames: string[] = [];
  return {
    sentFrames,
    send: (data) => void sentFrames.push(data),
    on: (_event, listener) => listeners.push(listener),
    deliver: (data) => listeners.forEach((listener) => listener(data)),
  };
}

const SCRIPT_PARSED = '{"method":"Debugger.scriptParsed","params":{}}';

describe('AckNudger', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('answers a message that arrives while a command waits with one request for a method the target does not have', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    nudger.commandStarted('Debugger.enable');
    socket.deliver(SCRIPT_PARSED);
    expect(socket.sentFrames).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(socket.sentFrames.map((frame) => JSON.parse(frame))).toEqual([{ id: 2 ** 30, method: 'Asyncgraph.acknowledge', params: {} }]);
    // Nothing more until another message comes.
    vi.advanceTimersByTime(100);
    expect(socket.sentFrames).toHaveLength(1);
  });

  it('waits for the messages to stop, and sends nothing once the command is answered', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    nudger.commandStarted('Debugger.enable');
    for (let i = 0; i < 10; i++) {
      socket.deliver(SCRIPT_PARSED);
      vi.advanceTimersByTime(1);
    }
    expect(socket.sentFrames).toEqual([]);
    socket.deliver('{"id":7,"result":{}}');
    nudger.commandEnded('Debugger.enable');
    vi.advanceTimersByTime(100);
    expect(socket.sentFrames).toEqual([]);
  });

  it('sends nothing when no command waits, while the snapshot streams, or once stopped', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    socket.deliver('{"method":"Debugger.paused","params":{}}');
    vi.advanceTimersByTime(100);
    nudger.commandStarted('HeapProfiler.takeHeapSnapshot');
    nudger.commandStarted('Debugger.pause');
    socket.deliver('{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"chunk":""}}');
    vi.advanceTimersByTime(100);
    nudger.commandEnded('HeapProfiler.takeHeapSnapshot');
    // Armed by a message while Debugger.pause still waits, then stopped before it fires.
    socket.deliver('{"method":"Debugger.resumed","params":{}}');
    nudger.stop();
    vi.advanceTimersByTime(100);
    // Stopped: a message while a command waits arms nothing.
    socket.deliver('{"method":"Debugger.resumed","params":{}}');
    vi.advanceTimersByTime(100);
    expect(socket.sentFrames).toEqual([]);
  });

  it('nudges after a nudge’s answer too, but at most three times between two commands, whatever the answers look like', () => {
    for (const answerOf of [
      (id: number) => `{"id":${id},"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"}}`,
      (id: number) => `{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${id}}`,
      (id: number) => Buffer.from(`{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${id}}`),
      // A peer that is not Node, answering in its own way.
      (id: number) => `{ "id" : ${id}, "error" : { "message" : "${'x'.repeat(300)}" } }`,
    ]) {
      const socket = fakeSocket();
      const nudger = new AckNudger(socket);
      nudger.commandStarted('HeapProfiler.getObjectByHeapObjectId');
      socket.deliver('{"method":"Runtime.consoleAPICalled","params":{}}');
      // The target answers every nudge at once, and the command's own answer does not come.
      let answered = 0;
      for (let i = 0; i < 10; i++) {
        vi.advanceTimersByTime(5);
        if (socket.sentFrames.length > answered) socket.deliver(answerOf(JSON.parse(socket.sentFrames[answered++]).id));
      }
      expect(socket.sentFrames).toHaveLength(3);
      // Another command starts the count again.
      nudger.commandStarted('Runtime.getProperties');
      socket.deliver('{"method":"Runtime.consoleAPICalled","params":{}}');
      vi.advanceTimersByTime(5);
      expect(socket.sentFrames).toHaveLength(4);
      nudger.stop();
    }
  });

  it('counts the answers to its nudges, in the order of fields of Node 20 and of Node 22+', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    nudger.commandStarted('Debugger.enable');
    socket.deliver(SCRIPT_PARSED);
    vi.advanceTimersByTime(5);
    socket.deliver(SCRIPT_PARSED);
    vi.advanceTimersByTime(5);
    expect(nudger.sent).toBe(2);
    socket.deliver(`{"id":${2 ** 30},"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"}}`);
    socket.deliver(Buffer.from(`{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${2 ** 30 + 1}}`));
    // Not ours: a command of the session's own, and an id beyond those sent.
    socket.deliver('{"id":10737,"result":{}}');
    socket.deliver(`{"id":${2 ** 30 + 2},"result":{}}`);
    expect(nudger.answered).toBe(2);
    nudger.stop();
  });
});
