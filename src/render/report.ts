// The report of a whole process tree (`asyncgraph run` on timeout, `attach --children`): for each
// Node process and each of its worker threads, what is stuck (the leaf awaits), in which test
// file, then the full forest. Pure functions of the captured documents.

import { Chalk, type ChalkInstance } from 'chalk';
import { basename } from 'node:path';
import { FRAME_KINDS, type AwaitGraphDocument, type AwaitNode } from '../schema.js';
import { compareNodes, displayName } from '../document/order.js';
import { isInternalUrl } from '../document/document.js';
import { displayUrl, formatLocation, libraryPath, type LocationStyle } from './location.js';
import { renderTree } from './tree.js';
import { shortCommand } from '../target/command-line.js';
import type { ProcessReport, ThreadReport } from '../capture/capture-tree.js';
import { awaitsByPositionOf, childrenAt } from '../awaits/await-edges.js';

/** Version of the `--json-out` report (the documents inside keep their own schemaVersion). */
export const REPORT_VERSION = 1;

export type ReportReason =
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'signal'; signal: string }
  | { kind: 'attach' };

export interface TreeReport {
  reportVersion: typeof REPORT_VERSION;
  reason: ReportReason;
  /** The command `asyncgraph run` started, if any. */
  command?: string[];
  /** The process the tree hangs from. */
  rootPid: number;
  /** ISO 8601 time the captures started. */
  capturedAt: string;
  /** Node processes in tree order (parents before children). */
  processes: ProcessReport[];
}

// ---------------------------------------------------------------------------------------------
// Stuck leaves

/** Whose code a frame is in. */
export type CodeOrigin = 'user' | 'library' | 'internal' | 'unknown';

export interface StuckLeaf {
  /** A suspended async function, async generator or module with no suspended frame below it. */
  frame: AwaitNode;
  /** What it awaits directly: usually `Promise <pending>`, or a combinator / `.then` step. */
  awaiting: AwaitNode[];
  origin: CodeOrigin;
}

export function isFrame(node: AwaitNode): boolean {
  return FRAME_KINDS.has(node.kind);
}

export function codeOrigin(node: AwaitNode): CodeOrigin {
  const url = node.location?.url;
  if (node.internal || (url !== undefined && isInternalUrl(url))) return 'internal';
  if (!url) return 'unknown';
  if (/[/\\]node_modules[/\\]/.test(url)) return 'library';
  return 'user';
}

const ORIGIN_RANK: Record<CodeOrigin, number> = { user: 0, library: 1, unknown: 2, internal: 3 };

/**
 * The awaits that are actually stuck: every suspended frame that does not (through combinators,
 * `.then` steps or promises) await another suspended frame, with what it awaits. User code first,
 * then libraries (node_modules), then Node's own; in source order within each.
 */
export function stuckLeaves(doc: AwaitGraphDocument): StuckLeaf[] {
  const graph = awaitsByPositionOf(doc.nodes);
  const awaitsOf = (node: AwaitNode) => {
    const at = graph.position.get(node.id);
    return at === -1 ? [] : childrenAt(doc.nodes, graph, at);
  };
  const leaves: StuckLeaf[] = [];
  for (const frame of doc.nodes) {
    // The frame running JavaScript right now is busy, not stuck (src/render/running.ts shows it).
    if (!isFrame(frame) || frame.state === 'running') continue;
    const direct = awaitsOf(frame);
    // A frame awaited directly (most frames of a chain): not a leaf, no walk needed.
    if (direct.some(isFrame)) continue;
    // Walk down through non-frames; the first frame found means this one is not a leaf.
    const seen = new Set<number>([frame.id]);
    const work = [...direct];
    let awaitsFrame = false;
    while (work.length > 0 && !awaitsFrame) {
      const node = work.pop()!;
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      if (isFrame(node)) awaitsFrame = true;
      else work.push(...awaitsOf(node));
    }
    if (!awaitsFrame) leaves.push({ frame, awaiting: [...direct].sort(compareNodes), origin: codeOrigin(frame) });
  }
  return leaves.sort((a, b) => ORIGIN_RANK[a.origin] - ORIGIN_RANK[b.origin] || compareNodes(a.frame, b.frame));
}

