// Writing a tree report where it goes: text to a stream, JSON to a file, and on GitHub Actions the
// job summary and annotations.

import { appendFileSync, writeFileSync } from 'node:fs';
import { renderGithubSummary, githubAnnotations } from '../render/github.js';
import { renderTreeReport, renderTreeReportJson, type TreeReport } from '../render/report.js';
import { formatDuration } from '../units.js';

export interface TreeOutputOptions {
  /** Text report destination. */
  text?: NodeJS.WritableStream;
  colors: boolean;
  cwd: string;
  /** Write the JSON report here. */
  jsonOut?: string;
  env?: NodeJS.ProcessEnv;
}

/** Writes everything; a destination that fails gets one line on stderr and does not stop the rest. */
export function writeTreeReport(report: TreeReport, options: TreeOutputOptions): void {
  const env = options.env ?? process.env;
  if (options.text) options.text.write(renderTreeReport(report, { colors: options.colors, cwd: options.cwd }));
  if (options.jsonOut) {
    try {
      writeFileSync(options.jsonOut, renderTreeReportJson(report));
    } catch (error) {
      process.stderr.write(`asyncgraph: cannot write ${options.jsonOut}: ${(error as Error).message}\n`);
    }
  }
  const summaryFile = env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    const github = { workspace: env.GITHUB_WORKSPACE || options.cwd, durationText: formatDuration };
    try {
      appendFileSync(summaryFile, renderGithubSummary(report, github) + '\n');
    } catch (error) {
      process.stderr.write(`asyncgraph: cannot append to GITHUB_STEP_SUMMARY (${summaryFile}): ${(error as Error).message}\n`);
    }
    // Workflow commands are read from stdout.
    for (const line of githubAnnotations(report, github)) process.stdout.write(line + '\n');
  }
}
