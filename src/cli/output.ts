/**
 * Colour decision for one stream: --no-color wins, then FORCE_COLOR, then NO_COLOR and
 * TERM=dumb, and otherwise colours only on a terminal.
 */
export function useColors(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export interface ProgressOptions {
  stream?: { isTTY?: boolean; write(text: string): unknown };
  /** Nothing is shown for captures faster than this (default 400 ms). */
  delayMs?: number;
}

/**
 * A one-line progress indicator on stderr, only for a person watching a terminal, and only once
 * the capture has taken more than a moment: quick captures print nothing at all.
 */
export function progressReporter(
  enabled: boolean,
  options: ProgressOptions = {},
): { update: (message: string) => void; done: () => void } {
  const stream = options.stream ?? process.stderr;
  if (!enabled || !stream.isTTY) return { update: () => {}, done: () => {} };
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
