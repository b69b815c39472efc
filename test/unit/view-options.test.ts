import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressReporter, useColors } from '../../src/cli/output.js';
import { filterOptions, renderView, useHyperlinks, viewFormat } from '../../src/cli/view-options.js';
import { serviceDocument } from '../helpers/documents.js';

function fakeStderr(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe('progressReporter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows nothing for a capture that takes less than a moment', () => {
    vi.useFakeTimers();
    const stream = fakeStderr(true);
    const progress = progressReporter(true, { stream, delayMs: 400, env: {} });
    progress.update('connecting');
    vi.advanceTimersByTime(300);
    progress.update('taking heap snapshot');
    progress.done();
    vi.advanceTimersByTime(1000);
    expect(stream.writes).toEqual([]);
  });

  it('shows the latest step once the capture takes longer, follows it, and clears the line', () => {
    vi.useFakeTimers();
    const stream = fakeStderr(true);
    const progress = progressReporter(true, { stream, delayMs: 400, env: {} });
    progress.update('connecting');
    progress.update('taking heap snapshot');
    vi.advanceTimersByTime(400);
    progress.update('locating suspended frames');
    progress.done();
    expect(stream.writes).toEqual(['\r\x1b[2Ktaking heap snapshot…', '\r\x1b[2Klocating suspended frames…', '\r\x1b[2K']);
  });

  it('never writes when disabled (JSON), when stderr is not a terminal, or on TERM=dumb', () => {
    vi.useFakeTimers();
    for (const [enabled, tty, env] of [
      [false, true, {}],
      [true, false, {}],
      [true, false, { FORCE_COLOR: '1' }],
      [true, true, { TERM: 'dumb' }],
    ] as const) {
      const stream = fakeStderr(tty);
      const progress = progressReporter(enabled, { stream, delayMs: 10, env });
      progress.update('connecting');
      vi.advanceTimersByTime(1000);
      progress.done();
      expect(stream.writes).toEqual([]);
    }
  });
});

describe('view options', () => {
  it('--json is --format json; they must not contradict', () => {
    expect(viewFormat({}, 'tree')).toBe('tree');
    expect(viewFormat({}, 'json')).toBe('json');
    expect(viewFormat({ json: true }, 'tree')).toBe('json');
    expect(viewFormat({ json: true, format: 'json' }, 'tree')).toBe('json');
    expect(viewFormat({ format: 'dot' }, 'json')).toBe('dot');
    expect(() => viewFormat({ json: true, format: 'table' }, 'tree')).toThrow(/--json contradicts --format table/);
  });

  it('parses the filters', () => {
    expect(filterOptions({})).toEqual({});
    expect(filterOptions({ internals: false, filter: 'query', depth: '3' })).toEqual({ noInternals: true, text: 'query', depth: 3 });
    expect(() => filterOptions({ depth: '0' })).toThrow(/invalid --depth/);
    expect(() => filterOptions({ depth: 'x' })).toThrow(/invalid --depth/);
    expect(() => filterOptions({ filter: '' })).toThrow(/--filter/);
  });

  it('hyperlinks only on a terminal, unless forced or refused', () => {
    expect(useHyperlinks({ isTTY: true }, undefined, {})).toBe(true);
    expect(useHyperlinks({ isTTY: false }, undefined, {})).toBe(false);
    expect(useHyperlinks({ isTTY: true }, false, {})).toBe(false);
    expect(useHyperlinks({ isTTY: true }, undefined, { TERM: 'dumb' })).toBe(false);
    expect(useHyperlinks({ isTTY: false }, undefined, { FORCE_HYPERLINK: '1' })).toBe(true);
    expect(useHyperlinks({ isTTY: true }, undefined, { FORCE_HYPERLINK: '0' })).toBe(false);
    // Plain text asked for through the environment: no escape codes of any kind.
    expect(useHyperlinks({ isTTY: true }, undefined, { NO_COLOR: '1' })).toBe(false);
    expect(useHyperlinks({ isTTY: true }, undefined, { FORCE_COLOR: '0' })).toBe(false);
    expect(useHyperlinks({ isTTY: true }, undefined, { NO_COLOR: '1', FORCE_HYPERLINK: '1' })).toBe(true);
    // FORCE_COLOR forces colours, not links into a file.
    expect(useHyperlinks({ isTTY: false }, undefined, { FORCE_COLOR: '1' })).toBe(false);
  });

  it('colours: --no-color, then FORCE_COLOR (0 and false too), then NO_COLOR and TERM=dumb, then a terminal', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(useColors(tty, undefined, {})).toBe(true);
    expect(useColors(pipe, undefined, {})).toBe(false);
    expect(useColors(tty, false, { FORCE_COLOR: '1' })).toBe(false);
    expect(useColors(pipe, undefined, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColors(pipe, undefined, { FORCE_COLOR: '' })).toBe(true);
    expect(useColors(tty, undefined, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColors(tty, undefined, { FORCE_COLOR: 'false' })).toBe(false);
    expect(useColors(tty, undefined, { NO_COLOR: '1' })).toBe(false);
    expect(useColors(tty, undefined, { NO_COLOR: '' })).toBe(true);
    expect(useColors(tty, undefined, { TERM: 'dumb' })).toBe(false);
    expect(useColors(tty, undefined, { TERM: 'dumb', FORCE_COLOR: '1' })).toBe(true);
    expect(useColors(tty, undefined, { NO_COLOR: '1', FORCE_COLOR: '2' })).toBe(true);
  });

  it('renders every format, filtered, with hyperlinks only in tree and table', () => {
    const style = { colors: false, hyperlinks: true, cwd: '/app' };
    const filters = { text: 'query' };
    expect(renderView(serviceDocument(), 'tree', filters, style)).toContain('\x1b]8;;file://');
    expect(renderView(serviceDocument(), 'table', filters, style)).toContain('\x1b]8;;file://');
    for (const format of ['json', 'dot', 'mermaid'] as const) {
      const out = renderView(serviceDocument(), format, filters, style);
      expect(out).not.toContain('\x1b');
      expect(out).toContain('query');
      expect(out).not.toContain('stepA');
    }
    expect(JSON.parse(renderView(serviceDocument(), 'json', filters, style)).filter).toEqual({ text: 'query', hiddenNodes: 9, matched: 2, captured: { nodes: 17, suspendedFrames: 11, pendingPromises: 4 } });
  });
});
