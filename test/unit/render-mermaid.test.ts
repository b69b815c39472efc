import { describe, expect, it } from 'vitest';
import { renderMermaid } from '../../src/render/mermaid.js';
import { documentOf, node, serviceDocument } from '../helpers/documents.js';

const GOLDEN = `\
flowchart TD
  %% pid 42, node v20.0.0 — 11 suspended frames, 4 pending promises, 1 await cycle
  %% an edge A --> B: A awaits B
  n10["poll<br/>(defined at jobs.js:5:16)"]
  n11[/".then(parse #34;quoted#34;)<br/>(defined at jobs.js:2:20)"/]
  n12(["Promise #60;pending#62;"])
  n1["main<br/>server.js:40:3"]
  n2{{"Promise.all"}}
  n3["handleRequest<br/>server.js:30:21<br/>× 2"]
  n5["Db.query<br/>db.js:12:5"]
  n7(["Promise #60;pending#62;"])
  n15["runEntryPointWithESMLoader<br/>node:internal/modules/run_main:117:5"]
  n16["module app.mjs<br/>app.mjs:3:1"]
  n17["loadSettings<br/>src/settings.ts:9:3"]
  n18(["Promise #60;pending#62;"])
  n13["stepA<br/>cycle.js:3:3"]
  n14["stepB<br/>cycle.js:8:3"]
  n10 --> n11
  n11 --> n12
  n1 --> n2
  n2 --> n3
  n3 --> n5
  n5 --> n7
  n15 --> n16
  n16 --> n17
  n17 --> n18
  n14 --> n13
  n13 --> n14
  classDef combinator fill:#fff3c4,stroke:#b58900
  classDef then fill:#f6e1f7,stroke:#a0479f
  classDef promise fill:#ffe5e5,stroke:#cc0000,color:#cc0000
  classDef internal color:#888888,stroke:#999999
  classDef group stroke-width:3px
  classDef cycle stroke:#cc0000,stroke-width:3px
  class n11 then
  class n12,n7,n18 promise
  class n2 combinator
  class n3 group
  class n15 internal
  class n13,n14 cycle
  linkStyle 9,10 stroke:#cc0000,stroke-width:3px
`;

/** The Mermaid subset renderMermaid writes, line by line; returns the problems found. */
function checkMermaid(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== 'flowchart TD') problems.push(`first line: ${lines[0]}`);
  if (lines.at(-1) !== '') problems.push('no final newline');
  const label = String.raw`"[^"\n]*"`;
  const shape = String.raw`(?:\[${label}\]|\{\{${label}\}\}|\[\/${label}\/\]|\(\[${label}\]\))`;
  const declared = new Set<string>();
  let edges = 0;
  let maxLinkStyle = -1;
  for (const line of lines.slice(1, -1)) {
    let match: RegExpExecArray | null;
    if (/^ {2}%% [^\n]*$/.test(line)) continue;
    if ((match = new RegExp(`^  (n\\d+)${shape}$`).exec(line))) {
      declared.add(match[1]);
      continue;
    }
    if ((match = /^ {2}(n\d+) --> (n\d+)$/.exec(line))) {
      if (!declared.has(match[1]) || !declared.has(match[2])) problems.push(`undeclared node in ${line}`);
      edges++;
      continue;
    }
    if (/^ {2}classDef \w+ [\w#:,-]+$/.test(line)) continue;
    if ((match = /^ {2}class ((?:n\d+,)*n\d+) \w+$/.exec(line))) {
      for (const id of match[1].split(',')) if (!declared.has(id)) problems.push(`class of undeclared ${id}`);
      continue;
    }
    if ((match = /^ {2}linkStyle ((?:\d+,)*\d+) [\w#:,-]+$/.exec(line))) {
      maxLinkStyle = Math.max(maxLinkStyle, ...match[1].split(',').map(Number));
      continue;
    }
    problems.push(`not a statement: ${line}`);
  }
  if (maxLinkStyle >= edges) problems.push(`linkStyle ${maxLinkStyle} but ${edges} edges`);
  return problems;
}

describe('renderMermaid', () => {
  it('draws the graph as a flowchart: shapes by kind, groups once with × N, cycle edges red (golden)', () => {
    expect(renderMermaid(serviceDocument(), { cwd: '/app' })).toBe(GOLDEN);
    expect(checkMermaid(GOLDEN)).toEqual([]);
  });

  it('escapes what would end or change a label', () => {
    const doc = documentOf([node({ id: 1, kind: 'async-function', name: 'a"b<c>&#d`', at: 'x.js:1:1' })]);
    const out = renderMermaid(doc);
    expect(out).toContain('n1["a#34;b#60;c#62;#38;#35;d#96;<br/>/app/x.js:1:1"]');
    expect(checkMermaid(out)).toEqual([]);
    expect(checkMermaid(renderMermaid(documentOf([])))).toEqual([]);
  });
});
