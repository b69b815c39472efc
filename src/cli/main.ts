import { Command, CommanderError } from 'commander';
import { captureGraph, TOOL_VERSION } from '../capture/capture-graph.js';
import { AsyncgraphError, ExitCode, UsageError } from '../errors.js';
import { addCaptureOptions, captureOptions, targetPid, targetSpec, type CaptureFlags } from './capture-options.js';
import { progressReporter } from './output.js';
import { addViewOptions, filterOptions, renderView, viewFormat, viewStyle, type Format, type ViewFlags } from './view-options.js';
import { writeFile } from 'node:fs/promises';
import { filterDocument, isFiltering, type FilterOptions } from '../views/filter.js';
import type { AwaitGraphDocument } from '../schema.js';
import { writeJsonFile, writeJsonStream } from '../render/json.js';
import { nothingMatched } from '../render/tree.js';
import { registerRunCommand } from './run.js';
import { registerCloseInspectorCommand } from './close-command.js';
import { printChildren } from './children.js';
import { withInterrupts } from './interrupt.js';
import { allowFullCollections } from '../capture/capture.js';
import { addWakeupOptions, failOnExitCode, hiddenDeadlockLines, noWakeupOptionsWithChildren, watchOption, type WakeupFlags } from './wakeup-options.js';
import { exitQuietlyOnClosedPipes } from './closed-pipe.js';
import { argumentError, commandHelpHint, noCommandGiven } from './argument-errors.js';
import { cannotWrite, checkOutputPath } from './output-path.js';
import { runInTargetNetns } from './target-netns.js';

// `… | head -1`: end quietly, exit 141 (closed-pipe.ts).
exitQuietlyOnClosedPipes();

// A short-lived process of its own: it may collect its garbage when a capture's snapshot is done.
allowFullCollections();

const program = new Command('asyncgraph')
  .description('Show what a running Node.js process is waiting for: its suspended async functions and who awaits them.')
  .version(TOOL_VERSION)
  // Argument errors become one `asyncgraph:` line and a hint (argument-errors.ts), not commander's
  // `error: …` and the whole help. Set before the commands, which inherit both.
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .addHelpText(
    'after',
    `
Examples:
  asyncgraph attach 12345                      what pid 12345 is waiting for, as a tree
  asyncgraph attach 12345 --format table       the same, one row per await
  asyncgraph snapshot 12345 -o g.json          the same as JSON
  asyncgraph run --timeout 10m -- npm test     report what a hung test suite waits for
  asyncgraph close-inspector 12345             close an inspector a warning says was left open

Durations: 500ms, 5s, 1.5s, 10m, 1h, or a bare number in the option's unit (milliseconds for
<ms> options, seconds for the others). Colours and escape codes: only on a terminal; NO_COLOR,
FORCE_COLOR (0 too), TERM=dumb and FORCE_HYPERLINK are honoured. Exit codes: 0 done, 2 bad
arguments, 130/143 interrupted, 141 stdout closed by its reader; the others (why the target could
not be captured) are listed in the README.

"asyncgraph help <command>" shows a command's options and examples.`,
  );

addViewOptions(
  addWakeupOptions(addCaptureOptions(
    program
      .command('attach')
      .description('attach to a Node.js process, print its awaited-by forest, detach')
      .argument('[pid]', 'process id of the Node.js process (or --pid)'),
  )),
  'tree',
)
  .option('--children', 'also every Node.js process below the pid, and worker threads (see README)')
  .addHelpText(
    'after',
    `
Formats: tree (default), table (one row per awaited-by edge), json (schema version 1,
docs/json-schema.md), dot (Graphviz) and mermaid (a flowchart GitHub renders). Identical sibling
subtrees print once with "× N"; --depth, --filter and --no-internals apply to every format.

Examples:
  asyncgraph attach 12345                         find (or open with SIGUSR1) the inspector of pid 12345
  asyncgraph attach 12345 --children              the same for the whole process tree (e.g. a test runner)
  asyncgraph attach 12345 --json                  the same graph as JSON (schema version 1)
  asyncgraph attach 12345 --format table          one row per await: function, location, awaiter
  asyncgraph attach 12345 --format dot | dot -Tsvg > graph.svg
  asyncgraph attach 12345 --filter query --no-internals --depth 6
  asyncgraph attach --port 9229                   an inspector already listening on 127.0.0.1:9229`,
  )
  .action(async (pidArgument: string | undefined, flags: CaptureFlags & ViewFlags & WakeupFlags & { children?: boolean }) => {
    const pid = targetPid(pidArgument, flags);
    const format = viewFormat(flags, 'tree');
    const filters = filterOptions(flags);
    if (flags.children) noWakeupOptionsWithChildren(flags);
    if (flags.children) return withInterrupts((signal) => printChildren(pid, flags, childrenFormat(format), undefined, filters, signal));
    if (await capturedInTargetNetns(pid, flags)) return;
    const doc = await capture(pid, flags, format);
    // JSON streamed, as to a file: the text of a big graph (hundreds of MB) is never held whole.
    if (format === 'json') await writeJsonStream(process.stdout, filterDocument(doc, filters));
    else process.stdout.write(renderView(doc, format, filters, viewStyle(process.stdout, flags)));
    noteNothingMatched(doc, format, filters);
    failOn(doc, flags, filters);
  });

