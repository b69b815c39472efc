// `--format mermaid`: the await graph as a Mermaid flowchart, which GitHub, GitLab and many
// editors render inside a ```mermaid block. Edges point from the awaiter to what it awaits; await
// cycles are red; identical sibling subtrees are drawn once, labelled `× N`. Pure.

import type { AwaitGraphDocument, AwaitNode } from '../schema.js';
import type { LocationStyle } from './location.js';
import { drawableGraph, graphTitle, nodeLabelLines } from './graph-common.js';

export type MermaidOptions = Pick<LocationStyle, 'cwd'>;

/** Node shapes by kind: `[...]` box, `{{...}}` hexagon, `([...])` stadium. */
const SHAPES: Record<AwaitNode['kind'], [string, string]> = {
  'async-function': ['[', ']'],
  'async-generator': ['[', ']'],
  module: ['[', ']'],
  combinator: ['{{', '}}'],
  then: ['[/', '/]'],
  promise: ['([', '])'],
};

const CLASSES = [
  'classDef combinator fill:#fff3c4,stroke:#b58900',
  'classDef then fill:#f6e1f7,stroke:#a0479f',
  'classDef promise fill:#ffe5e5,stroke:#cc0000,color:#cc0000',
  'classDef internal color:#888888,stroke:#999999',
  'classDef group stroke-width:3px',
  'classDef cycle stroke:#cc0000,stroke-width:3px',
];

export function renderMermaid(doc: AwaitGraphDocument, options: MermaidOptions = {}): string {
  const { nodes, counts, visible, cycleEdges: cycles, onCycle } = drawableGraph(doc);
  const out = ['flowchart TD', `  %% ${escapeComment(graphTitle(doc))}`, '  %% an edge A --> B: A awaits B'];
  const classes = new Map<string, number[]>();
  const classify = (name: string, id: number) => classes.set(name, [...(classes.get(name) ?? []), id]);
  for (const node of nodes) {
    const lines = nodeLabelLines(node, counts, options);
    const count = counts.get(node.id);
    const [open, close] = SHAPES[node.kind];
    out.push(`  n${node.id}${open}"${lines.map(escapeLabel).join('<br/>')}"${close}`);
    if (node.kind === 'combinator' || node.kind === 'then' || node.kind === 'promise') classify(node.kind, node.id);
    if (node.internal) classify('internal', node.id);
    if (count) classify('group', node.id);
    if (onCycle.has(node.id)) classify('cycle', node.id);
  }
  const red: number[] = [];
  let edgeIndex = 0;
  for (const node of nodes) {
    for (const awaiter of node.awaitedBy) {
      if (!visible.has(awaiter)) continue;
      if (cycles.has(`${awaiter}>${node.id}`)) red.push(edgeIndex);
      out.push(`  n${awaiter} --> n${node.id}`);
      edgeIndex++;
    }
  }
  if (classes.size > 0) {
    for (const line of CLASSES) if (classes.has(line.split(' ')[1])) out.push(`  ${line}`);
    for (const [name, ids] of classes) out.push(`  class ${ids.map((id) => `n${id}`).join(',')} ${name}`);
  }
  if (red.length > 0) out.push(`  linkStyle ${red.join(',')} stroke:#cc0000,stroke-width:3px`);
  return out.join('\n') + '\n';
}

/** Mermaid entity codes for what would end or change a quoted label. */
function escapeLabel(text: string): string {
  return text.replace(/[#"<>&`]/g, (char) => `#${char.codePointAt(0)};`);
}

function escapeComment(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
