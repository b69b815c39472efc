import type { ResourceKind } from '../schema.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import { formatDuration } from '../units.js';

// Node.js resources as their JavaScript objects appear in a heap snapshot: timers, sockets,
// servers, child processes, file-system requests, watchers. Recognised by the class name V8
// gives the object (the constructor's name), which Node has kept stable across 20, 22 and 24:
// lib/internal/timers.js (Timeout, Immediate), lib/net.js (Socket, Server), lib/internal/
// child_process.js (ChildProcess), src/node_file.cc (FSReqCallback, FSReqPromise, FileHandle).

export type { ResourceKind };

/** 0-based definition site of a closure, as in snapshot.locations. */
export interface RawLocation {
  scriptId: number;
  line: number;
  column: number;
}

export interface TimerFacts {
  delayMs: number;
  /** Set for setInterval. */
  repeat: boolean;
  /** Event-loop time (ms since the loop started) when the timer was (re)armed: Timeout._idleStart. */
  startMs?: number;
  /** Symbol(refed): false after unref(). */
  refed?: boolean;
  /** Cleared, or a one-shot timer that already fired: it will not fire (again). */
  destroyed?: boolean;
}

export interface FoundResource {
  kind: ResourceKind;
  /** Heap ordinal of the JS object. */
  node: number;
  /** Its heap object id. */
  id: number;
  /** The constructor name: Timeout, Socket, Server, ChildProcess, FSReqPromise… */
  className: string;
  /** One line for people, without anything that depends on the capture time. */
  description: string;
  timer?: TimerFacts;
  /** Child processes: pid and command line. */
  pid?: number;
  command?: string;
  /** Sockets and servers, as far as the heap tells. */
  localAddress?: string;
  remoteAddress?: string;
  /** Where the closure it will call (a timer's callback) is defined. */
  callback?: RawLocation;
}

const TIMER_CLASSES = new Set(['Timeout']);
const SOCKET_CLASSES = new Set(['Socket', 'TLSSocket']);
const SERVER_CLASSES = new Set(['Server']);
// Node 26's fs/promises readFile runs one ReadFileJob (src/node_file.cc) instead of FSReqPromises.
const FS_REQUEST_CLASSES = new Set(['FSReqCallback', 'FSReqPromise', 'FileHandle', 'FSReqWrap', 'ReadFileJob']);
const FS_WATCHER_CLASSES = new Set(['FSWatcher', 'StatWatcher', 'FSEvent']);
const REQUEST_CLASSES = new Set(['TCPConnectWrap', 'PipeConnectWrap', 'GetAddrInfoReqWrap', 'GetNameInfoReqWrap', 'QueryReqWrap', 'WriteWrap', 'ShutdownWrap', 'SendWrap']);
const WORKER_CLASSES = new Set(['Worker']);
const PORT_CLASSES = new Set(['MessagePort']);
/** Native handle objects whose `Symbol(owner_symbol)` is the JS object people know. */
const HANDLE_CLASSES = new Set(['TCP', 'Pipe', 'TTY', 'Process', 'UDP']);

/**
 * `process.on('SIGTERM', …)` keeps a Signal handle in lib/internal/process/signal.js's
 * `signalWraps` Map, keyed by the signal's name: the key before the handle's slot in the table.
 */
function signalName(reader: HeapReader, node: number): string | undefined {
  let name: string | undefined;
  reader.heap.forEachRetainer(node, (table, edge) => {
    const slot = Number(reader.heap.edgeName(edge));
    if (!Number.isInteger(slot) || reader.heap.typeName(table) !== 'array') return false;
    for (let e = reader.heap.firstEdgeOf(table), end = reader.heap.endEdgeOf(table); e < end; e++) {
      if (Number(reader.heap.edgeName(e)) === slot - 1) {
        const key = reader.stringValue(reader.heap.edgeTo(e));
        if (key?.startsWith('SIG')) name = key;
      }
    }
    return name !== undefined;
  });
  return name;
}

/** Names of classes recognised as resources (for a quick check before describing). */
export function isResourceClass(name: string): boolean {
  return (
    TIMER_CLASSES.has(name) ||
    name === 'Immediate' ||
    SOCKET_CLASSES.has(name) ||
    SERVER_CLASSES.has(name) ||
    name === 'ChildProcess' ||
    FS_REQUEST_CLASSES.has(name) ||
    FS_WATCHER_CLASSES.has(name) ||
    REQUEST_CLASSES.has(name) ||
    WORKER_CLASSES.has(name) ||
    PORT_CLASSES.has(name) ||
    HANDLE_CLASSES.has(name) ||
    name === 'Signal'
  );
}

