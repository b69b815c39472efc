// Turns the heap's wake-up analysis (wakers.ts, keep-alive.ts) into the document's fields:
// `settlement` and `neverSettles` on nodes, `keepAlive` and `tcpSockets` on the document. Pure.

import { IdIndex } from '../snapshot/id-index.js';
import { isWildcardHost } from '../target/remote-policy.js';
import type { FoundHandle } from '../wakeups/keep-alive.js';
import type { RawLocation, TimerFacts } from '../wakeups/resources.js';
import type {
  AwaitNode,
  KeepAliveHandle,
  Settlement,
  SourceLocation,
  TcpSocket,
  TimerInfo,
  Waker,
} from '../schema.js';
import type { FoundWaker, HeapWakeups } from '../wakeups/wakers.js';

const KIND_ORDER: KeepAliveHandle['kind'][] = ['server', 'socket', 'child-process', 'timer', 'immediate', 'fs-request', 'fs-watcher', 'request', 'worker', 'message-port', 'signal'];

/** A TCP socket of the target as /proc lists it. */
export interface TcpRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** LISTEN, ESTABLISHED, … */
  state: string;
}

export interface WakeupInput {
  wakeups: HeapWakeups;
  /**
   * The target's event-loop clock at the snapshot (ms since its loop started), estimated from the
   * process start time; timers' time left is computed from it. Absent when unknown.
   */
  loopNowMs?: number;
  /** The target's TCP sockets (/proc), to complete addresses the heap does not hold. */
  tcpRows?: TcpRow[];
  /** The inspector's port: its sockets are asyncgraph's own. */
  inspectorPort?: number;
}

export interface WakeupFields {
  keepAlive: KeepAliveHandle[];
  tcpSockets?: TcpSocket[];
}

/**
 * Sets `settlement` on leaves and `neverSettles` on nodes (keys appended after the others, so the
 * order stays fixed), and returns the document-level fields. `locate` turns a 0-based script
 * position into a location (through source maps), or null.
 */
export function applyWakeups(
  nodes: AwaitNode[],
  input: WakeupInput,
  locate: (raw: RawLocation) => SourceLocation | null,
  position: IdIndex = IdIndex.positionsOf(nodes),
): WakeupFields {
  const { wakeups } = input;
  const keepAlive: HandleDraft[] = wakeups.keepAlive.map((handle) => toHandle(handle, input, locate));
  const tcpSockets = input.tcpRows ? matchTcpSockets(keepAlive, input.tcpRows, input.inspectorPort) : undefined;
  const byResource = new Map(keepAlive.map((handle) => [handle.id, handle]));
  // Each leaf's fields are set in node order (`wakes` lists below follow it).
  const settled: number[] = [];
  for (const id of wakeups.settlements.keys()) {
    const at = position.get(id);
    if (at !== -1) settled.push(at);
  }
  settled.sort((a, b) => a - b);
  for (const at of settled) {
    const node = nodes[at];
    const found = wakeups.settlements.get(node.id)!;
    const settlement: Settlement = {
      verdict: found.verdict,
      reason: found.reason,
      wakers: found.wakers.map((waker) => toWaker(waker, input, locate, byResource)),
    };
    node.settlement = settlement;
    for (const waker of settlement.wakers) {
      const handle = waker.resourceId !== undefined ? byResource.get(waker.resourceId) : undefined;
      if (handle && !handle.wakes.includes(node.id)) handle.wakes.push(node.id);
    }
  }
  for (const id of wakeups.neverSettles) {
    const at = position.get(id);
    if (at !== -1) nodes[at].neverSettles = true;
  }
  for (const handle of keepAlive) handle.wakes.sort((a, b) => a - b);
  // A fixed order, the same in every capture of one program: by kind, then in the order of the
  // awaits they wake (nodes are in source order), then by what they are. Heap ids are not stable
  // between processes.
  // Leaves have no location (their order is by heap id): order by where they are awaited.
  const positionOf = (id: number) => {
    const at = position.get(id);
    return at === -1 ? Infinity : at;
  };
  const leafPosition = (id: number) => {
    const at = position.get(id);
    if (at === -1) return Infinity;
    let first = at;
    for (const awaiter of nodes[at].awaitedBy) first = Math.min(first, positionOf(awaiter));
    return first;
  };
  // Loops, not Math.min(...list): a handle can wake a hundred thousand leaves.
  const firstWokenCache = new Map<KeepAliveHandle, number>();
  const firstWoken = (handle: KeepAliveHandle) => {
    let first = firstWokenCache.get(handle);
    if (first === undefined) {
      first = Infinity;
      for (const id of handle.wakes) first = Math.min(first, leafPosition(id));
      firstWokenCache.set(handle, first);
    }
    return first;
  };
  const where = (handle: KeepAliveHandle) => (handle.location ? `${handle.location.url}:${handle.location.line}:${handle.location.column}` : '');
  keepAlive.sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      firstWoken(a) - firstWoken(b) ||
      a.description.localeCompare(b.description) ||
      where(a).localeCompare(where(b)) ||
      a.id - b.id,
  );
  return { keepAlive, ...(tcpSockets ? { tcpSockets } : {}) };
}

