// How `attach` and `snapshot` show a document: --format, --json, --depth, --filter,
// --no-internals, --no-hyperlinks.

import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { filterDocument, type FilterOptions } from '../views/filter.js';
import type { AwaitGraphDocument } from '../schema.js';
import { renderDot } from '../render/dot.js';
import { renderJson } from '../render/json.js';
import { renderMermaid } from '../render/mermaid.js';
import { renderTable } from '../render/table.js';
import { renderTree } from '../render/tree.js';
import { useColors, useTerminalControls } from './output.js';

export const FORMATS = ['tree', 'table', 'json', 'dot', 'mermaid'] as const;
export type Format = (typeof FORMATS)[number];

export interface ViewFlags {
  format?: string;
  json?: boolean;
  depth?: string;
  filter?: string;
  /** false with --no-internals */
  internals?: boolean;
  /** false with --no-hyperlinks */
  hyperlinks?: boolean;
  color?: boolean;
}

export function addViewOptions(command: Command, defaultFormat: Format): Command {
  return command
    .addOption(
      new Option('--format <format>', `output format (default: ${defaultFormat})`).choices(FORMATS as unknown as string[]),
    )
    .option('--json', 'the same as --format json')
    .option('--depth <n>', 'show only the first N levels of the forest (roots are level 1)')
    .option('--filter <text>', 'keep only the paths through frames whose name or location contains the text')
    .option('--no-internals', "hide Node's own frames (node:internal/…), keeping the awaits through them")
    .option('--no-hyperlinks', 'never make locations clickable (OSC 8 links are used only on a terminal)');
}

export function viewFormat(flags: ViewFlags, defaultFormat: Format): Format {
  if (flags.json && flags.format !== undefined && flags.format !== 'json') {
    throw new UsageError(`--json contradicts --format ${flags.format}`);
  }
  if (flags.json) return 'json';
  return (flags.format as Format | undefined) ?? defaultFormat;
}

export function filterOptions(flags: ViewFlags): FilterOptions {
  let depth: number | undefined;
  if (flags.depth !== undefined) {
    depth = Number(flags.depth);
    if (!Number.isInteger(depth) || depth < 1) throw new UsageError(`invalid --depth: ${flags.depth}`, 'a whole number of levels, 1 or more');
  }
  if (flags.filter !== undefined && flags.filter === '') throw new UsageError('--filter needs some text');
  return {
    ...(flags.internals === false ? { noInternals: true } : {}),
    ...(flags.filter !== undefined ? { text: flags.filter } : {}),
    ...(depth !== undefined ? { depth } : {}),
  };
}

/**
 * OSC 8 hyperlinks: never with --no-hyperlinks; FORCE_HYPERLINK=1/0 forces them on/off; otherwise
 * only on a terminal that is not TERM=dumb, and not where the environment turned colours off
 * (NO_COLOR, FORCE_COLOR=0): whoever asks for plain text gets no escape codes at all.
 */
export function useHyperlinks(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  if (env.FORCE_HYPERLINK !== undefined && env.FORCE_HYPERLINK !== '') return env.FORCE_HYPERLINK !== '0' && env.FORCE_HYPERLINK !== 'false';
  return useTerminalControls(stream, env) && useColors(stream, undefined, env);
}

export interface ViewStyle {
  colors: boolean;
  hyperlinks: boolean;
  cwd: string;
}

/** How text goes to `stream` (stdout), or to a file when `stream` is null. */
export function viewStyle(stream: { isTTY?: boolean } | null, flags: ViewFlags): ViewStyle {
  return {
    colors: stream !== null && useColors(stream, flags.color),
    hyperlinks: stream !== null && useHyperlinks(stream, flags.hyperlinks),
    cwd: process.cwd(),
  };
}

/** The document, filtered, in the requested format. */
export function renderView(doc: AwaitGraphDocument, format: Format, filters: FilterOptions, viewStyle: ViewStyle): string {
  const shown = filterDocument(doc, filters);
  // Paths relative to the target's working directory, where it was read (else asyncgraph's own).
  const style = { ...viewStyle, cwd: doc.target.cwd ?? viewStyle.cwd };
  const location = { cwd: style.cwd, hyperlinks: style.hyperlinks, ...(style.hyperlinks ? { hostname: hostname() } : {}) };
  switch (format) {
    case 'json':
      return renderJson(shown);
    case 'table':
      return renderTable(shown, location);
    case 'dot':
      return renderDot(shown, { cwd: style.cwd });
    case 'mermaid':
      return renderMermaid(shown, { cwd: style.cwd });
    case 'tree':
      return renderTree(shown, { colors: style.colors, ...location, ...(shown !== doc ? { unfiltered: doc } : {}) });
  }
}
