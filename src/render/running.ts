// The tree view's account of a document's `execution` (src/schema.ts): the state in the
// header, the running stack joined with its awaiters, the samples as a tiny profile, and the
// marker on the forest's nodes that are on the stack. Pure, like the rest of src/render.

import type { ChalkInstance } from 'chalk';
import type { AwaitGraphDocument, AwaitNode, Execution, ExecutionSample, StackFrame } from '../schema.js';
import { compareNodes, displayName } from '../document/order.js';
import { formatLocation, type LocationStyle } from './location.js';

/** Put before the forest label of a node whose generator is on the running stack. */
export const RUNNING_MARKER = '▶ ';

/** The header's words for the state: `running JavaScript`, `idle in event loop`, … */
export function executionStateText(execution: Execution): string {
  switch (execution.state) {
    case 'running':
      return 'running JavaScript';
    case 'idle':
      return 'idle in event loop';
    case 'blocked':
      return `blocked (no answer to a pause within ${execution.pauseTimeoutMs} ms)`;
    case 'paused':
      return 'paused in a debugger';
  }
}

/** The forest nodes that run on the stack, each with its frame. */
export function stackNodeIds(doc: AwaitGraphDocument): Map<number, StackFrame> {
  return new Map((doc.execution?.stack ?? []).flatMap((frame) => (frame.nodeId !== undefined ? [[frame.nodeId, frame] as const] : [])));
}

/**
 * The lines between the header and the forest: for a running (or debugger-paused) thread, the
 * chain `running: f ← g ← async h ← async main` and one line per frame; with several samples,
 * their profile. Nothing for a single idle or blocked round.
 */
export function executionLines(doc: AwaitGraphDocument, paint: ChalkInstance, style: LocationStyle): string[] {
  const execution = doc.execution;
  if (!execution) return [];
  const lines: string[] = [];
  if (execution.stack && execution.stack.length > 0) {
    const what = execution.state === 'paused' ? 'paused' : 'running';
    lines.push(paint.red.bold(`${what}:`) + ' ' + chainText(execution.stack, doc, paint));
    lines.push(...frameLines(execution.stack, paint, style));
  }
  if (execution.samples && execution.samples.length > 1) lines.push(...sampleLines(execution, execution.samples, paint, style));
  return lines;
}

function frameName(frame: StackFrame): string {
  if (frame.topLevel) return '(top level)';
  const name = frame.functionName || '(anonymous)';
  switch (frame.kind) {
    case 'async-function':
      return `async ${name}`;
    case 'async-generator':
      return `async* ${name}`;
    case 'module':
      return frame.location ? `module ${fileName(frame.location.url)}` : 'module';
    default:
      return name;
  }
}

function fileName(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || url;
}

/** A heap node in the chain: what awaits the stack's outermost async function. */
function awaiterName(node: AwaitNode): string {
  return node.kind === 'async-function' ? `async ${displayName(node)}` : displayName(node);
}

/**
 * Frame names innermost first, then the awaiters of the outermost async frame from the heap, up
 * to a root. Node's own frames are left out (a run of them in the middle becomes `…`; those at
 * the bottom, Node's bootstrap and loaders, are dropped), except the innermost frame.
 */
function chainText(stack: StackFrame[], doc: AwaitGraphDocument, paint: ChalkInstance): string {
  const parts: string[] = [];
  let skipped = false;
  stack.forEach((frame, i) => {
    if (i > 0 && frame.internal) {
      skipped = true;
      return;
    }
    if (skipped) parts.push(paint.dim('…'));
    skipped = false;
    // In the chain, the top level is named with its file (the frame lines show the path).
    const name = frame.topLevel && frame.location ? `(top level) ${fileName(frame.location.url)}` : frameName(frame);
    parts.push(i === 0 ? paint.red.bold(name) : frame.kind ? paint.bold(name) : name);
  });
  const outermost = [...stack].reverse().find((frame) => frame.nodeId !== undefined);
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const seen = new Set<number>();
  let node = outermost?.nodeId !== undefined ? byId.get(outermost.nodeId) : undefined;
  while (node && !seen.has(node.id)) {
    seen.add(node.id);
    const awaiters = node.awaitedBy.flatMap((id) => byId.get(id) ?? []).sort(compareNodes);
    if (awaiters.length === 0) break;
    node = awaiters[0];
    const more = awaiters.length > 1 ? paint.dim(` (+${awaiters.length - 1} more)`) : '';
    parts.push(paint.bold(awaiterName(node)) + more);
  }
  return parts.join(' ← ');
}