function timerInfo(facts: TimerFacts, loopNowMs: number | undefined): TimerInfo {
  const remaining =
    loopNowMs !== undefined && facts.startMs !== undefined && !facts.destroyed && facts.delayMs >= 0
      ? Math.max(0, facts.startMs + facts.delayMs - loopNowMs)
      : undefined;
  return {
    delayMs: facts.delayMs,
    repeat: facts.repeat,
    ...(remaining !== undefined ? { remainingMs: Math.round(remaining) } : {}),
    ...(facts.refed !== undefined ? { refed: facts.refed } : {}),
    ...(facts.destroyed ? { destroyed: true as const } : {}),
  };
}

/** The first location that is not Node's own code. */
function userLocation(raws: RawLocation[] | undefined, locate: (raw: RawLocation) => SourceLocation | null): SourceLocation | undefined {
  for (const raw of raws ?? []) {
    const location = locate(raw);
    if (location && !location.url.startsWith('node:')) return location;
  }
  return undefined;
}

function toWaker(
  found: FoundWaker,
  input: WakeupInput,
  locate: (raw: RawLocation) => SourceLocation | null,
  handles: Map<number, HandleDraft>,
): Waker {
  const location = userLocation(found.definitions, locate);
  const scope = found.scopeAt
    ? locate(found.scopeAt)?.url
    : found.scopeScriptId !== undefined
      ? locate({ scriptId: found.scopeScriptId, line: 0, column: 0 })?.url
      : undefined;
  const handle = found.resourceId !== undefined ? handles.get(found.resourceId) : undefined;
  let description = found.description;
  // Addresses completed from /proc: the handle's description is the more complete one.
  if (handle && handle.description !== handle.heapDescription && description.includes(handle.heapDescription)) {
    description = description.replace(handle.heapDescription, handle.description);
  }
  const localAddress = handle?.localAddress ?? found.localAddress;
  const remoteAddress = handle?.remoteAddress ?? found.remoteAddress;
  return {
    kind: found.kind,
    description,
    ...(found.path ? { path: found.path } : {}),
    ...(found.resourceId !== undefined ? { resourceId: found.resourceId } : {}),
    ...(location ? { location } : {}),
    ...(scope ? { scope } : {}),
    ...(found.timer ? { timer: timerInfo(found.timer, input.loopNowMs) } : {}),
    ...(found.event ? { event: found.event } : {}),
    ...(found.pid !== undefined ? { pid: found.pid } : {}),
    ...(found.command ? { command: found.command } : {}),
    ...(localAddress ? { localAddress } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  };
}

/** A keep-alive handle, with the heap's description kept aside while addresses are completed. */
type HandleDraft = KeepAliveHandle & { heapDescription: string; heapLocal?: string };

function toHandle(found: FoundHandle, input: WakeupInput, locate: (raw: RawLocation) => SourceLocation | null): HandleDraft {
  const { resource } = found;
  const location = resource.callback ? locate(resource.callback) : null;
  const handle: HandleDraft = {
    id: resource.id,
    kind: resource.kind,
    className: resource.className,
    description: resource.description,
    state: found.state,
    active: found.active,
    ...(found.refed !== undefined ? { refed: found.refed } : {}),
    ...(location ? { location } : {}),
    ...(location?.url.startsWith('node:') ? { internal: true as const } : {}),
    ...(resource.timer ? { timer: timerInfo(resource.timer, input.loopNowMs) } : {}),
    ...(resource.pid !== undefined ? { pid: resource.pid } : {}),
    ...(resource.command ? { command: resource.command } : {}),
    ...(resource.localAddress ? { localAddress: resource.localAddress } : {}),
    ...(resource.remoteAddress ? { remoteAddress: resource.remoteAddress } : {}),
    wakes: [],
    heapDescription: resource.description,
    heapLocal: resource.localAddress,
  };
  // Not part of the document.
  Object.defineProperty(handle, 'heapDescription', { enumerable: false });
  Object.defineProperty(handle, 'heapLocal', { enumerable: false });
  return handle;
}

function endpoint(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** "127.0.0.1:8080" → { host, port }; port 0 when the server asked for any port. */
function parseEndpoint(text: string | undefined): { host: string; port: number } | undefined {
  const match = text ? /^\[?([^\]]*)\]?:(\d+)$/.exec(text) : null;
  return match ? { host: match[1], port: Number(match[2]) } : undefined;
}

/**
 * The target's TCP sockets, matched with the servers and sockets of the heap where the match is
 * unambiguous (the heap has no file descriptors to match by):
 * - a server with a port in its `_connectionKey` ↔ the LISTEN socket on that port; a server that
 *   listened on port 0 ↔ the only LISTEN socket left, when it is the only such server;
 * - the only accepted connection of a matched server ↔ the only connection on that server's port;
 * - the only client TCP socket of the heap ↔ the only connection left.
 * The inspector's own sockets (its port) are marked and never matched. Nothing is matched when the
 * process has worker threads: their sockets are in /proc but not in this heap.
 */
export function matchTcpSockets(handles: KeepAliveHandle[], rows: TcpRow[], inspectorPort?: number): TcpSocket[] {
  const drafts = handles as HandleDraft[];
  const sockets = rows.map((row) => ({
    row,
    socket: {
      localAddress: endpoint(row.localAddress, row.localPort),
      ...(row.state === 'LISTEN' ? {} : { remoteAddress: endpoint(row.remoteAddress, row.remotePort) }),
      state: row.state,
      ...(inspectorPort !== undefined && row.localPort === inspectorPort ? { inspector: true as const } : {}),
    } as TcpSocket,
  }));
  const free = () => sockets.filter(({ socket }) => !socket.inspector && socket.handleId === undefined);
  const claim = (handle: HandleDraft, entry: (typeof sockets)[number]) => {
    entry.socket.handleId = handle.id;
    handle.localAddress = entry.socket.localAddress;
    if (entry.socket.remoteAddress) handle.remoteAddress = entry.socket.remoteAddress;
    handle.description = describeMatched(handle);
  };
  if (!handles.some((handle) => handle.kind === 'worker')) {
    const servers = drafts.filter((handle) => handle.kind === 'server' && handle.state.startsWith('listening'));
    const serverPort = new Map<HandleDraft, number>();
    for (const server of servers) {
      const heap = parseEndpoint(server.localAddress);
      if (!heap || heap.port === 0) continue;
      const entry = free().find(({ row }) => row.state === 'LISTEN' && row.localPort === heap.port);
      if (entry) {
        claim(server, entry);
        serverPort.set(server, heap.port);
      }
    }
    const anyPort = servers.filter((server) => !serverPort.has(server) && parseEndpoint(server.localAddress)?.port === 0);
    const listeners = free().filter(({ row }) => row.state === 'LISTEN');
    if (anyPort.length === 1 && listeners.length === 1) {
      claim(anyPort[0], listeners[0]);
      serverPort.set(anyPort[0], listeners[0].row.localPort);
    }
    const tcpSockets = drafts.filter((handle) => handle.kind === 'socket' && /^TCP (socket|connection accepted)/.test(handle.heapDescription));
    const accepted = tcpSockets.filter((handle) => handle.heapDescription.startsWith('TCP connection accepted'));
    for (const [server, port] of serverPort) {
      // Accepted sockets know their server only by its `_connectionKey`, as the server does.
      if (servers.filter((other) => other.heapLocal === server.heapLocal).length !== 1) continue;
      const mine = accepted.filter((handle) => handle.heapLocal === server.heapLocal);
      const connections = free().filter(({ row }) => row.state !== 'LISTEN' && row.localPort === port);
      if (mine.length === 1 && connections.length === 1) claim(mine[0], connections[0]);
      else {
        // Which connection is which cannot be told, but their local end is on the server's port
        // (a server that listened on port 0 would otherwise show its accepted connections at :0):
        // the address the connections share, or `*:PORT` under a wildcard listener.
        const locals = new Set(connections.map(({ socket }) => socket.localAddress));
        const [shared] = locals;
        const host = parseEndpoint(server.localAddress)?.host;
        const local = locals.size === 1 && shared ? shared : host !== undefined && isWildcardHost(host) ? `*:${port}` : server.localAddress;
        for (const handle of mine) {
          handle.localAddress = local;
          handle.description = describeMatched(handle);
        }
      }
    }
    const clients = tcpSockets.filter((handle) => handle.heapDescription.startsWith('TCP socket'));
    const serverPorts = new Set(serverPort.values());
    const outgoing = free().filter(({ row }) => row.state !== 'LISTEN' && !serverPorts.has(row.localPort));
    if (clients.length === 1 && outgoing.length === 1) claim(clients[0], outgoing[0]);
    else if (clients.length > 1 && outgoing.length === clients.length && !clients.some((handle) => handle.remoteAddress)) {
      // As many client sockets as connections, all to one peer (a pool's connections to its
      // upstream): each socket's far end is that peer, though which local port is whose is not known.
      const peers = new Set(outgoing.map(({ socket }) => socket.remoteAddress));
      const [peer] = peers;
      if (peers.size === 1 && peer) {
        for (const handle of clients) {
          handle.remoteAddress = peer;
          handle.description = describeMatched(handle);
        }
      }
    }
  }
  return sockets.map(({ socket }) => socket);
}

function describeMatched(handle: HandleDraft): string {
  if (handle.kind === 'server') return handle.heapDescription.replace(/^server \S+|^server/, `server ${handle.localAddress}`);
  const what = handle.heapDescription.startsWith('TCP connection accepted') ? 'TCP connection accepted' : 'TCP socket';
  const rest = handle.heapDescription.replace(/^(TCP connection accepted|TCP socket)( \S+ → \S+)?/, '');
  return `${what} ${handle.localAddress ?? '?'} → ${handle.remoteAddress ?? '?'}${rest}`;
}

/**
 * What must be equal, of the wake-up fields, for sibling subtrees to be printed once (`× N`,
 * src/document/sibling-groups.ts): the verdict and what kind of thing wakes the leaf, with array indexes
 * and Map keys generalised (the waiters of one pool differ only by their index), whether other
 * wakers follow, but not times.
 */
export function wakeupKey(node: AwaitNode): string {
  const settlement = node.settlement;
  const parts = [node.neverSettles ? 'never' : '', node.stuckMs !== undefined ? 'stuck' : ''];
  if (settlement) {
    parts.push(settlement.verdict);
    const first = settlement.wakers[0];
    // Whether there are more, not how many: the third and fourth holders a search meets vary
    // between requests that wait the same way (which undici function's local holds the signal).
    if (first) parts.push(first.kind, generalise(first.description), settlement.wakers.length > 1 ? '+' : '');
  }
  return parts.join('\u0001');
}

/**
 * What differs between the members of a group in a waker's text: indexes, Map keys, positions in
 * a linked list, numbers in event names (`'approved:74'`), which function of a library holds a local.
 */
export function generalise(text: string): string {
  // In this order; each pattern only where its first characters occur (once per leaf: a hundred
  // thousand texts, most with just an index).
  if (text.includes('[')) text = text.replace(/\[\d+\]/g, '[…]');
  if (text.includes('.get(')) text = text.replace(/\.get\('[^']*'\)/g, '.get(…)');
  // A list's ends may be private fields: p-limit's yocto-queue keeps `#head` and `#tail`.
  if (text.includes('.head') || text.includes('.tail') || text.includes('.#')) text = text.replace(/\.#?(?:head|tail)(?:\.(?:next|prev)(?:×\d+)?)*(?=\.)/g, '[…]');
  if (text.includes("'")) text = text.replace(/'([^'\d]*)\d[^']*'/g, "'$1…'");
  if (text.includes('(a local of ')) text = text.replace(/\(a local of [^)]*\)/g, '(a local of …)');
  return text;
}
