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

describe('AckNudger', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('answers a message that arrives while a command waits with one request for a method V8 does not have', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    nudger.commandStarted('Debugger.enable');
    socket.deliver('{"method":"Debugger.scriptParsed","params":{}}');
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
      socket.deliver('{"method":"Debugger.scriptParsed","params":{}}');
      vi.advanceTimersByTime(1);
    }
    expect(socket.sentFrames).toEqual([]);
    socket.deliver('{"id":7,"result":{}}');
    nudger.commandEnded('Debugger.enable');
    vi.advanceTimersByTime(100);
    expect(socket.sentFrames).toEqual([]);
  });

  it('sends nothing when no command waits, while the snapshot streams, or after it stops', () => {
    const socket = fakeSocket();
    const nudger = new AckNudger(socket);
    socket.deliver('{"method":"Debugger.paused","params":{}}');
    vi.advanceTimersByTime(100);
    nudger.commandStarted('HeapProfiler.takeHeapSnapshot');
    nudger.commandStarted('Debugger.pause');
    socket.deliver('{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"chunk":""}}');
    vi.advanceTimersByTime(100);
    nudger.commandEnded('HeapProfiler.takeHeapSnapshot');
    socket.deliver('{"id":9,"result":{}}');
    nudger.stop();
    vi.advanceTimersByTime(100);
    expect(socket.sentFrames).toEqual([]);
  });

  it("nudges after a nudge's answer, in either order V8 writes it, but only twice in a row", () => {
    for (const answerOf of [
      (id: number) => `{"id":${id},"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"}}`,
      (id: number) => `{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${id}}`,
      (id: number) => Buffer.from(`{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${id}}`),
    ]) {
      const socket = fakeSocket();
      const nudger = new AckNudger(socket);
      nudger.commandStarted('NodeWorker.sendMessageToWorker');
      socket.deliver('{"method":"NodeWorker.attachedToWorker","params":{}}');
      // The target answers every nudge at once, and the command's own answer does not come.
      let answered = 0;
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(5);
        if (socket.sentFrames.length > answered) socket.deliver(answerOf(JSON.parse(socket.sentFrames[answered++]).id));
      }
      expect(socket.sentFrames).toHaveLength(2);
      // Any other message starts the count again; our own command's id is no nudge's.
      socket.deliver('{"id":10737,"result":{}}');
      vi.advanceTimersByTime(5);
      expect(socket.sentFrames).toHaveLength(3);
      nudger.stop();
    }
  });
});