/** The resource an object is, or null. A native handle (TCP, Process…) is described by its owner. */
export function describeResource(reader: HeapReader, node: number): FoundResource | null {
  const found = describe(reader, node);
  return found && { ...found, id: reader.heap.idOf(found.node) };
}

function describe(reader: HeapReader, node: number): Omit<FoundResource, 'id'> | null {
  if (!reader.isObject(node)) return null;
  const className = reader.className(node);
  if (HANDLE_CLASSES.has(className)) {
    const owner = reader.get(node, '<symbol owner_symbol>');
    if (owner >= 0 && reader.isObject(owner) && owner !== node) {
      const described = describe(reader, owner);
      if (described) return described;
    }
    // A handle without a known owner.
    return { kind: className === 'Process' ? 'child-process' : 'socket', node, className, description: `${className} handle` };
  }
  if (TIMER_CLASSES.has(className)) return describeTimer(reader, node);
  if (className === 'Immediate') {
    const callback = reader.get(node, '_onImmediate');
    return {
      kind: 'immediate',
      node,
      className,
      description: 'setImmediate callback',
      ...callbackOf(reader, callback),
    };
  }
  if (className === 'ChildProcess') return describeChild(reader, node);
  if (SOCKET_CLASSES.has(className)) {
    // dgram sockets are also "Socket": they have a `type` of udp4/udp6.
    const type = reader.prop(node, 'type');
    if (type === 'udp4' || type === 'udp6') return { kind: 'socket', node, className, description: `UDP socket (${type})` };
    return describeSocket(reader, node, className);
  }
  if (SERVER_CLASSES.has(className)) return describeServer(reader, node, className);
  if (FS_REQUEST_CLASSES.has(className)) {
    const what = className === 'FileHandle' ? 'file handle' : 'file-system request';
    const fd = reader.prop(node, 'fd');
    return { kind: 'fs-request', node, className, description: `${what} (${className}${typeof fd === 'number' ? `, fd ${fd}` : ''})` };
  }
  if (FS_WATCHER_CLASSES.has(className)) return { kind: 'fs-watcher', node, className, description: `file watcher (${className})` };
  if (REQUEST_CLASSES.has(className)) {
    const address = reader.prop(node, 'address');
    const port = reader.prop(node, 'port');
    const host = reader.prop(node, 'hostname');
    const target = typeof address === 'string' ? `${address}${typeof port === 'number' ? `:${port}` : ''}` : typeof host === 'string' ? host : '';
    return { kind: 'request', node, className, description: `native request ${className}${target ? ` to ${target}` : ''}` };
  }
  if (WORKER_CLASSES.has(className)) {
    const threadId = reader.prop(node, 'threadId');
    return { kind: 'worker', node, className, description: `worker thread${typeof threadId === 'number' ? ` ${threadId}` : ''}` };
  }
  if (PORT_CLASSES.has(className)) return { kind: 'message-port', node, className, description: 'MessagePort' };
  if (className === 'Signal') return { kind: 'signal', node, className, description: `${signalName(reader, node) ?? 'signal'} handler` };
  return null;
}

function callbackOf(reader: HeapReader, closure: number): { callback: RawLocation } | Record<string, never> {
  if (closure < 0 || !reader.isClosure(closure) || reader.builtinName(closure) !== null) return {};
  const location = reader.heap.closureLocation(closure);
  return location ? { callback: location } : {};
}

function describeTimer(reader: HeapReader, node: number): Omit<FoundResource, 'id'> {
  const delay = reader.prop(node, '_idleTimeout');
  const start = reader.prop(node, '_idleStart');
  const repeat = reader.prop(node, '_repeat');
  const refed = reader.prop(node, '<symbol refed>');
  const destroyed = reader.prop(node, '_destroyed');
  const callback = reader.get(node, '_onTimeout');
  const timer: TimerFacts = {
    delayMs: typeof delay === 'number' ? delay : -1,
    repeat: typeof repeat === 'number',
    ...(typeof start === 'number' ? { startMs: start } : {}),
    ...(typeof refed === 'boolean' ? { refed } : {}),
    ...(destroyed === true || (typeof delay === 'number' && delay < 0) ? { destroyed: true } : {}),
  };
  const what = timer.repeat ? 'interval' : 'timer';
  const description = timer.delayMs >= 0 ? `${what} ${formatDuration(timer.delayMs, { secondsPastAnHour: false })}` : `cleared ${what}`;
  return {
    kind: 'timer',
    node,
    className: 'Timeout',
    description: timer.destroyed && timer.delayMs >= 0 ? `cleared ${description}` : description,
    timer,
    ...callbackOf(reader, callback),
  };
}

