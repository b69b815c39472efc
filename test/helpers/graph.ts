// Readable views of the CLI's output for assertions: the tree without its header, the JSON
// document as one canonical line per node, and the awaited-by edges of either.

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { AwaitGraphDocument, AwaitNode } from '../../src/schema.js';
import { describeRun, expectAlive, REPO_ROOT, runCli, type Spawned } from './processes.js';
import { displayName } from '../../src/document/order.js';
import { CAPTURE_COST_PREFIX } from '../../src/render/capture-cost.js';

export type { AwaitGraphDocument, AwaitNode };

/**
 * The default 1 s location budget covers the graph fixtures on an idle machine (the combinators
 * one needs ~200 ms for its 11 lookups), but not on a loaded one: with several captures at once
 * on 2 cores, lookups get 5x slower and the last frames fall back to their definition. The budget
 * is not what the graph tests are about, so they give it room; inspector-flags.test.ts captures
 * with the default budget.
 */
export const CAPTURE_FLAGS = ['--location-budget', '10000'];

/**
 * `attach --no-color` of a fixture target: it exits 0 with nothing on stderr and the header of
 * this pid, Node major and (when given) counts; the target still answers afterwards. Returns the
 * tree below the header, and the run described for assertion messages.
 */
export async function attachTree(target: Spawned, major: number, counts?: string): Promise<{ body: string; context: string }> {
  const run = await runCli(['attach', String(target.pid), '--no-color', ...CAPTURE_FLAGS]);
  const context = describeRun(run);
  expect(run.code, context).toBe(0);
  expect(run.stderr, context).toBe('');
  const { header, body } = splitTree(run.stdout);
  expect(header, context).toMatch(headerPattern(target.pid, major, counts));
  await expectAlive(target);
  return { body, context };
}

/** `attach --json` of a fixture target: it exits 0 and the target still answers afterwards. Returns the document. */
export async function attachDocument(target: Spawned): Promise<{ doc: AwaitGraphDocument; context: string }> {
  const run = await runCli(['attach', String(target.pid), '--json', ...CAPTURE_FLAGS]);
  const context = describeRun(run);
  expect(run.code, context).toBe(0);
  const doc = parseDocument(run.stdout);
  await expectAlive(target);
  return { doc, context };
}

/** Splits `attach` output into its header line and the tree below it (and the capture cost line, if any). */
export function splitTree(stdout: string): { header: string; body: string; cost?: string } {
  const newline = stdout.indexOf('\n');
  if (newline < 0) return { header: stdout, body: '' };
  // The capture cost line (src/render/capture-cost.ts) closes the header block: not part of the forest.
  const lines = stdout.slice(newline + 1).split('\n');
  const at = lines.findIndex((line) => line.startsWith(CAPTURE_COST_PREFIX));
  const cost = at >= 0 ? lines.splice(at, 1)[0] : undefined;
  return { header: stdout.slice(0, newline), body: lines.join('\n'), ...(cost !== undefined ? { cost } : {}) };
}

/** `pid 123, node v22.1.0 — 3 suspended frames, 1 pending promise[, 1 await cycle]` */
export function headerPattern(pid: number, major: number, counts?: string): RegExp {
  const rest = counts ? escapeRegExp(counts) : '\\d+ suspended frames?, \\d+ pending promises?(, \\d+ await cycles?)?';
  return new RegExp(`^pid ${pid}, node v${major}\\.\\d+\\.\\d+ — (?:idle in event loop, )?${rest}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Joins expected tree lines, with the trailing newline the CLI prints. */
export function treeText(lines: string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** A location as the tree prints it: paths relative to the repo root, others (node:…) as they are. */
export function displayLocation(location: AwaitNode['location']): string {
  if (!location) return '-';
  let where = location.url;
  if (where.startsWith('file://')) {
    const path = fileURLToPath(where);
    const rel = relative(REPO_ROOT, path);
    where = rel.startsWith('..') ? path : rel;
  }
  return `${where}:${location.line}:${location.column}`;
}

/** The label a node gets in the tree (without its location). */
export const label = displayName;

export function parseDocument(stdout: string): AwaitGraphDocument {
  try {
    return JSON.parse(stdout) as AwaitGraphDocument;
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}\n${stdout}`);
  }
}

