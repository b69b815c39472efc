import type { HeapGraph } from '../snapshot/heap-graph.js';
import { HeapReader } from '../snapshot/heap-reader.js';
import { describeResource, type FoundResource } from './resources.js';

// What keeps the target's event loop alive, read from the heap snapshot from outside — what
// why-is-node-running shows from inside, without a preload.
//
// - libuv handles and requests: Node reports every live BaseObject in the snapshot's embedder
//   graph as a node named "Node / <Class>" (TCPSocketWrap, TCPServerWrap, PipeWrap, ProcessWrap,
//   FSEventWrap, SignalWrap, FSReqPromise…, synthetic on Node 20/22, native on 24) with an edge
//   `native_to_javascript` to its JS object (TCP, Process…), whose `Symbol(owner_symbol)` is the
//   net.Socket / net.Server / ChildProcess people know.
// - Timers are not handles of their own (one libuv timer serves all): a Timeout is armed when it
//   is linked into a timer list (`_idleNext` is another list item, not itself or null), not
//   `_destroyed`, with `_idleTimeout` ≥ 0 (lib/internal/timers.js). Immediates: not `_destroyed`.
//
// What the snapshot cannot tell: whether a handle is referenced. Timers and immediates carry
// `Symbol(refed)`, and a net.Server `_unref`; sockets, child processes and watchers keep their
// ref state in libuv only, so for them `refed` is absent. Signal handles are always unref()ed by
// Node itself. A socket or pipe keeps the loop alive
// only while it reads or writes: `reading` on its handle says whether it reads.

/** libuv handle and request wrappers worth listing, by the class Node names in its embedder graph. */
const HANDLE_WRAPS = new Map<string, 'handle' | 'request'>([
  ['TCPSocketWrap', 'handle'],
  ['TCPServerWrap', 'handle'],
  ['TCPWrap', 'handle'],
  ['PipeWrap', 'handle'],
  ['PipeServerWrap', 'handle'],
  ['TTYWrap', 'handle'],
  ['ProcessWrap', 'handle'],
  ['FSEventWrap', 'handle'],
  ['StatWatcher', 'handle'],
  ['SignalWrap', 'handle'],
  ['UDPWrap', 'handle'],
  ['MessagePort', 'handle'],
  ['Worker', 'handle'],
  ['FSReqPromise', 'request'],
  ['FSReqCallback', 'request'],
  ['ReadFileJob', 'request'],
  ['FileHandleReadWrap', 'request'],
  ['GetAddrInfoReqWrap', 'request'],
  ['GetNameInfoReqWrap', 'request'],
  ['QueryReqWrap', 'request'],
  ['TCPConnectWrap', 'request'],
  ['PipeConnectWrap', 'request'],
  ['WriteWrap', 'request'],
  ['ShutdownWrap', 'request'],
  ['SendWrap', 'request'],
]);

export interface FoundHandle {
  resource: FoundResource;
  /** Whether it keeps the loop alive as far as the snapshot tells (false: it does not, e.g. a socket that does not read). */
  active: boolean;
  /** Known only for timers, immediates and servers. */
  refed?: boolean;
  /** Short state: "listening", "reading", "not reading", "running", "in flight", "armed". */
  state: string;
}

export function findKeepAlive(heap: HeapGraph): FoundHandle[] {
  const reader = new HeapReader(heap);
  const handles: FoundHandle[] = [];
  const seen = new Set<number>();
  const add = (handle: FoundHandle) => {
    if (seen.has(handle.resource.node)) return;
    seen.add(handle.resource.node);
    handles.push(handle);
  };
  const nativeToJs = reader.str('native_to_javascript');
  for (let n = 0; n < heap.nodeCount; n++) {
    const name = heap.nameOf(n);
    if (name === 'Timeout' && reader.isObject(n)) {
      const timer = armedTimer(reader, n);
      if (timer) add(timer);
    } else if (name === 'Immediate' && reader.isObject(n)) {
      if (reader.prop(n, '_destroyed') === true) continue;
      const resource = describeResource(reader, n);
      const refed = reader.prop(n, '<symbol refed>');
      if (resource) add({ resource, active: refed !== false, ...(typeof refed === 'boolean' ? { refed } : {}), state: 'queued' });
    } else if (name.startsWith('Node / ') && reader.isRoot(n)) {
      const kind = HANDLE_WRAPS.get(name.slice('Node / '.length));
      if (!kind) continue;
      const js = heap.namedEdgeTarget(n, nativeToJs);
      if (js < 0) continue;
      const handle = describeHandle(reader, js, kind);
      if (handle) add(handle);
    }
  }
  return handles.sort((a, b) => KIND_ORDER.indexOf(a.resource.kind) - KIND_ORDER.indexOf(b.resource.kind) || heap.idOf(a.resource.node) - heap.idOf(b.resource.node));
}

const KIND_ORDER: FoundResource['kind'][] = ['server', 'socket', 'child-process', 'timer', 'immediate', 'fs-request', 'fs-watcher', 'request', 'worker', 'message-port', 'signal'];

function armedTimer(reader: HeapReader, node: number): FoundHandle | null {
  const resource = describeResource(reader, node);
  if (!resource?.timer || resource.timer.destroyed || resource.timer.delayMs < 0) return null;
  const next = reader.get(node, '_idleNext');
  if (next < 0 || next === node || !reader.isObject(next)) return null;
  const refed = resource.timer.refed;
  return { resource, active: refed !== false, ...(refed !== undefined ? { refed } : {}), state: refed === false ? 'unref()ed' : 'armed' };
}

function describeHandle(reader: HeapReader, js: number, kind: 'handle' | 'request'): FoundHandle | null {
  const resource = describeResource(reader, js);
  if (!resource) {
    const className = reader.className(js);
    return {
      resource: { kind: 'request', node: js, id: reader.heap.idOf(js), className, description: `${kind === 'request' ? 'native request' : 'native handle'} ${className}` },
      active: true,
      state: kind === 'request' ? 'in flight' : 'open',
    };
  }
  if (kind === 'request') return { resource, active: true, state: 'in flight' };
  switch (resource.kind) {
    case 'server': {
      const unref = reader.prop(resource.node, '_unref');
      const listening = !reader.isNullish(resource.node, '_handle');
      return {
        resource,
        active: listening && unref !== true,
        ...(typeof unref === 'boolean' ? { refed: !unref } : {}),
        state: listening ? (unref === true ? 'listening, unref()ed' : 'listening') : 'closed',
      };
    }
    case 'socket': {
      // The handle says whether it reads; a socket that neither reads nor writes keeps nothing alive.
      // (Pending writes are WriteWrap requests, listed on their own.)
      const reading = reader.prop(js, 'reading') === true;
      const connecting = reader.prop(resource.node, 'connecting') === true;
      return { resource, active: connecting || reading, state: connecting ? 'connecting' : reading ? 'reading' : 'not reading' };
    }
    case 'child-process':
      return { resource, active: true, state: 'running' };
    case 'signal':
      // Node unref()s every signal handle (lib/internal/process/signal.js): it keeps nothing alive.
      return { resource, active: false, refed: false, state: 'unref()ed' };
    default:
      return { resource, active: true, state: 'open' };
  }
}
