// GitHub Actions output of a tree report: a Markdown job summary (appended to the file named by
// GITHUB_STEP_SUMMARY) and `::error` workflow commands, one per stuck await in the user's code,
// so the hang is annotated on the line that awaits. Pure: the CLI writes the results.

import { displayName } from '../document/order.js';
import { displayUrl, formatLocation, type LocationStyle } from './location.js';
import { groupLeaves, notableLeaves, reportThreads, shellScript, type ReportReason, type StuckLeaf, type TreeReport } from './report.js';
import { renderTree } from './tree.js';
import { shortCommand } from '../target/command-line.js';

export interface GithubOptions {
  /** The repository checkout (GITHUB_WORKSPACE): annotation paths are relative to it. */
  workspace: string;
  /** Formats a duration for the heading (`5s`). */
  durationText: (ms: number) => string;
}

/** Inline code, safe for any content. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced block, safe for any content. */
function codeBlock(text: string): string {
  const longest = Math.max(0, ...(text.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text.replace(/\n$/, '')}\n${fence}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function reasonText(reason: ReportReason, options: GithubOptions): string {
  if (reason.kind === 'timeout') return `timed out after ${options.durationText(reason.timeoutMs)}`;
  if (reason.kind === 'signal') return `was stopped (${reason.signal})`;
  return 'await graphs';
}

function leafMarkdown(leaf: StuckLeaf, count: number, style: LocationStyle): string {
  const name = leaf.origin === 'user' ? `**${code(displayName(leaf.frame))}**` : code(displayName(leaf.frame));
  const where = leaf.frame.location
    ? ` at ${code(formatLocation(leaf.frame.location, style))}${leaf.frame.locationSource === 'definition' ? ' (function definition)' : ''}`
    : '';
  const awaiting = leaf.awaiting.length > 0 ? `, awaiting ${leaf.awaiting.map((node) => code(displayName(node))).join(', ')}` : '';
  const origin = leaf.origin === 'library' ? ' (library)' : leaf.origin === 'internal' ? ' (Node internals)' : '';
  return `- ${name}${where}${awaiting}${count > 1 ? ` ×${count}` : ''}${origin}`;
}

/**
 * The job summary: a heading, then per process and worker (those stuck in user code first)
 * its test file, its stuck leaves, and its forest in a collapsed `<details>` block.
 */
export function renderGithubSummary(report: TreeReport, options: GithubOptions): string {
  const style: LocationStyle = { cwd: options.workspace };
  const threads = reportThreads(report, style);
  const command = report.command ? `${code(shellScript(report.command) ?? shortCommand(report.command, style))} ` : '';
  const out: string[] = [`## asyncgraph: ${command}${reasonText(report.reason, options)}`, ''];
  if (threads.length === 0) out.push('No Node.js process was left in the command’s process tree.', '');
  const ranked = [...threads].sort(
    (a, b) => Number(b.leaves.some((leaf) => leaf.origin === 'user')) - Number(a.leaves.some((leaf) => leaf.origin === 'user')),
  );
  for (const thread of ranked) {
    out.push(`### ${escapeHtml(thread.heading)}`, '');
    if (thread.testFiles.length > 0) {
      out.push(`Test file: ${thread.testFiles.map((file) => code(displayUrl(file, style))).join(', ')}`, '');
    }
    if (thread.report.error || thread.report.skipped) {
      out.push(`Not captured: ${escapeHtml(thread.report.error ?? thread.report.skipped ?? '')}`, '');
      continue;
    }
    const doc = thread.report.document;
    if (!doc) continue;
    const groups = groupLeaves(notableLeaves(thread.leaves));
    if (groups.length > 0) {
      out.push('Stuck awaits:', '');
      for (const { leaf, count } of groups) out.push(leafMarkdown(leaf, count, style));
      out.push('');
    } else {
      out.push('No suspended async function.', '');
    }
    const forest = renderTree(doc, { colors: false, cwd: options.workspace });
    const summary = forest.split('\n')[0].replace(/^.*? — /, '');
    out.push(`<details><summary>Await forest (${escapeHtml(summary)})</summary>`, '', codeBlock(forest), '', '</details>', '');
  }
  return out.join('\n');
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The path of a file URL relative to the workspace, or null when it is elsewhere. */
function workspacePath(url: string, workspace: string): string | null {
  if (!url.startsWith('file://')) return null;
  const shown = displayUrl(url, { cwd: workspace });
  return shown.startsWith('/') ? null : shown;
}

/**
 * One `::error` workflow command per stuck await in user code (the same await in several
 * frames or processes once), with the file relative to the workspace and the await's line.
 */
export function githubAnnotations(report: TreeReport, options: GithubOptions): string[] {
  const style: LocationStyle = { cwd: options.workspace };
  const seen = new Map<string, { leaf: StuckLeaf; labels: string[]; testFile?: string; count: number }>();
  for (const thread of reportThreads(report, style)) {
    for (const { leaf, count } of groupLeaves(thread.leaves.filter((candidate) => candidate.origin === 'user'))) {
      const location = leaf.frame.location;
      const key = `${displayName(leaf.frame)}@${location ? formatLocation(location, {}) : '?'}`;
      const entry = seen.get(key);
      if (entry) {
        entry.labels.push(thread.label);
        entry.count += count;
      } else {
        seen.set(key, { leaf, labels: [thread.label], testFile: thread.testFiles[0], count });
      }
    }
  }
  const lines: string[] = [];
  for (const { leaf, labels, testFile, count } of seen.values()) {
    const location = leaf.frame.location;
    const properties: string[] = [];
    const file = location ? workspacePath(location.url, options.workspace) : null;
    if (file && location) {
      properties.push(`file=${escapeProperty(file)}`, `line=${location.line}`, `col=${location.column}`);
    }
    properties.push(`title=${escapeProperty('asyncgraph: stuck await')}`);
    const awaiting = leaf.awaiting.length > 0 ? ` awaiting ${leaf.awaiting.map(displayName).join(', ')}` : '';
    const where = location ? ` at ${formatLocation(location, style)}` : '';
    const context = [labels.join(', '), testFile ? `test file ${displayUrl(testFile, style)}` : ''].filter(Boolean).join('; ');
    const when = report.reason.kind === 'attach' ? '' : ` when the command ${reasonText(report.reason, options)}`;
    const message =
      `${displayName(leaf.frame)} is stuck${where}${awaiting}${count > 1 ? ` (${count} frames)` : ''}${when} (${context})`;
    lines.push(`::error ${properties.join(',')}::${escapeData(message)}`);
  }
  return lines;
}
