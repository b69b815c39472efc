import { Chalk, type ChalkInstance } from 'chalk';
import { FRAME_KINDS, type AwaitGraphDocument, type AwaitNode, type DocumentFilter } from '../schema.js';
import { filterText, viewCounts } from '../views/filter.js';
import { compareNodes, displayName } from '../document/order.js';
import { collapseSiblings, representative } from '../views/collapse.js';
import { formatLocation, type LocationStyle } from './location.js';
import { groupedNodeIds, keepAliveLines, wakeupSuffix } from './wakeup.js';
import { executionLines, executionStateText, RUNNING_MARKER, stackNodeIds } from './running.js';
import { captureCostLines } from './capture-cost.js';
import { awaitsByPositionOf, childrenAt, nodesById } from '../awaits/await-edges.js';
import { observerSteps } from '../document/observers.js';
import { signaturesAt } from '../document/sibling-groups.js';

/** Deeper levels are drawn with only the innermost KEPT_DEPTH levels of indentation. */
const MAX_DRAWN_DEPTH = 64;
const KEPT_DEPTH = 16;

export interface TreeOptions extends LocationStyle {
  colors: boolean;
  /** Print identical sibling subtrees once, with `× N` (default true). */
  collapse?: boolean;
  /**
   * The document before the view's filters (`doc` is filtered): keep-alive lines name the frames
   * a handle wakes even when the filters hid them.
   */
  unfiltered?: AwaitGraphDocument;
  /** Say under the tree how to buy exact locations (default true; the CLI's --location-budget). */
  locationNote?: boolean;
}

/**
 * The awaited-by forest, pstree style: each root is something nobody awaits, and under each
 * node hang the things it awaits. A node awaited from several places is drawn in full once
 * and referred to afterwards; nodes only reachable through a cycle are drawn from the cycle.
 */
