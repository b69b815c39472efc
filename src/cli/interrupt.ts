// SIGINT/SIGTERM during a capture (`attach`, `snapshot`): one mechanism, an AbortSignal handed to
// the capture (CaptureGraphOptions.signal). The first signal aborts it: work in flight is given
// up, the capture undoes what it did to the target (resume if paused, release the object group,
// disable the domains, close the inspector if asyncgraph opened it) within DEFAULT_CLEANUP_MS, and
// the command exits 130 (SIGINT) or 143 (SIGTERM). Should the cleanup hang anyway, the process
// exits a second after that bound. A second signal stops waiting for that cleanup, but still closes
// the inspectors asyncgraph opened (within SECOND_SIGNAL_CLOSE_MS, or names those left open); a
// third exits at once.
// (`asyncgraph run` has its own handling: there a signal means "report now", see run.ts.)

import { constants as osConstants } from 'node:os';
import { InterruptedError } from '../errors.js';
import { DEFAULT_CLEANUP_MS } from '../session/guarded-session.js';
import { closeOpenInspectorsNow, openInspectorCount } from '../session/session-lifecycle.js';
import { formatSeconds } from '../units.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** After a second signal: the bound on closing the inspectors asyncgraph opened before exiting. */
export const SECOND_SIGNAL_CLOSE_MS = 1000;

function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0);
}

/** Runs `work` with an AbortSignal that SIGINT/SIGTERM abort; the handlers live as long as `work`. */
export async function withInterrupts<T>(
  work: (signal: AbortSignal) => Promise<T>,
  cleanupMs = DEFAULT_CLEANUP_MS,
  onProgress?: (message: string) => void,
): Promise<T> {
  const controller = new AbortController();
  let closingNow = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = exitCodeOf(signal);
    if (closingNow) process.exit(code);
    if (controller.signal.aborted) {
      closingNow = true;
      const closing = openInspectorCount() > 0 ? `, once the inspector it opened is closed (at most ${formatSeconds(SECOND_SIGNAL_CLOSE_MS)}; a third ${signal} exits at once)` : '';
      process.stderr.write(`asyncgraph: ${signal} again: exiting without waiting for the cleanup${closing}\n`);
      setTimeout(() => process.exit(code), SECOND_SIGNAL_CLOSE_MS + 500).unref();
      void closeOpenInspectorsNow(SECOND_SIGNAL_CLOSE_MS).finally(() => process.exit(code));
      return;
    }
    onProgress?.(`interrupted by ${signal}: undoing what it did to the target`);
    controller.abort(new InterruptedError(`interrupted by ${signal}: stopped the capture and detached; the target keeps running`, code));
    setTimeout(() => {
      process.stderr.write(`asyncgraph: interrupted by ${signal}; the cleanup did not finish within ${cleanupMs + 1000} ms, exiting\n`);
      process.exit(code);
    }, cleanupMs + 1000).unref();
  };
  const listeners = SIGNALS.map((name) => [name, () => onSignal(name)] as const);
  for (const [name, listener] of listeners) process.on(name, listener);
  try {
    return await work(controller.signal);
  } finally {
    // After the capture a signal has its default effect again (the hard-exit timer, if started, stays).
    for (const [name, listener] of listeners) process.off(name, listener);
  }
}
