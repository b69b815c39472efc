import { UsageError } from '../errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as the command line writes it: `500ms`, `5s`, `1.5s`, `10m`, `1h`, or a bare number
 * of seconds (`30`). Returns milliseconds; UsageError (exit 2) for anything else, zero or negative.
 */
export function parseDuration(text: string, option = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const ms = match ? Number(match[1]) * UNITS_MS[(match[2] ?? 's').toLowerCase()] : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 2 ** 31 - 1) {
    throw new UsageError(
      `invalid ${option}: ${JSON.stringify(text)}`,
      'write a duration such as 500ms, 5s, 10m or 1h (a bare number means seconds), at most 24 days',
    );
  }
  return Math.round(ms);
}

/** `5000` → `5s`, `90000` → `1m30s`, `1500` → `1.5s`, `250` → `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('') || '0s';
}
