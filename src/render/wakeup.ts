// How the tree shows what will wake each await (issue 5): a suffix after each node's label, and
// a "keeping the event loop alive" section after the forest. Pure; tree.ts calls these.

import type { ChalkInstance } from 'chalk';
import { FRAME_KINDS, type AwaitGraphDocument, type AwaitNode, type KeepAliveHandle, type Waker } from '../schema.js';
import { displayName } from '../document/order.js';
import { displayUrl, formatLocation, type LocationStyle } from './location.js';
import { awaitsByPositionOf, nodesById } from '../awaits/await-edges.js';
import { formatDuration } from '../units.js';
import { generalise } from '../document/wakeup-document.js';
import { observerSteps } from '../document/observers.js';

/** One waker as a phrase: `timer 1h (59m left), callback at x.js:12:31`, `held in pool.waiters[0] (x.js)`. */
export function wakerText(waker: Waker, style: LocationStyle): string {
  let text = waker.description;
  const timer = waker.timer;
  if (timer && !timer.destroyed && timer.remainingMs !== undefined) text += ` (${formatDuration(timer.remainingMs, { secondsPastAnHour: false })} left)`;
  if (timer?.refed === false) text += ', unref()ed';
  if (waker.location) {
    const what = waker.kind === 'timer' || waker.kind === 'immediate' ? 'callback' : waker.event ? 'listener' : 'function';
    text += `, ${what} at ${formatLocation(waker.location, style)}`;
  } else if (waker.kind === 'variable' && waker.scope) {
    text += ` (${displayUrl(waker.scope, style)})`;
  }
  return text;
}

/**
 * What follows a node's label: for a pending leaf, what can settle it (`← …`), `✖ never settles`
 * or `? unknown`; for a node that can never settle, `✖ deadlock`; with --watch, `[stuck ≥ 30s]`.
 */
export function wakeupSuffix(node: AwaitNode, paint: ChalkInstance, style: LocationStyle, inGroup = false): string {
  let text = '';
  // A lower bound: whole seconds, rounded down, past ten seconds.
  if (node.stuckMs !== undefined) {
    const ms = node.stuckMs >= 10_000 ? Math.floor(node.stuckMs / 1000) * 1000 : node.stuckMs;
    text += paint.yellow(`  [stuck ≥ ${formatDuration(ms, { secondsPastAnHour: false })}]`);
  }
  const settlement = node.settlement;
  if (settlement) {
    if (settlement.verdict === 'never') {
      text += paint.red.bold(`  ✖ never settles: ${settlement.reason}`);
    } else if (settlement.verdict === 'unknown') {
      text += paint.dim(`  ? ${settlement.reason}`);
    } else if (settlement.wakers.length > 0) {
      const [first, ...rest] = settlement.wakers;
      // A leaf printed for a group of identical subtrees stands for all of them: `pool.waiters[…]`,
      // and `+more` (how many more differs between them: src/document/wakeup-document.ts, wakeupKey).
      const phrase = inGroup ? generalise(wakerText(first, style)) : wakerText(first, style);
      text += paint.green(`  ← ${phrase}`) + (rest.length > 0 ? paint.dim(inGroup ? ' (+more)' : ` (+${rest.length} more)`) : '');
    }
    return text;
  }
  if (node.neverSettles) text += paint.red.bold('  ✖ deadlock');
  return text;
}

const NOTHING_GROUPED = { has: () => false };

/**
 * Nodes drawn for a group of identical sibling subtrees (`× N`, the document's `groups`): the
 * members and everything below them, down to (not including) a node the group's chains meet at.
 * Answered for the nodes asked about (the ones drawn), up their awaiters.
 */
