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

  it("takes a nudge's answer, in either order V8 writes it, as no reason for another", () => {
    for (const answer of [
      `{"id":${2 ** 30},"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"}}`,
      `{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${2 ** 30}}`,
      Buffer.from(`{"error":{"code":-32601,"message":"'Asyncgraph.acknowledge' wasn't found"},"id":${2 ** 30 + 5}}`),
    ]) {
      const socket = fakeSocket();
      const nudger = new AckNudger(socket);
      nudger.commandStarted('HeapProfiler.getObjectByHeapObjectId');
      socket.deliver(answer);
      vi.advanceTimersByTime(100);
      expect(socket.sentFrames).toEqual([]);
      // Our own command with a small id is no nudge's answer.
      socket.deliver('{"id":10737,"result":{}}');
      vi.advanceTimersByTime(100);
      expect(socket.sentFrames).toHaveLength(1);
    }
  });
});
