// `--format dot`: the await graph for Graphviz (`asyncgraph attach PID --format dot | dot -Tsvg >
// graph.svg`). Edges point from the awaiter to what it awaits, as the tree reads top down; await
// cycles are red; identical sibling subtrees are drawn once, labelled `× N`. Pure.

import type { AwaitGraphDocument, AwaitNode } from '../schema.js';
import type { LocationStyle } from './location.js';
import { drawableGraph, graphTitle, nodeLabelLines } from './graph-common.js';

export type DotOptions = Pick<LocationStyle, 'cwd'>;

const KIND_STYLE: Record<AwaitNode['kind'], string> = {
  'async-function': 'style="rounded"',
  'async-generator': 'style="rounded"',
  module: 'style="rounded,bold"',
  combinator: 'style="rounded,filled", fillcolor="#fff3c4", color="#b58900"',
  then: 'style="rounded,filled", fillcolor="#f6e1f7", color="#a0479f"',
  promise: 'shape=ellipse, color="#cc0000", fontcolor="#cc0000"',
};

export function renderDot(doc: AwaitGraphDocument, options: DotOptions = {}): string {
  const { nodes, counts, visible, cycleEdges: cycles, onCycle } = drawableGraph(doc);
  const out = [
    'digraph asyncgraph {',
    `  graph [label=${quote(graphTitle(doc))}, labelloc=t, fontname="Helvetica", rankdir=TB];`,
    '  node [shape=box, fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555"];',
    '  // an edge A -> B: A awaits B',
  ];
  for (const node of nodes) {
    const lines = nodeLabelLines(node, counts, options);
    const count = counts.get(node.id);
    const attributes = [`label=${quote(lines.join('\n'))}`, KIND_STYLE[node.kind]];
    if (node.internal) attributes.push('color="#999999", fontcolor="#999999"');
    if (count) attributes.push('peripheries=2');
    if (onCycle.has(node.id)) attributes.push('color="#cc0000", penwidth=2');
    out.push(`  n${node.id} [${attributes.join(', ')}];`);
  }
  for (const node of nodes) {
    for (const awaiter of node.awaitedBy) {
      if (!visible.has(awaiter)) continue;
      const style = cycles.has(`${awaiter}>${node.id}`) ? ' [color="#cc0000", penwidth=2]' : '';
      out.push(`  n${awaiter} -> n${node.id}${style};`);
    }
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** A DOT double-quoted string: `"` and `\` escaped, newlines as centred line breaks. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}
