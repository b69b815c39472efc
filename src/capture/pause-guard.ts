// A capture's Debugger.paused events in one owner (see src/capture/running-stack.ts for why
// pauses are asked for at all).

import type { CdpSession } from '../session/cdp-session.js';
import type { RawFrame } from '../document/document.js';

/**
 * Owns the session's `Debugger.paused` events for the life of a capture: every pause is resumed
 * at once and its stack handed to whoever waits for one — except a pause that was there before
 * we came (another debugger stopped at a breakpoint): V8 reports it when Debugger.enable is
 * handled, before enable answers, and it is left to its owner. `holdMs` keeps each pause that
 * long before resuming it (tests only: it lets a test kill the tool while the target is paused).
 */
export class PauseGuard {
  private pausedNow = false;
  private enabled = false;
  private foreign: RawFrame[] | undefined;
  private waiter: ((frames: RawFrame[]) => void) | undefined;
  private resuming: Promise<void> | undefined;
  private held: { timer: NodeJS.Timeout; done: Promise<void>; finish: () => void } | undefined;

  constructor(
    private readonly session: CdpSession,
    private readonly holdMs = 0,
    signal?: AbortSignal,
    /**
     * A script's URL as Debugger.scriptParsed announced it. A pause's call frames name theirs in
     * `url`, deprecated and sent empty by Node 26's V8: a pause at the entry of a timer's
     * callback then looked like JavaScript of no script, and an idle target was called running
     * (running-stack.ts, isCallbackEntry).
     */
    scriptUrl: (scriptId: string) => string | undefined = () => undefined,
  ) {
    session.on('Debugger.paused', (event) => {
      this.pausedNow = true;
      const frames = event.callFrames.map((frame) => toRawFrame(frame, scriptUrl));
      if (!this.enabled) {
        this.foreign = frames;
        return;
      }
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.(frames);
      if (this.holdMs > 0 && !this.held) {
        let finish!: () => void;
        const done = new Promise<void>((resolve) => (finish = resolve));
        this.held = { timer: setTimeout(() => void this.endHold(), this.holdMs), done, finish };
        // Tells the test that the target is paused now.
        process.stderr.write(`asyncgraph: test hook: holding a pause for ${this.holdMs} ms\n`);
      } else if (!this.held) {
        void this.resume();
      }
    });
    session.on('Debugger.resumed', () => {
      this.pausedNow = false;
      this.foreign = undefined;
    });
    // A stop (SIGINT) ends a test hold at once.
    if (signal) {
      const onAbort = () => void this.release();
      signal.addEventListener('abort', onAbort, { once: true });
      this.dispose = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** Forget the signal (end of the capture). */
  dispose: () => void = () => {};

  /** Call once Debugger.enable has answered: from now on every pause is ours to resume. */
  debuggerEnabled(): void {
    this.enabled = true;
  }

  /** True from a `Debugger.paused` event until the target says it resumed. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** The stack of a pause another debugger holds (it was paused when we attached), if any. */
  get foreignPause(): RawFrame[] | undefined {
    return this.foreign;
  }

  /** The frames of the next pause. */
  nextPause(): Promise<RawFrame[]> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  cancelWait(): void {
    this.waiter = undefined;
  }

  /**
   * Resumes if paused (after the test hold, if one runs); never throws. Concurrent calls share
   * one request. A session that is gone resumes the target by itself (V8 resumes when its
   * debugger session is destroyed).
   */
  resume(): Promise<void> {
    if (this.held) return this.held.done;
    if (!this.pausedNow || this.foreign) return Promise.resolve();
    this.resuming ??= this.session
      .send('Debugger.resume', {}, 2000)
      .then(
        () => {
          this.pausedNow = false;
        },
        (error: unknown) => {
          // "Can only perform operation while paused": it already runs.
          if (/while paused/.test(String((error as Error)?.message))) this.pausedNow = false;
        },
      )
      .finally(() => {
        this.resuming = undefined;
      });
    return this.resuming;
  }

  private async endHold(): Promise<void> {
    const held = this.held;
    if (!held) return;
    clearTimeout(held.timer);
    this.held = undefined;
    await this.resume();
    held.finish();
  }

  /** Resume now, ending a test hold (end of the capture, or a stop). */
  async release(): Promise<void> {
    await this.endHold();
    await this.resume();
  }
}

function toRawFrame(
  frame: {
    functionName: string;
    url: string;
    location: { scriptId: string; lineNumber: number; columnNumber?: number };
    functionLocation?: { scriptId: string; lineNumber: number; columnNumber?: number };
  },
  scriptUrl: (scriptId: string) => string | undefined,
): RawFrame {
  return {
    functionName: frame.functionName,
    scriptId: frame.location.scriptId,
    url: frame.url || (scriptUrl(frame.location.scriptId) ?? ''),
    lineNumber: frame.location.lineNumber,
    columnNumber: frame.location.columnNumber ?? 0,
    ...(frame.functionLocation
      ? {
          functionLocation: {
            scriptId: frame.functionLocation.scriptId,
            lineNumber: frame.functionLocation.lineNumber,
            columnNumber: frame.functionLocation.columnNumber ?? 0,
          },
        }
      : {}),
  };
}
