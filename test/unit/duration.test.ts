import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/duration.js';
import { formatDuration } from '../../src/units.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { withPreload } from '../../src/cli/run.js';
import { splitNodeOptions } from '../../src/target/discover.js';

describe('parseDuration', () => {
  it.each([
    ['5s', 5000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['30', 30_000],
    ['1.5s', 1500],
    ['.5s', 500],
    [' 2M ', 120_000],
    ['0.25', 250],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '5x', '-1s', '0', '0s', '5 s s', '1e3', 'Infinity', '5sec', '100d', '999999999h'])('rejects %j as a usage error (exit 2)', (text) => {
    let error: unknown;
    try {
      parseDuration(text, '--timeout');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((error as UsageError).message).toBe(`invalid --timeout: ${JSON.stringify(text)}`);
  });
});

describe('parseDuration with a unit of milliseconds and 0 allowed (--location-budget, --pause-timeout)', () => {
  it.each([
    ['1000', 1000],
    ['0', 0],
    ['0ms', 0],
    ['2s', 2000],
    ['1.5', 2],
    ['250ms', 250],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text, '--location-budget', { bareUnit: 'ms', allowZero: true })).toBe(ms);
  });

  it('still refuses what is not a duration, and a positive value that rounds to 0 ms', () => {
    expect(() => parseDuration('-1', '--pause-timeout', { bareUnit: 'ms', allowZero: true })).toThrow(UsageError);
    expect(() => parseDuration('0.2', '--pause-timeout', { bareUnit: 'ms', allowZero: true })).toThrow(UsageError);
    expect(() => parseDuration('0.0001', '--timeout')).toThrow(UsageError);
  });

  it('0.01 (seconds) is 10 ms, which prints as 10ms, not "0 s"', () => {
    expect(parseDuration('0.01', '--timeout')).toBe(10);
    expect(formatDuration(parseDuration('0.01', '--timeout'))).toBe('10ms');
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1500, '1.5s'],
    [5000, '5s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('withPreload (NODE_OPTIONS for run)', () => {
  it('appends a quoted --require to what the user has, which Node splits back into the path', () => {
    const options = withPreload('--max-old-space-size=4096', '/opt/my tools/"q"/inspect-port.cjs');
    expect(splitNodeOptions(options)).toEqual(['--max-old-space-size=4096', '--require', '/opt/my tools/"q"/inspect-port.cjs']);
  });

  it('works without NODE_OPTIONS and does not add the preload twice (nested runs)', () => {
    const once = withPreload(undefined, '/x/inspect-port.cjs');
    expect(once).toBe('--require "/x/inspect-port.cjs"');
    expect(withPreload(once, '/x/inspect-port.cjs')).toBe(once);
  });

  it('never puts --inspect text into NODE_OPTIONS (node --test would drop to concurrency 1)', () => {
    expect(withPreload('', '/x/inspect-port.cjs')).not.toMatch(/--inspect|--debug-port/);
  });
});
