import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderDot } from '../../src/render/dot.js';
import { documentOf, node, serviceDocument } from '../helpers/documents.js';

const GOLDEN = `\
digraph asyncgraph {
  graph [label="pid 42, node v20.0.0 — 11 suspended frames, 4 pending promises, 1 await cycle", labelloc=t, fontname="Helvetica", rankdir=TB];
  node [shape=box, fontname="Helvetica", fontsize=11];
  edge [color="#555555"];
  // an edge A -> B: A awaits B
  n10 [label="poll\\n(defined at jobs.js:5:16)", style="rounded"];
  n11 [label=".then(parse \\"quoted\\")\\n(defined at jobs.js:2:20)", style="rounded,filled", fillcolor="#f6e1f7", color="#a0479f"];
  n12 [label="Promise <pending>", shape=ellipse, color="#cc0000", fontcolor="#cc0000"];
  n1 [label="main\\nserver.js:40:3", style="rounded"];
  n2 [label="Promise.all", style="rounded,filled", fillcolor="#fff3c4", color="#b58900"];
  n3 [label="handleRequest\\nserver.js:30:21\\n× 2", style="rounded", peripheries=2];
  n5 [label="Db.query\\ndb.js:12:5", style="rounded"];
  n7 [label="Promise <pending>", shape=ellipse, color="#cc0000", fontcolor="#cc0000"];
  n15 [label="runEntryPointWithESMLoader\\nnode:internal/modules/run_main:117:5", style="rounded", color="#999999", fontcolor="#999999"];
  n16 [label="module app.mjs\\napp.mjs:3:1", style="rounded,bold"];
  n17 [label="loadSettings\\nsrc/settings.ts:9:3", style="rounded"];
  n18 [label="Promise <pending>", shape=ellipse, color="#cc0000", fontcolor="#cc0000"];
  n13 [label="stepA\\ncycle.js:3:3", style="rounded", color="#cc0000", penwidth=2];
  n14 [label="stepB\\ncycle.js:8:3", style="rounded", color="#cc0000", penwidth=2];
  n10 -> n11;
  n11 -> n12;
  n1 -> n2;
  n2 -> n3;
  n3 -> n5;
  n5 -> n7;
  n15 -> n16;
  n16 -> n17;
  n17 -> n18;
  n14 -> n13 [color="#cc0000", penwidth=2];
  n13 -> n14 [color="#cc0000", penwidth=2];
}
`;

/**
 * A strict check of the subset of DOT renderDot writes: statements one per line, attribute lists
 * of key=value with values that are identifiers, numbers or properly escaped strings, and edges
 * only between declared nodes. Returns the problems found.
 */
export function checkDot(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== 'digraph asyncgraph {') problems.push(`first line: ${lines[0]}`);
  if (lines.at(-1) !== '' || lines.at(-2) !== '}') problems.push('does not end with "}" and a newline');
  const value = String.raw`(?:"(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)`;
  const attributes = String.raw`\[(?:\w+=${value})(?:, \w+=${value})*\]`;
  const declared = new Set<string>();
  const edges: [string, string][] = [];
  for (const line of lines.slice(1, -2)) {
    let match: RegExpExecArray | null;
    if (new RegExp(`^  (?:graph|node|edge) ${attributes};$`).test(line) || /^ {2}\/\/ [^\n]*$/.test(line)) continue;
    if ((match = new RegExp(`^  (n\\d+) ${attributes};$`).exec(line))) {
      if (declared.has(match[1])) problems.push(`declared twice: ${match[1]}`);
      declared.add(match[1]);
      continue;
    }
    if ((match = new RegExp(`^  (n\\d+) -> (n\\d+)(?: ${attributes})?;$`).exec(line))) {
      edges.push([match[1], match[2]]);
      continue;
    }
    problems.push(`not a statement: ${line}`);
  }
  for (const [from, to] of edges) {
    if (!declared.has(from) || !declared.has(to)) problems.push(`edge between undeclared nodes: ${from} -> ${to}`);
  }
  return problems;
}

const graphviz = spawnSync('dot', ['-V'], { encoding: 'utf8' }).error === undefined;

describe('renderDot', () => {
  it('draws the graph: kinds styled, groups once with × N, cycles red (golden)', () => {
    expect(renderDot(serviceDocument(), { cwd: '/app' })).toBe(GOLDEN);
  });

  it('writes DOT that passes the strict structural check', () => {
    expect(checkDot(GOLDEN)).toEqual([]);
    expect(checkDot(renderDot(documentOf([])))).toEqual([]);
    // The check catches what it should.
    expect(checkDot(GOLDEN.replace('"poll', '"po"ll'))).not.toEqual([]);
    expect(checkDot(GOLDEN.replace('n10 -> n11;', 'n10 -> n99;'))).not.toEqual([]);
  });

  it('escapes names that would break a DOT string', () => {
    const doc = documentOf([node({ id: 1, kind: 'async-function', name: 'we"ird\\name\n{x}', at: 'x.js:1:1' })]);
    const dot = renderDot(doc);
    expect(dot).toContain('label="we\\"ird\\\\name\\n{x}\\n/app/x.js:1:1"');
    expect(checkDot(dot)).toEqual([]);
  });

  it.runIf(graphviz)('renders with Graphviz (dot -Tsvg)', () => {
    for (const doc of [serviceDocument(), documentOf([]), documentOf([node({ id: 1, kind: 'async-function', name: 'we"ird\\', at: 'x.js:1:1' })])]) {
      const result = spawnSync('dot', ['-Tsvg'], { input: renderDot(doc, { cwd: '/app' }), encoding: 'utf8', timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('<svg');
    }
    const svg = spawnSync('dot', ['-Tsvg'], { input: GOLDEN, encoding: 'utf8' }).stdout;
    expect(svg).toContain('handleRequest');
    expect(svg).toContain('× 2');
  });
});