export function renderTree(doc: AwaitGraphDocument, options: TreeOptions): string {
  const paint = new Chalk({ level: options.colors ? 1 : 0 });
  // The list's edges and signatures are computed once per document (awaitsByPositionOf); the
  // rest of the work is for the nodes drawn.
  const graph = awaitsByPositionOf(doc.nodes);
  const byId = nodesById(doc.nodes);
  const childrenOf = (node: AwaitNode) => {
    const at = graph.position.get(node.id);
    return at === -1 ? [] : childrenAt(doc.nodes, graph, at).sort(compareNodes);
  };

  // With a running stack: the stack joined with its awaiters, then the forest with the stack's
  // generators marked (src/render/running.ts).
  // What the capture cost the target closes the header (src/render/capture-cost.ts).
  const lines: string[] = [headerLine(doc, paint), ...executionLines(doc, paint, options), ...captureCostLines(doc, paint)];
  const drawn = new Set<number>();
  const onStack = stackNodeIds(doc);
  // What wakes each leaf (src/render/wakeup.ts); generalised inside groups printed once.
  const grouped = options.collapse === false ? { has: () => false } : groupedNodeIds(doc);
  // Steps that only observe a promise that something else awaits: a note on that promise's line.
  const observers = observerSteps(doc.nodes);
  const observedBy = (node: AwaitNode) => {
    const steps = observers.get(node.id);
    if (!steps) return '';
    const names = [...new Set(steps.map((step) => displayName(step)))];
    return paint.dim(`  (also observed by ${names.join(', ')})`);
  };
  const label = (node: AwaitNode) => {
    const frame = onStack.get(node.id);
    // A running generator's [[GeneratorLocation]] is its function's start: show where it runs.
    return (frame ? paint.red.bold(RUNNING_MARKER) + nodeLabel({ ...node, location: frame.location, locationSource: 'exact' }, paint, options) : nodeLabel(node, paint, options)) +
      wakeupSuffix(node, paint, options, grouped.has(node.id)) +
      observedBy(node);
  };
  // Identical sibling subtrees are drawn once, their first member standing for all (src/views/collapse.ts).
  const signatures = options.collapse === false ? undefined : signaturesAt(doc.nodes);
  const signatureOf = (node: AwaitNode) => signatures?.[graph.position.get(node.id)];
  const fold = (siblings: AwaitNode[]) =>
    collapseSiblings(siblings, signatureOf).map(({ node, members }) =>
      members.length === 1 ? { node, count: 1 } : { node: representative(members, doc.nodes), count: members.length },
    );

  const draw = (root: AwaitNode, rootCount = 1) => {
    // Iterative depth-first walk with enter/leave entries, so await chains thousands deep
    // neither overflow the stack nor copy the current path at every level.
    type Entry = { node: AwaitNode; prefix: string; depth: number; last: boolean; count: number } | { leave: number };
    const stack: Entry[] = [{ node: root, prefix: '', depth: 0, last: true, count: rootCount }];
    const onPath = new Set<number>();
    while (stack.length > 0) {
      const entry = stack.pop()!;
      if ('leave' in entry) {
        onPath.delete(entry.leave);
        continue;
      }
      const { node, prefix, depth, last, count } = entry;
      const branch = last ? '└── ' : '├── ';
      const indent = depth > MAX_DRAWN_DEPTH ? paint.dim(`⋮ depth ${depth} `) + prefix : prefix;
      if (onPath.has(node.id)) {
        lines.push(indent + branch + paint.red(`↻ ${displayName(node)} (await cycle)`));
        continue;
      }
      if (drawn.has(node.id)) {
        lines.push(indent + branch + label(node) + paint.dim('  (shown above)'));
        continue;
      }
      drawn.add(node.id);
      lines.push(indent + branch + label(node) + (count > 1 ? paint.bold(`  × ${count}`) : '') + (node.truncated ? paint.dim('  …') : ''));
      const children = fold(childrenOf(node));
      if (children.length === 0) continue;
      onPath.add(node.id);
      stack.push({ leave: node.id });
      let childPrefix = prefix + (last ? '    ' : '│   ');
      // Past a readable depth keep only the innermost levels of indentation.
      if (depth >= MAX_DRAWN_DEPTH) childPrefix = childPrefix.slice(-4 * KEPT_DEPTH);
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push({ ...children[i], prefix: childPrefix, depth: depth + 1, last: i === children.length - 1 });
      }
    }
  };

  const observing = new Set([...observers.values()].flat().map((step) => step.id));
  const roots = doc.nodes.filter((node) => node.awaitedBy.length === 0 && !observing.has(node.id)).sort(compareNodes);
  for (const { node, count } of fold(roots)) draw(node, count);
  for (const cycle of doc.cycles) {
    const start = byId.get(cycle[0]);
    if (start && !drawn.has(start.id)) draw(start);
  }
  if (doc.filter?.matched === 0) lines.push(paint.dim(`(${nothingMatched(doc.filter)})`));
  else if (doc.nodes.length === 0) lines.push(paint.dim('(no suspended async functions or pending awaits)'));

  for (const cycle of doc.cycles) {
    const names = [...cycle, cycle[0]].map((id) => displayName(byId.get(id)));
    lines.push(paint.red(`cycle: ${names.join(' → ')}`));
  }
  lines.push(...keepAliveLines(doc, paint, options, options.unfiltered));
  const note = options.locationNote === false ? undefined : locationNote(doc);
  if (note) lines.push(paint.dim(note));
  return lines.join('\n') + '\n';
}

/**
 * Said once under the tree when frames were placed without an exact lookup (the location budget
 * ran out, or a lookup failed): how many, and what buys exact ones.
 */
const MAX_SUGGESTED_BUDGET_MS = 60_000;