export function groupedNodeIds(doc: AwaitGraphDocument): { has(id: number): boolean } {
  if (!doc.groups || doc.groups.length === 0) return NOTHING_GROUPED;
  const nodes = doc.nodes;
  const { position } = awaitsByPositionOf(nodes);
  const observed = observerSteps(nodes);
  // A node the group's chains meet at is one node: its wakers are its own, not generalised
  // (a step that only observes a promise does not make it shared).
  const single = (at: number) => nodes[at].awaitedBy.length - (observed.size === 0 ? 0 : (observed.get(nodes[at].id)?.length ?? 0)) <= 1;
  const member = new Uint8Array(nodes.length);
  // Members the list does not hold (a view cut out of a document keeps its groups).
  const absent = new Set<number>();
  for (const group of doc.groups) {
    for (const id of group.members) {
      const at = position.get(id);
      if (at === -1) absent.add(id);
      else member[at] = 1;
    }
  }
  const UNKNOWN = 0;
  const YES = 1;
  const NO = 2;
  const ON_PATH = 3;
  const state = new Uint8Array(nodes.length);
  // A node below a member is in when it is single and an awaiter is in. A single node has at
  // most one awaiter that is not an observer step, and observer steps (and other roots) are in
  // only as members: so the question goes up one chain of awaiters.
  const grouped = (start: number): boolean => {
    const path: number[] = [];
    let result = false;
    for (let at = start; ; ) {
      if (state[at] === YES || state[at] === NO) {
        result = state[at] === YES;
        break;
      }
      if (state[at] === ON_PATH || (member[at] === 0 && !single(at))) break; // a loop of awaiters, or a meeting point
      path.push(at);
      state[at] = ON_PATH;
      if (member[at] === 1) {
        result = true;
        break;
      }
      let next = -1;
      for (const id of nodes[at].awaitedBy) {
        const awaiter = position.get(id);
        if (awaiter === -1 ? absent.has(id) : nodes[awaiter].awaitedBy.length === 0 && member[awaiter] === 1) result = true;
        else if (awaiter !== -1 && nodes[awaiter].awaitedBy.length > 0) next = awaiter;
      }
      if (result || next === -1) break;
      at = next;
    }
    for (const at of path) state[at] = result ? YES : NO;
    return result;
  };
  return {
    has(id) {
      const at = position.get(id);
      return at === -1 ? absent.has(id) : grouped(at);
    },
  };
}

/**
 * The frames a leaf wakes, for the keep-alive section: up the awaitedBy edges to the first frames
 * of user code (through combinators, `.then` steps and Node's own frames); the direct awaiters
 * when there is none.
 */
export function wokenFrames(leafId: number, byId: { get(id: number): AwaitNode | undefined }): AwaitNode[] {
  const leaf = byId.get(leafId);
  if (!leaf) return [];
  const found: AwaitNode[] = [];
  const seen = new Set<number>([leafId]);
  let frontier = leaf.awaitedBy;
  for (let depth = 0; frontier.length > 0 && found.length === 0 && depth < 32; depth++) {
    const next: number[] = [];
    for (const id of frontier) {
      if (seen.has(id)) continue;
      seen.add(id);
      const node = byId.get(id);
      if (!node) continue;
      if (FRAME_KINDS.has(node.kind) && !node.internal) found.push(node);
      else next.push(...node.awaitedBy);
    }
    frontier = next;
  }
  if (found.length > 0) return found;
  return leaf.awaitedBy.map((id) => byId.get(id)).filter((node): node is AwaitNode => node !== undefined);
}

function handleText(handle: KeepAliveHandle, style: LocationStyle): string {
  let text = handle.description;
  const timer = handle.timer;
  if (timer && timer.remainingMs !== undefined) text += ` (${formatDuration(timer.remainingMs, { secondsPastAnHour: false })} left)`;
  if (!handle.description.includes(handle.state) && handle.state !== 'armed') text += `, ${handle.state}`;
  else if (timer?.refed === false) text += ', unref()ed';
  if (handle.location && !handle.internal) text += `, callback at ${formatLocation(handle.location, style)}`;
  return text;
}

/**
 * The "keeping the event loop alive" section: the active handles (and, dimmed, the ones that do
 * not keep it alive), each with the awaits it would wake. Empty when the document has no keepAlive.
 */