/** One line per frame; runs of Node's own frames folded into one line. */
function frameLines(stack: StackFrame[], paint: ChalkInstance, style: LocationStyle): string[] {
  const lines: string[] = [];
  let internalRun: StackFrame[] = [];
  const flush = () => {
    if (internalRun.length === 0) return;
    if (internalRun.length === 1) lines.push(frameLine(internalRun[0], false, paint, style));
    else lines.push(paint.dim(`    … ${internalRun.length} frames in Node.js internals`));
    internalRun = [];
  };
  stack.forEach((frame, i) => {
    if (i > 0 && frame.internal) {
      internalRun.push(frame);
      return;
    }
    flush();
    lines.push(frameLine(frame, i === 0, paint, style));
  });
  flush();
  return lines;
}

function frameLine(frame: StackFrame, busy: boolean, paint: ChalkInstance, style: LocationStyle): string {
  const name = frameName(frame);
  let text = busy ? paint.red.bold(name) : frame.kind ? paint.bold(name) : name;
  if (frame.location) text += '  ' + paint.cyan(formatLocation(frame.location, style));
  if (frame.internal && !busy) text = paint.dim(stripColor(text));
  return (busy ? paint.red.bold(RUNNING_MARKER) : '  ') + text;
}

/**
 * `samples: 5 every 100 ms — 4 running, 1 idle`, then each distinct stack with its count, most
 * frequent first: its innermost frame with location, then the names below it.
 */
function sampleLines(execution: Execution, samples: ExecutionSample[], paint: ChalkInstance, style: LocationStyle): string[] {
  const counts = new Map<string, number>();
  for (const sample of samples) counts.set(sample.state, (counts.get(sample.state) ?? 0) + 1);
  const order = ['running', 'idle', 'blocked', 'paused'] as const;
  const summary = order
    .filter((state) => counts.has(state) || state === 'running' || state === 'idle')
    .map((state) => `${counts.get(state) ?? 0} ${state}`)
    .join(', ');
  const lines = [paint.bold(`samples: ${samples.length}`) + paint.dim(` every ${execution.sampleIntervalMs ?? '?'} ms`) + ` — ${summary}`];
  const groups = new Map<string, { count: number; text: string; first: number }>();
  samples.forEach((sample, index) => {
    const key = sample.stack
      ? sample.stack.map((f) => `${f.functionName}@${f.location ? `${f.location.url}:${f.location.line}:${f.location.column}` : '?'}`).join('|')
      : `#${sample.state}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { count: 1, text: sampleText(sample, paint, style), first: index });
  });
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.first - b.first);
  const width = String(sorted[0]?.count ?? 0).length;
  for (const group of sorted) lines.push(`  ${String(group.count).padStart(width)}×  ${group.text}`);
  return lines;
}

function sampleText(sample: ExecutionSample, paint: ChalkInstance, style: LocationStyle): string {
  if (!sample.stack || sample.stack.length === 0) {
    return paint.dim(sample.state === 'idle' ? '(idle in event loop)' : sample.state === 'blocked' ? '(blocked)' : `(${sample.state})`);
  }
  const [top, ...rest] = sample.stack;
  let text = paint.red.bold(frameName(top));
  if (top.location) text += '  ' + paint.cyan(formatLocation(top.location, style));
  const below = rest.filter((frame) => !frame.internal).map(frameName);
  if (below.length > 0) text += ' ← ' + below.join(' ← ');
  return text;
}

function stripColor(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
