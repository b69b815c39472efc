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

/** A one-line progress indicator on stderr, only for a person watching a terminal. */
export function progressReporter(enabled: boolean): { update: (message: string) => void; done: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(message) {
      process.stderr.write(`\r\x1b[2K${message}…`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