export function keepAliveLines(doc: AwaitGraphDocument, paint: ChalkInstance, style: LocationStyle, unfiltered?: AwaitGraphDocument): string[] {
  if (!doc.keepAlive) return [];
  const active = doc.keepAlive.filter((handle) => handle.active);
  // stdout and stderr that are not being written to are in every process: not worth a line.
  const idle = doc.keepAlive.filter((handle) => !handle.active && handle.description !== 'stdout' && handle.description !== 'stderr');
  const lines: string[] = [];
  lines.push(paint.bold(active.length > 0 ? 'keeping the event loop alive:' : 'nothing keeps the event loop alive'));
  // A view's filters may have hidden what a handle wakes: named from the whole capture when it is
  // at hand, marked either way, never a bare `?`.
  const shown = nodesById(doc.nodes);
  const byId = nodesById((unfiltered ?? doc).nodes);
  const nameOf = (node: AwaitNode) => displayName(node) + (shown.get(node.id) ? '' : ' (filtered out)');
  // Handles that read the same once their own port is left out (200 sockets of one client to one
  // upstream, three MessagePorts) are one line with a count, in the place of the first.
  const merged = new Map<string, { text: string; internal: boolean; names: string[]; count: number }>();
  for (const handle of active) {
    const names = [...new Set(handle.wakes.flatMap((leaf) => {
      const frames = wokenFrames(leaf, byId);
      if (frames.length > 0) return frames.map(nameOf);
      const node = byId.get(leaf);
      return [node ? nameOf(node) : '(filtered out)'];
    }))].sort();
    const text = handleText(handle, style);
    const key = `${handle.internal ? 1 : 0}${withoutOwnPort(text)}\u0001${names.join('\u0001')}`;
    const entry = merged.get(key);
    if (entry) {
      entry.count++;
      if (entry.text !== text) entry.text = withoutOwnPort(text);
      continue;
    }
    merged.set(key, { text, internal: handle.internal === true, names, count: 1 });
  }
  for (const entry of merged.values()) {
    let line = `  ${entry.text}`;
    if (entry.internal) line = paint.dim(line);
    if (entry.names.length > 0) line += paint.green(`  → wakes ${entry.names.join(', ')}`);
    if (entry.count > 1) line += paint.bold(`  × ${entry.count}`);
    lines.push(line);
  }
  if (idle.length > 0) {
    // Signal handlers (a dozen in a service) and unref()ed timers: counted alike, not listed each.
    const counts = new Map<string, number>();
    for (const handle of idle) {
      const text = withoutOwnPort(handleText(handle, style));
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    let parts = [...counts].map(([text, count]) => (count > 1 ? `${text} × ${count}` : text));
    // A service's many signal handlers (17 in one express app): one part with a count.
    const signals = parts.flatMap((part) => /^(SIG\w+) handler, unref\(\)ed$/.exec(part)?.[1] ?? []);
    if (signals.length > MAX_LISTED_SIGNALS) {
      const shown = signals.slice(0, MAX_LISTED_SIGNALS).join(', ');
      parts = [...parts.filter((part) => !/^SIG\w+ handler, unref\(\)ed$/.test(part)), `${signals.length} signal handlers (${shown}, …)`];
    }
    lines.push(paint.dim(`  (and ${idle.length} that do not keep it alive: ${parts.join('; ')})`));
  }
  return lines;
}

/** Signal handlers named one by one in the idle list; more are counted. */
const MAX_LISTED_SIGNALS = 3;

/** A socket's line without its own (ephemeral) port: `127.0.0.1:… → 127.0.0.1:8080`. */
function withoutOwnPort(text: string): string {
  return text.replace(/^(TCP socket |socket )?(\d+\.\d+\.\d+\.\d+|\[[\da-f:]+\]):\d+ → /, (_m, kind: string | undefined, host: string) => `${kind ?? ''}${host}:… → `);
}