// ---------------------------------------------------------------------------------------------
// Test files

const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/i;
const TEST_DIR = /(^|\/)(test|tests|__tests__|spec)\//;

/**
 * Whether a path or file URL looks like a test file: `*.test.*` or `*.spec.*` (`strict`), or also
 * any script under a `test/`, `tests/`, `__tests__/` or `spec/` directory. Directories are looked
 * for below `cwd` when the file is there (a checkout may itself live in a directory named test).
 */
export function isTestFile(pathOrUrl: string, options: { strict?: boolean; cwd?: string } = {}): boolean {
  let path = pathOrUrl;
  if (path.startsWith('file://')) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      return false;
    }
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    return false; // node:, http:, …
  }
  path = path.replace(/[?#].*$/, '');
  if (/(^|\/)node_modules\//.test(path) || !/\.[cm]?[jt]sx?$/i.test(path)) return false;
  if (TEST_FILE.test(path)) return true;
  if (options.strict) return false;
  const cwd = options.cwd?.replace(/\/+$/, '');
  const below = cwd && path.startsWith(cwd + '/') ? path.slice(cwd.length + 1) : path;
  return TEST_DIR.test(below);
}

/**
 * The test files a thread is running, as file URLs or paths: from its stuck leaves first, then
 * from any other frame, then from the command line (`node --test` starts one process per test
 * file, with the file as an argument). `*.test.*`/`*.spec.*` names win; files that are only under
 * a test directory count when there are none. Empty when it does not look like a test worker.
 */
export function testFilesOf(doc: AwaitGraphDocument | undefined, argv: readonly string[] = [], cwd?: string): string[] {
  const candidates: string[] = [];
  if (doc) {
    for (const leaf of stuckLeaves(doc)) if (leaf.frame.location) candidates.push(leaf.frame.location.url);
    for (const node of doc.nodes) if (isFrame(node) && node.location) candidates.push(node.location.url);
  }
  const fromArgv = argv.slice(1).filter((arg) => !arg.startsWith('-'));
  for (const strict of [true, false]) {
    const found: string[] = [];
    for (const file of candidates) if (isTestFile(file, { strict, cwd }) && !found.includes(file)) found.push(file);
    // The same file as a URL and as a (possibly relative) path counts once.
    const paths = found.map((file) => displayUrl(file, {}));
    for (const arg of fromArgv) {
      if (!isTestFile(arg, { strict, cwd })) continue;
      const relative = arg.replace(/^(\.\/)+/, '');
      if (!found.includes(arg) && !paths.some((path) => path === arg || path.endsWith(`/${relative}`))) found.push(arg);
    }
    if (found.length > 0) return found;
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Text

export interface ReportOptions extends LocationStyle {
  colors: boolean;
  /** At most this many stuck leaves listed per thread (default 10); the forest shows them all. */
  maxLeaves?: number;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh']);

/**
 * The script of a shell run as `bash [options] -c SCRIPT` (how the GitHub Action runs a step's
 * command), else undefined: in a heading, `npm test` says more than the wrapper around it.
 */
export function shellScript(argv: readonly string[]): string | undefined {
  if (argv.length < 3 || !SHELLS.has(basename(argv[0]))) return undefined;
  return argv[argv.length - 2] === '-c' ? argv[argv.length - 1] : undefined;
}

/**
 * What a worker is, after `worker N of process P: `: its entry file (`vitest/dist/workers/threads.js`),
 * after its name when it has one (`new Worker(file, { name })`). Node's own title, `[worker N]`,
 * would only repeat the heading.
 */
export function workerTitle(worker: { workerId: string; title: string; url: string }, style: LocationStyle): string {
  const file = worker.url ? libraryPath(displayUrl(worker.url, style)) : '';
  const name = worker.title.replace(/^\[worker \d+\]\s*/, '');
  return [name, file].filter(Boolean).join(', ') || worker.title;
}

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** The leaves worth listing: Node's own only when there is nothing else (the forest has them all). */
export function notableLeaves(leaves: readonly StuckLeaf[]): StuckLeaf[] {
  const outside = leaves.filter((leaf) => leaf.origin !== 'internal');
  return outside.length > 0 ? outside : [...leaves];
}

/** The leaves grouped by place: the same await in the same function counts once, with a count. */
export function groupLeaves(leaves: readonly StuckLeaf[]): { leaf: StuckLeaf; count: number }[] {
  const groups = new Map<string, { leaf: StuckLeaf; count: number }>();
  for (const leaf of leaves) {
    const where = leaf.frame.location ? `${leaf.frame.location.url}:${leaf.frame.location.line}:${leaf.frame.location.column}` : '';
    const key = `${displayName(leaf.frame)}@${where}→${leaf.awaiting.map(displayName).join(',')}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { leaf, count: 1 });
  }
  return [...groups.values()];
}

/** `waitForJob  test/hang.test.js:16:15  awaiting Promise <pending>` */
export function leafLine(leaf: StuckLeaf, count: number, paint: ChalkInstance, style: LocationStyle): string {
  let text = leaf.origin === 'user' ? paint.bold(displayName(leaf.frame)) : displayName(leaf.frame);
  if (leaf.frame.location) {
    const where = formatLocation(leaf.frame.location, style);
    text += '  ' + (leaf.frame.locationSource === 'definition' ? paint.dim(`(defined at ${where})`) : paint.cyan(where));
  }
  if (leaf.awaiting.length > 0) text += paint.dim('  awaiting ') + leaf.awaiting.map((node) => paint.red(displayName(node))).join(', ');
  if (count > 1) text += paint.dim(`  ×${count}`);
  if (leaf.origin === 'library') text += paint.dim('  (library)');
  if (leaf.origin === 'internal') text += paint.dim('  (node internals)');
  return text;
}

interface Thread {
  /** `pid 4242` or `pid 4240 worker 1` */
  label: string;
  heading: string;
  report: ThreadReport;
  argv: readonly string[];
  leaves: StuckLeaf[];
  testFiles: string[];
}

/** Every thread of the report (each process, then its workers), with its leaves and test files. */
function threadsOf(report: TreeReport, style: LocationStyle): Thread[] {
  const threads: Thread[] = [];
  for (const proc of report.processes) {
    const parent = proc.ppid !== null ? `, parent ${proc.ppid}` : '';
    threads.push({
      label: `pid ${proc.pid}`,
      heading: `process ${proc.pid}${parent}: ${shortCommand(proc.argv, style)}`,
      report: proc,
      argv: proc.argv,
      leaves: proc.document ? stuckLeaves(proc.document) : [],
      testFiles: testFilesOf(proc.document, proc.argv, style.cwd),
    });
    for (const worker of proc.workers) {
      threads.push({
        label: `pid ${proc.pid} worker ${worker.workerId}`,
        heading: `worker ${worker.workerId} of process ${proc.pid}: ${workerTitle(worker, style)}`,
        report: worker,
        argv: [],
        leaves: worker.document ? stuckLeaves(worker.document) : [],
        testFiles: testFilesOf(worker.document, [], style.cwd),
      });
    }
  }
  return threads;
}

/**
 * The stuck awaits worth reading first, across the whole tree: user code if any thread has
 * some, else library code, else Node's own.
 */
function headlineLeaves(threads: Thread[]): { thread: Thread; leaf: StuckLeaf; count: number }[] {
  for (const origins of [['user'], ['library', 'unknown'], ['internal']] as CodeOrigin[][]) {
    const picked = threads.flatMap((thread) =>
      groupLeaves(thread.leaves.filter((leaf) => origins.includes(leaf.origin))).map((group) => ({ thread, ...group })),
    );
    if (picked.length > 0) return picked;
  }
  return [];
}

function describeReason(reason: ReportReason, durationText: (ms: number) => string): string {
  switch (reason.kind) {
    case 'timeout':
      return `timed out after ${durationText(reason.timeoutMs)}`;
    case 'signal':
      return `received ${reason.signal}`;
    default:
      return 'attached';
  }
}

/**
 * The whole report as text: first the stuck awaits of every thread (user code first) with the
 * test file each is in, then per process and worker its stuck leaves and full forest.
 */
export function renderTreeReport(report: TreeReport, options: ReportOptions): string {
  const paint = new Chalk({ level: options.colors ? 1 : 0 });
  const style: LocationStyle = { cwd: options.cwd };
  const threads = threadsOf(report, style);
  const out: string[] = [];
  if (report.reason.kind === 'attach') {
    const workers = report.processes.reduce((sum, proc) => sum + proc.workers.length, 0);
    const counts = plural(report.processes.length, 'Node process', 'Node processes') + (workers > 0 ? `, ${plural(workers, 'worker thread')}` : '');
    out.push(paint.bold(`process tree of pid ${report.rootPid}`) + paint.dim(` — ${counts}`), '');
  }

  const headline = headlineLeaves(threads);
  if (headline.length > 0) {
    out.push(paint.bold('Stuck awaits:'));
    for (const { thread, leaf, count } of headline) {
      out.push('  ' + leafLine(leaf, count, paint, style));
      const file = thread.testFiles[0];
      out.push(paint.dim(`      in ${thread.label}${file ? `, test file ${displayUrl(file, style)}` : ''}`));
    }
  } else if (threads.some((thread) => thread.report.document)) {
    out.push(paint.bold('Stuck awaits: none found') + paint.dim(' (no suspended async function in any process)'));
  }
  const failed = threads.filter((thread) => thread.report.error);
  if (failed.length > 0) out.push(paint.yellow(`Not captured: ${failed.map((thread) => thread.label).join(', ')} (see below)`));

  const maxLeaves = options.maxLeaves ?? 10;
  for (const thread of threads) {
    out.push('');
    out.push(paint.bold(`── ${thread.heading}`));
    if (thread.testFiles.length > 0) out.push(`test file: ${thread.testFiles.map((file) => displayUrl(file, style)).join(', ')}`);
    if (thread.report.error) {
      out.push(paint.yellow(`capture failed: ${thread.report.error}`));
      continue;
    }
    if (thread.report.skipped) {
      out.push(paint.dim(thread.report.skipped));
      continue;
    }
    const doc = thread.report.document;
    if (!doc) continue;
    const notable = notableLeaves(thread.leaves);
    const groups = groupLeaves(notable);
    if (groups.length > 0) {
      const hidden = thread.leaves.length - notable.length;
      out.push(`stuck (${plural(notable.length, 'leaf await')}${hidden > 0 ? paint.dim(`, and ${hidden} in Node internals`) : ''}):`);
      for (const { leaf, count } of groups.slice(0, maxLeaves)) out.push('  ' + leafLine(leaf, count, paint, style));
      if (groups.length > maxLeaves) out.push(paint.dim(`  … and ${groups.length - maxLeaves} more (see the forest)`));
    }
    out.push(renderTree(doc, { colors: options.colors, cwd: options.cwd }).replace(/\n$/, ''));
    // What came out less precise (an optional step failed or ran out of time).
    for (const note of doc.notes ?? []) out.push(paint.dim(`note: ${note}`));
  }
  const withWorkersError = report.processes.filter((proc) => proc.workersError);
  for (const proc of withWorkersError) out.push(paint.yellow(`pid ${proc.pid}: worker threads not listed: ${proc.workersError}`));
  return out.join('\n') + '\n';
}

/** The banner line that precedes a report: `asyncgraph: command timed out after 5s — …`. */
export function reportBanner(reason: ReportReason, nodeProcessCount: number, durationText: (ms: number) => string): string {
  const what =
    reason.kind === 'timeout'
      ? `asyncgraph: command ${describeReason(reason, durationText)} —`
      : reason.kind === 'signal'
        ? `asyncgraph: ${describeReason(reason, durationText)}, stopping the command —`
        : 'asyncgraph:';
  if (nodeProcessCount === 0) return `${what} no Node.js process is left in its process tree`;
  const graphs = nodeProcessCount === 1 ? 'the await graph of 1 Node process follows' : `await graphs of ${nodeProcessCount} Node processes follow`;
  return `${what} ${graphs}`;
}

/** The report as JSON (`--json-out`): the tree report with every await graph document inside. */
export function renderTreeReportJson(report: TreeReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** Stuck leaves and test files for the Markdown/annotation renderers. */
export function reportThreads(report: TreeReport, style: LocationStyle): Pick<Thread, 'label' | 'heading' | 'report' | 'leaves' | 'testFiles'>[] {
  return threadsOf(report, style);
}