export function locationNote(doc: AwaitGraphDocument): string | undefined {
  const stats = doc.stats;
  if (!stats) return undefined;
  let exact = 0;
  let inferred = 0;
  let definition = 0;
  // Suspended frames only (a `.then` step is always at its handler's definition), and not ES5
  // state machines, which V8 cannot locate at any budget.
  const isFrame = (node: AwaitNode) => FRAME_KINDS.has(node.kind) && node.transpiled !== '__generator';
  // An inferred frame at the very place V8 reported for another frame of the same function (199 of
  // 200 identical requests) is as good as exact: the names of the exact frames at each place.
  // Nodes at one place mostly share their location object: its text is made once.
  const placeTexts = new Map<object, string>();
  const placeOf = ({ location }: AwaitNode) => {
    if (!location) return 'undefined:undefined:undefined';
    let text = placeTexts.get(location);
    if (text === undefined) placeTexts.set(location, (text = `${location.url}:${location.line}:${location.column}`));
    return text;
  };
  const exactNames = new Map<string, Set<string>>();
  for (const node of doc.nodes) {
    if (!isFrame(node)) continue;
    if (node.locationSource === 'inferred') inferred++;
    else if (node.locationSource !== 'exact') definition++;
    else {
      exact++;
      const place = placeOf(node);
      let names = exactNames.get(place);
      if (!names) exactNames.set(place, (names = new Set()));
      names.add(displayName(node));
    }
  }
  if (inferred > 0 && exactNames.size > 0) {
    for (const node of doc.nodes) {
      if (isFrame(node) && node.locationSource === 'inferred' && exactNames.get(placeOf(node))?.has(displayName(node))) {
        inferred--;
        exact++;
      }
    }
  }
  const placed = inferred + definition;
  if (placed === 0) return undefined;
  const total = placed + exact;
  const how = [inferred > 0 ? `${inferred} inferred from the source` : '', definition > 0 ? `${definition} at their definition` : '']
    .filter(Boolean)
    .join(', ');
  // What the lookups cost so far says what a budget for all of them would be.
  const lookups = stats.locationLookups ?? stats.exactLocations;
  const perLookup = lookups > 0 ? stats.locationLookupMs / lookups : 0;
  const wanted = perLookup > 0 ? Math.ceil((perLookup * total * 1.2) / 500) * 500 : 0;
  // A budget of minutes would stall the target for minutes: past one, no number is offered.
  const buy = wanted > stats.locationBudgetMs && wanted <= MAX_SUGGESTED_BUDGET_MS ? `--location-budget ${wanted}` : 'a larger --location-budget';
  return `note: ${placed} of ${plural(total, 'frame')} not located exactly (${how}); ${buy} buys exact locations, at the cost of target time`;
}

/** `--filter nope matched nothing among 1201 suspended frames and 700 pending promises`. */
export function nothingMatched(filter: DocumentFilter): string {
  const matched = `${filterText({ text: filter.text })} matched nothing`;
  if (!filter.captured) return matched;
  const { suspendedFrames, pendingPromises } = filter.captured;
  return `${matched} among ${plural(suspendedFrames, 'suspended frame')} and ${plural(pendingPromises, 'pending promise')}`;
}

function headerLine(doc: AwaitGraphDocument, paint: ChalkInstance): string {
  const shown = viewCounts(doc);
  const who = [
    doc.target.pid !== null ? `pid ${doc.target.pid}` : doc.target.url,
    doc.target.nodeVersion ? `node ${doc.target.nodeVersion}` : undefined,
  ].filter(Boolean).join(', ');
  // A filtered view says so, and counts what it shows of what the capture holds:
  // `--depth 2 shows 3 of 1201 suspended frames, 0 of 700 pending promises`.
  const whole = doc.filter?.captured;
  const counts = (whole
    ? `${filterText(doc.filter!)} shows ${shown.suspendedFrames} of ${plural(whole.suspendedFrames, 'suspended frame')}, ` +
      `${shown.pendingPromises} of ${plural(whole.pendingPromises, 'pending promise')}`
    : `${plural(shown.suspendedFrames, 'suspended frame')}, ${plural(shown.pendingPromises, 'pending promise')}`) +
    (doc.cycles.length > 0 ? `, ${plural(doc.cycles.length, 'await cycle')}` : '');
  if (!doc.execution) return paint.bold(who) + paint.dim(` — ${counts}`);
  // `pid N, node vX — running JavaScript, …` / `… — idle in event loop, …`
  const state = executionStateText(doc.execution);
  if (doc.execution.state === 'idle') return paint.bold(who) + paint.dim(` — ${state}, ${counts}`);
  return paint.bold(who) + paint.dim(' — ') + paint.red.bold(state) + paint.dim(`, ${counts}`);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function nodeLabel(node: AwaitNode, paint: ChalkInstance, style: LocationStyle): string {
  const name = displayName(node);
  let text: string;
  switch (node.kind) {
    case 'combinator':
      text = paint.yellow(name);
      break;
    case 'promise':
      text = paint.red(name);
      break;
    case 'then':
      text = paint.magenta(name);
      break;
    default:
      text = paint.bold(name);
  }
  if (node.location) {
    const where = formatLocation(node.location, style);
    text += '  ' + (node.locationSource === 'definition' ? paint.dim(`(defined at ${where})`) : paint.cyan(where));
    if (node.locationSource === 'inferred') text += paint.dim(' (inferred)');
  }
  if (node.state && node.state !== 'suspended') text += paint.yellow(` [${node.state}]`);
  return node.internal ? paint.dim(stripColor(text)) : text;
}

function stripColor(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
