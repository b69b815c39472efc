import { UsageError } from '../errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export interface DurationSyntax {
  /** What a bare number counts (the option's documented unit): seconds unless said otherwise. */
  bareUnit?: 's' | 'ms';
  /** Whether 0 is allowed (options where 0 turns something off). */
  allowZero?: boolean;
}

/**
 * A duration as the command line writes it, the same for every option: `500ms`, `5s`, `1.5s`,
 * `10m`, `1h`, or a bare number in the option's unit (seconds unless `bareUnit` says ms).
 * Returns whole milliseconds; UsageError (exit 2) for anything else, for a negative value, for a
 * value that rounds to 0 ms (unless `allowZero` and it is 0), and beyond what a timer can wait.
 */
export function parseDuration(text: string, option = 'duration', syntax: DurationSyntax = {}): number {
  const bareUnit = syntax.bareUnit ?? 's';
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const exact = match ? Number(match[1]) * UNITS_MS[(match[2] ?? bareUnit).toLowerCase()] : NaN;
  const ms = Math.round(exact);
  const zeroAllowed = syntax.allowZero === true && exact === 0;
  if (!Number.isFinite(exact) || (ms < 1 && !zeroAllowed) || ms > 2 ** 31 - 1) {
    const bare = bareUnit === 'ms' ? 'milliseconds' : 'seconds';
    throw new UsageError(
      `invalid ${option}: ${JSON.stringify(text)}`,
      `write a duration such as 500ms, 5s, 10m or 1h (a bare number means ${bare})${syntax.allowZero ? ', or 0' : ''}, at most 24 days`,
    );
  }
  return ms;
}