addViewOptions(
  addWakeupOptions(addCaptureOptions(
    program
      .command('snapshot')
      .description('capture the await graph of a Node.js process, as JSON unless --format says otherwise')
      .argument('[pid]', 'process id of the Node.js process (or --pid)'),
  )),
  'json',
)
  .option('-o, --output <file>', 'write to a file instead of stdout')
  .option('--children', 'a report of every Node.js process below the pid, worker threads included')
  .addHelpText(
    'after',
    `
Examples:
  asyncgraph snapshot 12345 > graph.json
  asyncgraph snapshot 12345 -o graph.json
  asyncgraph snapshot --pid 12345 --format dot -o graph.dot
  asyncgraph snapshot 12345 --children -o report.json   the whole process tree`,
  )
  .action(async (pidArgument: string | undefined, flags: CaptureFlags & ViewFlags & WakeupFlags & { output?: string; children?: boolean }) => {
    const pid = targetPid(pidArgument, flags);
    const format = viewFormat(flags, 'json');
    const filters = filterOptions(flags);
    const output = flags.output;
    // Before the target is touched: a bad path must not cost it a heap snapshot first.
    if (output !== undefined) checkOutputPath(output, '-o');
    if (flags.children) noWakeupOptionsWithChildren(flags);
    if (flags.children) return withInterrupts((signal) => printChildren(pid, flags, childrenFormat(format), output, filters, signal));
    if (await capturedInTargetNetns(pid, flags)) return;
    const doc = await capture(pid, flags, format);
    failOn(doc, flags, filters);
    try {
      if (output && format === 'json') {
        // Streamed: the text of a big graph (hundreds of MB) is never held whole. Same bytes.
        writeJsonFile(output, filterDocument(doc, filters));
        return;
      }
      if (!output && format === 'json') {
        await writeJsonStream(process.stdout, filterDocument(doc, filters));
        return;
      }
      const text = renderView(doc, format, filters, viewStyle(output ? null : process.stdout, flags));
      if (output) await writeFile(output, text);
      else process.stdout.write(text);
      noteNothingMatched(doc, format, filters);
    } catch (error) {
      if (output === undefined) throw error;
      throw cannotWrite(output, error);
    }
  });

/**
 * `--fail-on deadlock`: exit 1 for a deadlock in the whole capture, and say why on stderr when
 * the view's filters hide it.
 */
function failOn(doc: AwaitGraphDocument, flags: WakeupFlags, filters: FilterOptions): void {
  const code = failOnExitCode(doc, flags);
  if (code === undefined) return;
  process.exitCode = code;
  if (isFiltering(filters)) for (const line of hiddenDeadlockLines(doc, filterDocument(doc, filters))) process.stderr.write(line + '\n');
}

/**
 * A `--filter` that matched nothing, in a format without a header to say so (table, dot,
 * mermaid): a note on stderr. The tree says it under its header, the JSON in `filter.matched`.
 */
function noteNothingMatched(doc: AwaitGraphDocument, format: Format, filters: FilterOptions): void {
  if (!filters.text || format === 'tree' || format === 'json') return;
  const shown = filterDocument(doc, filters);
  if (shown.filter?.matched === 0) process.stderr.write(`asyncgraph: note: ${nothingMatched(shown.filter)}\n`);
}

/** `--children` prints a report of several processes: as a text report or JSON. */
function childrenFormat(format: Format): 'text' | 'json' {
  if (format === 'json') return 'json';
  if (format === 'tree') return 'text';
  throw new UsageError(`--format ${format} is not available with --children`, 'use --format tree or --format json');
}

registerRunCommand(program);
registerCloseInspectorCommand(program);

/** A target in another network namespace: the whole command ran again inside it (target-netns.ts). */
async function capturedInTargetNetns(pid: string | undefined, flags: CaptureFlags & WakeupFlags): Promise<boolean> {
  // Every argument is checked here first, so that the child cannot fail on them.
  targetSpec(pid, flags);
  captureOptions(flags);
  watchOption(flags);
  const status = await runInTargetNetns(pid);
  if (status === undefined) return false;
  process.exitCode = status;
  return true;
}

async function capture(pid: string | undefined, flags: CaptureFlags & WakeupFlags, format: Format) {
  const spec = targetSpec(pid, flags);
  const options = { ...captureOptions(flags), ...watchOption(flags) };
  // Never for JSON, which scripts read; only on a terminal, and only for slow captures.
  const progress = progressReporter(format !== 'json');
  try {
    // --test-progress: each step as a line on stderr (the fault tests time their faults by it).
    const onProgress = flags.testProgress ? (step: string) => void process.stderr.write(`asyncgraph: progress: ${step}\n`) : progress.update;
    // SIGINT/SIGTERM abort the capture, which undoes what it did to the target first (interrupt.ts).
    const doc = await withInterrupts((signal) => captureGraph(spec, { ...options, onProgress, signal }), undefined, onProgress);
    progress.done();
    // What came out less precise, once each (JSON has them in its `notes`).
    if (format !== 'json') for (const note of doc.notes ?? []) process.stderr.write(`asyncgraph: note: ${note}\n`);
    return doc;
  } finally {
    progress.done();
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    // Bare `asyncgraph`: commander would print the whole help on stderr.
    if (argv.length <= 2) throw noCommandGiven();
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error, argv);
  }
}

/** Known failures print one line (and a hint); anything else is a bug and keeps its stack. */
function reportError(error: unknown, argv: string[]): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too (exit 0); everything else is a bad argument.
    if (error.exitCode === 0) return ExitCode.Ok;
    return reportError(argumentError(error, program, argv), argv);
  }
  if (error instanceof AsyncgraphError) {
    // Every argument error says where to look, if it has no better hint.
    const hint = error.hint ?? (error.exitCode === ExitCode.Usage ? commandHelpHint(program, argv) : undefined);
    process.stderr.write(`asyncgraph: ${error.message}\n`);
    if (hint) process.stderr.write(`  hint: ${hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`asyncgraph: unexpected error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
  return ExitCode.Failure;
}

await main(process.argv);
