// The inspector session itself, against each Node major: answers that the target's Nagle would
// hold for 40 ms are released by a nudge (src/session/ack-nudge.ts), which every version answers
// "method not found" without closing the connection or disturbing the target.

import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { connectCdp, nudgesOf, type CdpSession } from '../../src/session/cdp-session.js';
import { expectAlive, spawnFixture } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');
const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

const sessions = new Set<CdpSession>();
afterEach(async () => {
  await Promise.all([...sessions].map((session) => session.close()));
  sessions.clear();
});

describe.each(nodeTargets)('node $major', ({ path }) => {
  it('an answer behind an event is nudged out; the nudge is answered as an unknown method and changes nothing', async () => {
    const target = await spawnFixture(path, 'nested.js', { nodeArgs: ['--inspect=0'], perTest: true });
    const url = (await target.waitForLine(LISTENING, { stream: 'stderr' })).match(LISTENING)![1];
    const session = await connectCdp(url, { timeoutMs: 20_000, commandTimeoutMs: 20_000 });
    sessions.add(session);
    // Debugger.enable answers after a scriptParsed event per script, and the target's kernel holds
    // that answer until this side acknowledges the events: nudged (three times over, so that a
    // moment when this process did not run cannot leave it without one).
    for (let i = 0; i < 3; i++) {
      await session.send('Debugger.enable');
      await session.send('Debugger.disable');
    }
    await session.send('Debugger.enable');
    // The session goes on working after the nudges, whose answers (in this major's format) it
    // recognised: the bound on nudges in a row counts on that.
    for (let i = 0; i < 3; i++) expect((await session.send('Runtime.getHeapUsage')).usedSize).toBeGreaterThan(0);
    // A nudge sent during the last command is answered after it (with no command waiting, no
    // nudge follows): wait for that answer, bounded only to turn a hang into a failure.
    expect(nudgesOf(session)!.sent).toBeGreaterThan(0);
    await vi.waitFor(() => expect(nudgesOf(session)!.answered).toBe(nudgesOf(session)!.sent), { timeout: 20_000, interval: 5 });
    await session.send('Debugger.disable');
    await session.close();
    await expectAlive(target);
  });
});