function describeChild(reader: HeapReader, node: number): Omit<FoundResource, 'id'> {
  const pid = reader.prop(node, 'pid');
  const args = reader.get(node, 'spawnargs');
  let command: string | undefined;
  if (args >= 0) {
    const parts = reader.elements(args).map((element) => reader.stringValue(element));
    if (parts.length > 0 && parts.every((part) => part !== undefined)) command = parts.join(' ');
  }
  command ??= reader.stringValue(reader.get(node, 'spawnfile'));
  const exited = reader.get(node, '_handle') >= 0 && reader.isNullish(node, '_handle');
  return {
    kind: 'child-process',
    node,
    className: 'ChildProcess',
    description: `child process${typeof pid === 'number' ? ` ${pid}` : ''}${command ? ` (${clip(command, 60)})` : ''}${exited ? ', exited' : ''}`,
    ...(typeof pid === 'number' ? { pid } : {}),
    ...(command ? { command } : {}),
  };
}

/** `{ address, port }` objects cached by net.Socket (_peername, _sockname) and Server.address(). */
function addressObject(reader: HeapReader, node: number): string | undefined {
  if (node < 0 || !reader.isObject(node)) return undefined;
  const address = reader.prop(node, 'address');
  const port = reader.prop(node, 'port');
  if (typeof address !== 'string') return undefined;
  const host = address.includes(':') ? `[${address}]` : address;
  return typeof port === 'number' ? `${host}:${port}` : host;
}

/** net.Server's `_connectionKey`: "4:127.0.0.1:8080", "6:::1:8080", "-1:/path/to.sock". */
function connectionKeyAddress(key: string | undefined): string | undefined {
  if (!key) return undefined;
  const match = /^(-?\d+):(.*):(\d+)$/.exec(key);
  if (!match) return undefined;
  if (match[1] === '-1') return match[2] || undefined;
  const host = match[1] === '6' ? `[${match[2]}]` : match[2];
  return `${host}:${match[3]}`;
}

function describeServer(reader: HeapReader, node: number, className: string): Omit<FoundResource, 'id'> {
  const key = reader.stringValue(reader.get(node, '_connectionKey'));
  const pipe = reader.stringValue(reader.get(node, '_pipeName'));
  const local = connectionKeyAddress(key) ?? pipe;
  const listening = !reader.isNullish(node, '_handle');
  return {
    kind: 'server',
    node,
    className,
    description: `${className === 'Server' ? 'server' : className}${local ? ` ${local}` : ''}${listening ? ' (listening)' : ' (closed)'}`,
    ...(local ? { localAddress: local } : {}),
  };
}

function describeSocket(reader: HeapReader, node: number, className: string): Omit<FoundResource, 'id'> {
  const handle = reader.get(node, '<symbol kHandle>') >= 0 ? reader.get(node, '<symbol kHandle>') : reader.get(node, '_handle');
  const handleClass = handle >= 0 && reader.isObject(handle) ? reader.className(handle) : '';
  const server = reader.get(node, 'server');
  const serverKey = server >= 0 && reader.isObject(server) ? connectionKeyAddress(reader.stringValue(reader.get(server, '_connectionKey'))) : undefined;
  const local = addressObject(reader, reader.get(node, '_sockname')) ?? serverKey;
  const remote = addressObject(reader, reader.get(node, '_peername')) ?? reader.stringValue(reader.get(node, '_host'));
  const isStdio = reader.prop(node, '_isStdio') === true;
  const fd = reader.prop(node, 'fd');
  let what = handleClass === 'Pipe' ? 'pipe' : handleClass === 'TTY' ? 'terminal' : 'socket';
  // process.stdin has `fd` 0; stdout and stderr are marked `_isStdio` too.
  if (typeof fd === 'number' && (isStdio || fd === 0)) what = ['stdin', 'stdout', 'stderr'][fd] ?? `fd ${fd}`;
  if (handleClass === 'TCP') what = serverKey ? 'TCP connection accepted' : 'TCP socket';
  const where = [local, remote].filter(Boolean).length > 0 ? ` ${local ?? '?'} → ${remote ?? '?'}` : '';
  const connecting = reader.prop(node, 'connecting') === true;
  const closed = handle < 0 || reader.isNullish(node, '<symbol kHandle>') && reader.isNullish(node, '_handle');
  return {
    kind: 'socket',
    node,
    className,
    description: `${what}${where}${connecting ? ' (connecting)' : ''}${closed && !isStdio ? ' (closed)' : ''}`,
    ...(local ? { localAddress: local } : {}),
    ...(remote ? { remoteAddress: remote } : {}),
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