/**
 * One line per node, sorted:
 *   `<kind> <name>[ (<qualifiedName>)][ [<combinator|thenMethod>]][ [via handler]][ {<transpiled>}] <location> <locationSource> ← <awaiter labels>`
 * Internal nodes (Node's own code) are folded into `<internal>` when `foldInternal` is set:
 * their names and lines differ between Node versions.
 */
export function canonicalDocument(doc: AwaitGraphDocument, { foldInternal = false } = {}): string {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const awaiterLabel = (id: number) => {
    const node = byId.get(id);
    if (!node) return `?${id}`;
    return foldInternal && node.internal ? '<internal>' : label(node);
  };
  const lines = doc.nodes
    .filter((node) => !(foldInternal && node.internal))
    .map((node) => {
      const parts = [node.kind, node.name];
      if (node.qualifiedName) parts.push(`(${node.qualifiedName})`);
      if (node.combinator) parts.push(`[${node.combinator}]`);
      if (node.thenMethod) parts.push(`[${node.thenMethod}]`);
      if (node.viaHandler) parts.push('[via handler]');
      if (node.transpiled) parts.push(`{${node.transpiled}}`);
      parts.push(displayLocation(node.location), node.locationSource);
      const awaiters = node.awaitedBy.map(awaiterLabel).sort();
      return `${parts.join(' ')} ← ${awaiters.length > 0 ? awaiters.join(', ') : '(root)'}`;
    });
  return lines.sort().join('\n');
}

/** `awaited ← awaiter` label pairs of the JSON document, sorted. */
export function documentEdges(doc: AwaitGraphDocument): string[] {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const edges: string[] = [];
  for (const node of doc.nodes) {
    for (const awaiter of node.awaitedBy) {
      const by = byId.get(awaiter);
      edges.push(`${label(node)} ← ${by ? label(by) : `?${awaiter}`}`);
    }
  }
  return edges.sort();
}

const TREE_LINE = /^((?:│   |    )*)(?:├── |└── )(.*)$/;

/**
 * `awaited ← awaiter` label pairs drawn in a tree body (header removed), sorted. `cycle:` lines
 * are skipped; `↻ X (await cycle)` is an edge to X; `(shown above)` is an edge to the node.
 */
export function treeEdges(body: string): string[] {
  const edges: string[] = [];
  const parents: string[] = [];
  for (const line of body.split('\n')) {
    const m = TREE_LINE.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    let text = m[2];
    const cycle = /^↻ (.*) \(await cycle\)$/.exec(text);
    if (cycle) text = cycle[1];
    // "name  location[  (shown above)]": the label ends at the first double space.
    const name = text.split('  ')[0];
    parents.length = depth;
    if (depth > 0) edges.push(`${name} ← ${parents[depth - 1]}`);
    parents.push(name);
  }
  return edges.sort();
}

/**
 * For the ESM fixture: the tree lines from the first line matching `start` on, un-indented to
 * that line's depth, plus the lines above it (the loader's frames).
 */
export function subtreeFrom(body: string, start: RegExp): { above: string[]; subtree: string } {
  const lines = body.split('\n');
  const index = lines.findIndex((line) => start.test(line));
  if (index < 0) return { above: lines, subtree: '' };
  const indent = TREE_LINE.exec(lines[index])?.[1].length ?? 0;
  const subtree = lines
    .slice(index)
    .map((line) => (TREE_LINE.test(line) ? line.slice(indent) : line))
    .join('\n');
  return { above: lines.slice(0, index), subtree };
}

/** The source text at a 1-based line:column of a fixture file, to the end of that line. */
export function sourceAt(relativePath: string, line: number, column: number): string {
  const text = readFileSync(join(REPO_ROOT, relativePath), 'utf8').split('\n')[line - 1] ?? '';
  return text.slice(column - 1);
}

/** What `fixtures/nested.js` prints: the tree's header counts and its body. */
export const NESTED_EXPECTED = {
  counts: '3 suspended frames, 1 pending promise',
  tree: [
    '└── outer  fixtures/nested.js:18:3',
    '    └── middle  fixtures/nested.js:14:3',
    '        └── inner  fixtures/nested.js:10:3',
    '            └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
    'keeping the event loop alive:',
    '  stdin, reading',
  ],
};
