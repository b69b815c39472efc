// Durations and sizes as asyncgraph prints them, each style once. Below every other module (no
// imports): the CLI, the capture, the graph and the renderers all use them.

const MB = 1024 * 1024;

/**
 * The compact style of option values and timer delays: `5000` → `5s`, `90000` → `1m30s`, `1500` →
 * `1.5s`, `250` → `250ms`. `secondsPastAnHour: false` (a timer's delay) drops the seconds once
 * there are hours: `1h1m`, not `1h1m1s`.
 */
export function formatDuration(ms: number, { secondsPastAnHour = true }: { secondsPastAnHour?: boolean } = {}): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s && (secondsPastAnHour || !h) ? `${s}s` : ''].join('') || '0s';
}

/** Seconds to a tenth, as sentences say how long something took: `2 s`, `0.3 s`, `1.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** How long a thread was stopped: `250 ms` below a second, then seconds to a tenth, `1.0 s`, `2.4 s`. */
export function formatStopped(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A size limit in MB, as exact as it was given: `2048`, `0.05`, `1.25`. */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / MB;
  return String(Number(mb.toFixed(mb >= 10 ? 0 : 2)));
}

/** Whole MB (MiB) with the unit: `620 MB`; rounded, or rounded up where an estimate must not fall short. */
export function formatMb(bytes: number, round: (mb: number) => number = Math.round): string {
  return `${round(bytes / MB)} MB`;
}
