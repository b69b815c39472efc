/**
 * Colour decision for one stream: --no-color wins, then FORCE_COLOR (as Node and chalk read it:
 * `0`/`false` off, anything else on, also empty), then NO_COLOR (any non-empty value) and
 * TERM=dumb, and otherwise colours only on a terminal.
 */
export function useColors(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  const forced = forceColor(env);
  if (forced !== undefined) return forced;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** FORCE_COLOR: true, false, or undefined when it is not set. */
export function forceColor(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  if (env.FORCE_COLOR === undefined) return undefined;
  return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
}

/**
 * Whether cursor-moving escape codes (the progress line) may go to the stream: a terminal that is
 * not TERM=dumb. FORCE_COLOR does not force them: they are no colour, and make a mess in a file.
 */
export function useTerminalControls(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface ProgressOptions {
  stream?: { isTTY?: boolean; write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
  /** Nothing is shown for captures faster than this (default 400 ms). */
  delayMs?: number;
}

/**
 * A one-line progress indicator on stderr, only for a person watching a terminal, and only once
 * the capture has taken more than a moment: quick captures print nothing at all. Not on
 * TERM=dumb (it redraws itself with escape codes).
 */
export function progressReporter(
  enabled: boolean,
  options: ProgressOptions = {},
): { update: (message: string) => void; done: () => void } {
  const stream = options.stream ?? process.stderr;
  if (!enabled || !useTerminalControls(stream, options.env)) return { update: () => {}, done: () => {} };
  let shown = false;
  let latest: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const show = () => {
    if (latest === undefined) return;
    stream.write(`\r\x1b[2K${latest}…`);
    shown = true;
  };
  return {
    update(message) {
      latest = message;
      if (shown) show();
      else if (!timer) {
        timer = setTimeout(show, options.delayMs ?? 400);
        timer.unref();
      }
    },
    done() {
      clearTimeout(timer);
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
      latest = undefined;
    },
  };
}
