import { Command, CommanderError } from 'commander';
import { captureGraph, TOOL_VERSION } from '../capture-graph.js';
import { AsyncgraphError, ExitCode } from '../errors.js';
import { renderJson } from '../render/json.js';
import { renderTree } from '../render/tree.js';
import { addCaptureOptions, captureOptions, targetSpec, type CaptureFlags } from './capture-options.js';
import { progressReporter, useColors } from './output.js';
import { writeFile } from 'node:fs/promises';
import { registerRunCommand } from './run.js';
import { printChildren } from './children.js';

const program = new Command('asyncgraph')
  .description('Show what a running Node.js process is waiting for: its suspended async functions and who awaits them.')
  .version(TOOL_VERSION)
  .showHelpAfterError()
  .exitOverride();

addCaptureOptions(
  program
    .command('attach')
    .description('attach to a Node.js process, print its awaited-by forest, detach')
    .argument('[pid]', 'process id of the Node.js process'),
)
  .option('--json', 'print the JSON document instead of the tree')
  .option('--children', 'also every Node.js process below the pid, and worker threads (see README)')
  .addHelpText(
    'after',
    `
Examples:
  asyncgraph attach 12345              find (or open with SIGUSR1) the inspector of pid 12345
  asyncgraph attach 12345 --children   the same for the whole process tree (e.g. a test runner)
  asyncgraph attach 12345 --json       the same graph as JSON (schema version 1)
  asyncgraph attach --port 9229        an inspector already listening on 127.0.0.1:9229`,
  )
  .action(async (pid: string | undefined, flags: CaptureFlags & { json?: boolean; children?: boolean }) => {
    if (flags.children) return printChildren(pid, flags, flags.json ? 'json' : 'text');
    const doc = await capture(pid, flags, !flags.json);
    process.stdout.write(
      flags.json ? renderJson(doc) : renderTree(doc, { colors: useColors(process.stdout, flags.color), cwd: process.cwd() }),
    );
  });

addCaptureOptions(
  program
    .command('snapshot')
    .description('capture the await graph of a Node.js process as JSON (schema version 1)')
    .option('--pid <pid>', 'process id of the Node.js process'),
)
  .option('--json', 'JSON output (the default for snapshot)')
  .option('-o, --output <file>', 'write the JSON to a file instead of stdout')
  .option('--children', 'a report of every Node.js process below the pid, worker threads included')
  .addHelpText(
    'after',
    `
Examples:
  asyncgraph snapshot --pid 12345 --json > graph.json
  asyncgraph snapshot --pid 12345 -o graph.json`,
  )
  .action(async (flags: CaptureFlags & { pid?: string; output?: string; children?: boolean }) => {
    if (flags.children) return printChildren(flags.pid, flags, 'json', flags.output);
    const doc = await capture(flags.pid, flags, false);
    const json = renderJson(doc);
    if (flags.output) await writeFile(flags.output, json);
    else process.stdout.write(json);
  });

registerRunCommand(program);

async function capture(pid: string | undefined, flags: CaptureFlags, showProgress: boolean) {
  const spec = targetSpec(pid, flags);
  const options = captureOptions(flags);
  const progress = progressReporter(showProgress);
  try {
    return await captureGraph(spec, { ...options, onProgress: progress.update });
  } finally {
    progress.done();
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

/** Known failures print one line (and a hint); anything else is a bug and keeps its stack. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (error instanceof AsyncgraphError) {
    process.stderr.write(`asyncgraph: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    return error.exitCode;
  }
  process.stderr.write(`asyncgraph: unexpected error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
  return ExitCode.Failure;
}

await main(process.argv);
