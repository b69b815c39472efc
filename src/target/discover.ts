// Finding (or opening) the V8 inspector of a running Node.js process, given its pid.
//
//  1. /proc tells us whether the pid is Node and which TCP ports it LISTENs on.
//  2. Each loopback port is asked for GET /json/list; the one answering like an inspector wins.
//  3. If there is none, SIGUSR1 makes Node open its inspector (on --inspect-port, default 9229) —
//     but only if the process has a SIGUSR1 handler: otherwise the signal would kill it.

import { basename } from 'node:path';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InspectorUnavailableError,
  NoSuchProcessError,
  NotAnInspectorError,
  NotNodeProcessError,
  PermissionDeniedError,
  TargetExitedError,
  TimeoutError,
  UsageError,
} from '../errors.js';
import {
  assertLinux,
  findSocketOwner,
  hasSignal,
  listeningPorts,
  namespaceListenSockets,
  readEnviron,
  readProcessInfo,
  sameNetNamespace,
  type ListeningSocket,
  type ProcessInfo,
} from './proc.js';
import { NODE_OPTIONS_WITH_VALUE, shortCommand } from './command-line.js';
import { gentleGet, type HttpAnswer } from './gentle-http.js';
import { isWildcardHost } from './remote-policy.js';

export interface InspectorTarget {
  id: string;
  title: string;
  url: string;
  webSocketDebuggerUrl: string;
  type: string;
  description?: string;
  devtoolsFrontendUrl?: string;
  faviconUrl?: string;
}

export interface FoundInspector {
  /** Address to connect to: "127.0.0.1", another 127.x address, or "::1". */
  host: string;
  port: number;
  /** webSocketDebuggerUrl of the first target. */
  webSocketDebuggerUrl: string;
  targets: InspectorTarget[];
}

export interface ActivatedInspector extends FoundInspector {
  /**
   * True if asyncgraph opened this inspector with SIGUSR1 (it stays open unless the caller closes
   * it); false if one was already open when activateInspector was called.
   */
  activated: boolean;
}

export interface ResolvedTarget {
  pid: number;
  host: string;
  port: number;
  webSocketDebuggerUrl: string;
  targets: InspectorTarget[];
  /** True if the inspector was opened by us (SIGUSR1), false if it was already open. */
  activated: boolean;
  /** e.g. "v20.20.2", from /json/version; undefined if it could not be read. */
  nodeVersion?: string;
  /** Name and command line of the process (for display). */
  comm: string;
  argv: string[];
}

export const DEFAULT_INSPECTOR_HOST = '127.0.0.1';
export const DEFAULT_INSPECTOR_PORT = 9229;
const SIGUSR1 = 10;
/** Upper bound for an inspector's HTTP answer; /json/list of a Node process is < 1 kB. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Parallel /json/list probes per process. */
const PROBE_CONCURRENCY = 8;
/** Per-port cap on one probe: the inspector's HTTP side runs on its own thread and answers in ms. */
const PROBE_TIMEOUT_MS = 1000;
/** After SIGUSR1, how long to wait before trusting "the port is taken by someone else". */
const CONFLICT_GRACE_MS = 750;

// ---------------------------------------------------------------------------------------------
// Is it Node?

const NODE_BASENAME = /^node(js)?([-_.]?v?\d+(\.\d+)*)?$/i;

/** Whether the executable (or argv[0]) looks like a Node.js binary: node, nodejs, node20, node-22, … */
export function isNodeProcess(info: Pick<ProcessInfo, 'exe' | 'argv'>): boolean {
  const candidates = [info.exe, info.argv[0]].filter((p): p is string => !!p);
  return candidates.some((p) => NODE_BASENAME.test(basename(p)) || p.includes('/node_modules/node/bin/'));
}

/** Whether the process has a SIGUSR1 handler installed (SigCgt bit 9), so the signal will not kill it. */
export function catchesSigusr1(info: Pick<ProcessInfo, 'sigCaught'>): boolean {
  return hasSignal(info.sigCaught, SIGUSR1);
}

// ---------------------------------------------------------------------------------------------
// HTTP

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * GET with a hard deadline covering connect, headers and body, and a body size cap. Never resets
 * the connection (see gentle-http.ts): the port may be the application's own, fragile server.
 */
function httpGet(host: string, port: number, path: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer> {
  return gentleGet(host, port, path, timeoutMs, { signal, maxBytes: MAX_BODY_BYTES });
}

function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * GET http://HOST:PORT/json/list and return the targets. Throws NotAnInspectorError if the port
 * answers something else (non-JSON, not an array, no webSocketDebuggerUrl), TimeoutError if it
 * does not answer within `timeoutMs`, InspectorUnavailableError if it cannot be reached.
 */
export async function fetchInspectorTargets(
  host: string,
  port: number,
  timeoutMs = 2000,
  signal?: AbortSignal,
): Promise<InspectorTarget[]> {
  const where = hostPort(host, port);
  const { status, body } = await httpGet(host, port, '/json/list', timeoutMs, signal);
  if (status !== 200) throw new NotAnInspectorError(`${where} answered HTTP ${status} to /json/list: not an inspector`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotAnInspectorError(`${where} answered /json/list with non-JSON: not an inspector`);
  }
  if (!Array.isArray(parsed)) {
    throw new NotAnInspectorError(`${where} answered /json/list with JSON that is not an array: not an inspector`);
  }
  const targets: InspectorTarget[] = [];
  for (const t of parsed as unknown[]) {
    if (typeof t !== 'object' || t === null) continue;
    const o = t as Record<string, unknown>;
    let ws = asString(o.webSocketDebuggerUrl);
    if (!/^wss?:\/\//.test(ws)) continue;
    // An inspector bound to a wildcard address may report it; point at the address we reached.
    try {
      const u = new URL(ws);
      if (isWildcardHost(u.hostname)) {
        u.host = hostPort(host, Number(u.port || port));
        ws = u.toString();
      }
    } catch {
      continue;
    }
    targets.push({
      id: asString(o.id),
      title: asString(o.title),
      url: asString(o.url),
      webSocketDebuggerUrl: ws,
      type: asString(o.type),
      ...(typeof o.description === 'string' ? { description: o.description } : {}),
      ...(typeof o.devtoolsFrontendUrl === 'string' ? { devtoolsFrontendUrl: o.devtoolsFrontendUrl } : {}),
      ...(typeof o.faviconUrl === 'string' ? { faviconUrl: o.faviconUrl } : {}),
    });
  }
  if (targets.length === 0) {
    throw new NotAnInspectorError(`${where} answered /json/list without any webSocketDebuggerUrl: not an inspector`);
  }
  return targets;
}

/** GET /json/version; returns the Node.js version ("v20.20.2") or undefined. Never throws. */
export async function fetchNodeVersion(host: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  try {
    const { status, body } = await httpGet(host, port, '/json/version', timeoutMs);
    if (status !== 200) return undefined;
    const v = JSON.parse(body) as Record<string, unknown>;
    const raw = asString(v['Node.js']) || asString(v.Browser);
    const m = /v?(\d+\.\d+\.\d+\S*)/.exec(raw);
    return m ? `v${m[1]}` : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Finding an open inspector

/** Where to connect for a socket listening on `address`; null if it is not reachable over loopback. */
export function loopbackHostFor(address: string): string | null {
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (a === '0.0.0.0') return '127.0.0.1';
  if (isIP(a) === 4 && a.startsWith('127.')) return a;
  if (a === '::' || a === '::1') return '::1';
  return null;
}

function assertReachableNamespace(pid: number): void {
  if (sameNetNamespace(pid) === false) {
    throw new InspectorUnavailableError(
      `process ${pid} is in another network namespace (a container?): its loopback ports are not reachable from here`,
      `as root with nsenter (util-linux) installed, asyncgraph enters it by itself; else run it inside that namespace, e.g. \`sudo nsenter -t ${pid} -n asyncgraph …\`, or in the container`,
    );
  }
}

interface Candidate {
  host: string;
  port: number;
  key: string;
}

function candidatesOf(sockets: ListeningSocket[]): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const s of sockets) {
    const host = loopbackHostFor(s.address);
    if (!host) continue;
    const key = hostPort(host, s.port);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host, port: s.port, key });
  }
  return out;
}

/**
 * Ask each candidate for /json/list (a few at a time) until one is an inspector. Candidates that
 * are definitely not inspectors (and, with `rejectSlow`, those that do not answer in time) are added
 * to `rejected` when given, and skipped on later calls.
 */
async function probe(
  candidates: Candidate[],
  deadline: number,
  perProbeMs: number,
  rejected?: Set<string>,
  rejectSlow = false,
) {
  const todo = candidates.filter((c) => !rejected?.has(c.key));
  const ac = new AbortController();
  let found: FoundInspector | null = null;
  let next = 0;
  const worker = async () => {
    while (!found && next < todo.length) {
      const c = todo[next++];
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      try {
        const targets = await fetchInspectorTargets(c.host, c.port, Math.min(remaining, perProbeMs), ac.signal);
        if (!found) {
          found = { host: c.host, port: c.port, webSocketDebuggerUrl: targets[0].webSocketDebuggerUrl, targets };
          ac.abort();
        }
      } catch (err) {
        if (err instanceof NotAnInspectorError || (rejectSlow && err instanceof TimeoutError)) rejected?.add(c.key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, todo.length) }, worker));
  return found as FoundInspector | null;
}

/**
 * Find an inspector that process `pid` already listens on (loopback or wildcard addresses only).
 * Ports answering something else (the app's own HTTP server) are skipped. Null if there is none.
 */
export async function findInspector(pid: number, opts: { timeoutMs?: number } = {}): Promise<FoundInspector | null> {
  assertLinux();
  const timeoutMs = opts.timeoutMs ?? 2000;
  assertReachableNamespace(pid);
  const candidates = candidatesOf(listeningPorts(pid));
  if (candidates.length === 0) return null;
  return probe(candidates, Date.now() + timeoutMs, Math.min(timeoutMs, PROBE_TIMEOUT_MS));
}

// ---------------------------------------------------------------------------------------------
// Which port would SIGUSR1 open?

/** Split NODE_OPTIONS like Node does: whitespace-separated, "double quotes" with \ escapes. */
export function splitNodeOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\' && i + 1 < s.length) cur += s[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

const HOST_PORT_OPTIONS = new Set(['--inspect', '--inspect-brk', '--inspect-wait', '--inspect-brk-node', '--inspect-port', '--debug-port']);

function applyHostPort(value: string, into: { host: string; port: number }): void {
  // "9230", "host", "host:9230", "[::1]:9230", "[::1]"
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (v6) {
    into.host = v6[1];
    if (v6[2] !== undefined) into.port = Number(v6[2]);
    return;
  }
  if (/^\d+$/.test(value)) {
    into.port = Number(value);
    return;
  }
  const colon = value.lastIndexOf(':');
  if (colon >= 0 && /^\d+$/.test(value.slice(colon + 1)) && value.indexOf(':') === colon) {
    if (colon > 0) into.host = value.slice(0, colon);
    into.port = Number(value.slice(colon + 1));
  } else if (value) {
    into.host = value;
  }
}

function scanOptions(args: readonly string[], into: { host: string; port: number }, stopAtPositional: boolean) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') {
      if (stopAtPositional) break;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (value === undefined && NODE_OPTIONS_WITH_VALUE.has(name)) value = args[++i];
    if (HOST_PORT_OPTIONS.has(name) && value !== undefined) applyHostPort(value, into);
  }
}

/**
 * Where Node would open its inspector on SIGUSR1: --inspect[-brk|-wait|-port]/--debug-port from
 * NODE_OPTIONS, then from the command line (which wins); default 127.0.0.1:9229.
 */
export function expectedInspectorAddress(argv: readonly string[], nodeOptions?: string): { host: string; port: number } {
  const hp = { host: DEFAULT_INSPECTOR_HOST, port: DEFAULT_INSPECTOR_PORT };
  if (nodeOptions) scanOptions(splitNodeOptions(nodeOptions), hp, false);
  scanOptions(argv.slice(1), hp, true);
  return hp;
}

function mayConflict(listenAddress: string, host: string): boolean {
  const norm = (a: string) => (a.startsWith('::ffff:') ? a.slice(7) : a);
  const a = norm(listenAddress);
  const h = norm(host);
  return a === h || isWildcardHost(a) || isWildcardHost(h) || isIP(h) === 0 /* hostname: be lenient */;
}

/** If another process holds the port the target would open, the error to report; else null. */
function portInUseError(pid: number, host: string, port: number, withOwner: boolean): InspectorUnavailableError | null {
  if (port === 0) return null;
  let sockets: ListeningSocket[];
  let own: Set<string>;
  try {
    sockets = namespaceListenSockets(pid).filter((s) => s.port === port && mayConflict(s.address, host));
    own = new Set(listeningPorts(pid).map((s) => s.inode));
  } catch {
    return null;
  }
  if (sockets.length === 0) return null;
  const hint =
    'Start the target with --inspect-port=0 (or NODE_OPTIONS=--inspect-port=0) so SIGUSR1 picks a free port.';
  const ownSockets = sockets.filter((s) => own.has(s.inode));
  const others = sockets.filter((s) => !own.has(s.inode));
  if (others.length === 0) {
    const where = ownSockets.map((s) => hostPort(s.address, s.port)).join(', ');
    return new InspectorUnavailableError(
      `port ${port} is already in use by process ${pid} itself (${where}), and no inspector answers on it over loopback`,
      hint,
    );
  }
  let by = 'by another process';
  if (withOwner) {
    const owner = findSocketOwner(new Set(others.map((s) => s.inode)), { excludePid: pid });
    if (owner) by = `by pid ${owner.pid}, \`${owner.argv.length ? shortCommand(owner.argv, { max: 80 }) : owner.comm}\``;
  }
  return new InspectorUnavailableError(
    `port ${port} is already in use (${by}); the target could not open its inspector.`,
    hint,
  );
}

// ---------------------------------------------------------------------------------------------
// Activation

function validPid(pid: number): void {
  // kill(0) / kill(-1) would signal whole process groups: never let those through.
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`invalid pid: ${String(pid)}`);
}

function isGone(info: ProcessInfo): boolean {
  return info.state === 'Z' || info.state === 'X';
}

/**
 * Open the inspector of Node process `pid` by sending SIGUSR1, and wait for it to answer.
 * Refuses (InspectorUnavailableError) when the process has no SIGUSR1 handler, since the signal
 * would then terminate it (node --disable-sigusr1, or not Node).
 */
export async function activateInspector(
  pid: number,
  opts: { timeoutMs?: number; pollIntervalMs?: number; expectStartTime?: number } = {},
): Promise<ActivatedInspector> {
  assertLinux();
  validPid(pid);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const pollMs = opts.pollIntervalMs ?? 50;

  const info = readProcessInfo(pid);
  if (isGone(info)) throw new NoSuchProcessError(pid, `process ${pid} has exited`);
  if (opts.expectStartTime !== undefined && info.startTime !== opts.expectStartTime) {
    throw new TargetExitedError(`process ${pid} exited (its pid now belongs to another process)`);
  }
  if (!isNodeProcess(info)) {
    throw new NotNodeProcessError(`process ${pid} (\`${info.comm}\`) is not a Node.js process`);
  }
  const env = readEnviron(pid);
  const nodeOptions = env?.get('NODE_OPTIONS');
  if (!catchesSigusr1(info)) {
    const flagged = [...info.argv, ...(nodeOptions ? splitNodeOptions(nodeOptions) : [])].includes('--disable-sigusr1');
    const how = hasSignal(info.sigIgnored, SIGUSR1) ? 'ignores SIGUSR1' : 'does not handle SIGUSR1';
    throw new InspectorUnavailableError(
      `process ${pid} ${how}${flagged ? ' (started with --disable-sigusr1)' : ' (started with --disable-sigusr1?)'}, ` +
        'so its inspector cannot be opened from outside' +
        (how === 'does not handle SIGUSR1' ? ' (the signal would terminate it)' : ''),
      'restart the target with --inspect=0 (or NODE_OPTIONS=--inspect=0), or without --disable-sigusr1',
    );
  }
  assertReachableNamespace(pid);
  const expected = expectedInspectorAddress(info.argv, nodeOptions);
  // Started by `asyncgraph run`: its preload (src/preload/inspect-port.cts) moved the default port to 0.
  if (env?.get('ASYNCGRAPH_INSPECT_PORT') === '0' && expected.port === DEFAULT_INSPECTOR_PORT) expected.port = 0;

  // Ports that were there before the signal and are not inspectors (or hang) need not be asked again.
  const rejected = new Set<string>();
  const start = Date.now();
  const deadline = start + timeoutMs;
  const before = candidatesOf(listeningPorts(pid));
  const existing = await probe(before, Math.min(deadline, start + PROBE_TIMEOUT_MS), PROBE_TIMEOUT_MS, rejected, true);
  if (existing) return { ...existing, activated: false };

  // Re-check right before signalling (synchronously: no event-loop turn in between).
  const now = readProcessInfo(pid);
  if (now.startTime !== info.startTime || isGone(now)) throw new TargetExitedError(`process ${pid} exited`);
  if (!catchesSigusr1(now)) throw new InspectorUnavailableError(`process ${pid} no longer handles SIGUSR1`);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new NoSuchProcessError(pid, `no such process: ${pid}`, { cause: err });
    if (code === 'EPERM') {
      throw new PermissionDeniedError(`not allowed to send SIGUSR1 to process ${pid}`, undefined, { cause: err });
    }
    throw err;
  }

  const found = await pollForInspector(pid, info.startTime, start, deadline, rejected, pollMs, expected);
  if (found) return { ...found, activated: true };
  const where = expected.port === 0 ? 'a random port' : hostPort(expected.host, expected.port);
  const nonLoopback = loopbackHostFor(expected.host) === null && isIP(expected.host) !== 0;
  throw new ActivationTimeoutError(
    `no inspector appeared within ${timeoutMs} ms after sending SIGUSR1 to process ${pid} (expected on ${where})`,
    nonLoopback
      ? `its inspector host ${expected.host} is not a loopback address; restart it with --inspect-port=127.0.0.1:0`
      : 'the process may be stuck in synchronous code, have its own SIGUSR1 listener, or lack inspector support; ' +
        'try a longer --activation-timeout, or start it with --inspect=0',
    { pid, startTime: info.startTime, signalledAt: start, where, rejected, nonLoopback },
  );
}

/**
 * SIGUSR1 was sent but no inspector answered in time: Node opens it from its event loop
 * (the signal only wakes a watchdog thread, which asks the main thread), so a main thread blocked
 * in native code (`execSync`) opens it when it returns, maybe long after asyncgraph gave up.
 */
export class ActivationTimeoutError extends InspectorUnavailableError {
  constructor(
    message: string,
    hint: string,
    readonly pending: {
      pid: number;
      startTime: number;
      signalledAt: number;
      /** Where it will listen: `127.0.0.1:9229`, or `a random port`. */
      where: string;
      rejected: Set<string>;
      nonLoopback: boolean;
    },
  ) {
    super(message, hint);
  }
}

/**
 * After an activation timed out: watches for the inspector the pending SIGUSR1 opens, until
 * `deadline`. Null if none appeared (or the process went away).
 */
export async function waitForLateInspector(pending: ActivationTimeoutError['pending'], deadline: number, signal?: AbortSignal): Promise<FoundInspector | null> {
  try {
    return await pollForInspector(pending.pid, pending.startTime, pending.signalledAt, deadline, pending.rejected, 100, null, signal);
  } catch (error) {
    if (error instanceof TargetExitedError || error instanceof NoSuchProcessError) return null;
    throw error;
  }
}

/**
 * Polls the process's listening ports for an inspector until `deadline`; null if none. Throws
 * when the process exits or its pid is reused, or (given `expected`) when another process holds
 * the port it would open.
 */
async function pollForInspector(
  pid: number,
  startTime: number,
  signalledAt: number,
  deadline: number,
  rejected: Set<string>,
  pollMs: number,
  expected: { host: string; port: number } | null,
  signal?: AbortSignal,
): Promise<FoundInspector | null> {
  const exited = () => new TargetExitedError(`process ${pid} exited after SIGUSR1`);
  for (;;) {
    if (signal?.aborted) return null;
    let sockets: ListeningSocket[];
    try {
      const cur = readProcessInfo(pid);
      if (isGone(cur) || cur.startTime !== startTime) throw exited();
      sockets = listeningPorts(pid);
    } catch (err) {
      if (err instanceof NoSuchProcessError) throw exited();
      throw err;
    }

    const remaining = deadline - Date.now();
    const found = await probe(
      candidatesOf(sockets),
      Date.now() + Math.max(0, Math.min(remaining, PROBE_TIMEOUT_MS)),
      PROBE_TIMEOUT_MS,
      rejected,
    );
    if (found) return found;

    const timedOut = Date.now() >= deadline;
    if (expected && (Date.now() - signalledAt >= CONFLICT_GRACE_MS || timedOut)) {
      const conflict = portInUseError(pid, expected.host, expected.port, true);
      if (conflict) throw conflict;
    }
    if (timedOut) return null;
    await sleep(Math.max(1, Math.min(pollMs, deadline - Date.now())), undefined, signal ? { signal } : undefined).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Everything together

/** Parse a pid from the command line or a number; UsageError if it is not a positive integer. */
export function parsePid(pid: number | string): number {
  const n = typeof pid === 'number' ? pid : /^\s*\d+\s*$/.test(pid) ? Number(pid) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`invalid pid: ${JSON.stringify(String(pid))} (expected a positive integer)`);
  }
  return n;
}

/**
 * Validate `pid`, check it is a live Node.js process, and return its inspector: an already open
 * one, else one opened with SIGUSR1 (unless `activate: false`).
 */
export async function resolveTarget(
  pidArg: number | string,
  opts: { timeoutMs?: number; activate?: boolean; activationTimeoutMs?: number } = {},
): Promise<ResolvedTarget> {
  const pidIn = parsePid(pidArg);
  assertLinux();
  let info = readProcessInfo(pidIn);
  // A thread id (e.g. of a worker thread) names its process.
  if (info.tgid !== pidIn && info.tgid > 0) info = readProcessInfo(info.tgid);
  const pid = info.pid;
  if (isGone(info)) throw new NoSuchProcessError(pid, `process ${pid} has exited`);
  if (!isNodeProcess(info)) {
    throw new NotNodeProcessError(`process ${pid} (\`${info.comm}\`) is not a Node.js process`);
  }

  let found: FoundInspector | null = await findInspector(pid, { timeoutMs: Math.min(opts.timeoutMs ?? 2000, 2000) });
  let activated = false;
  if (!found) {
    if (opts.activate === false) {
      throw new InspectorUnavailableError(
        `process ${pid} has no open inspector`,
        'allow activation with SIGUSR1, or start the target with --inspect=0',
      );
    }
    const opened = await activateInspector(pid, { timeoutMs: opts.activationTimeoutMs ?? opts.timeoutMs, expectStartTime: info.startTime });
    found = opened;
    activated = opened.activated;
  }
  const nodeVersion = await fetchNodeVersion(found.host, found.port);
  return {
    pid,
    host: found.host,
    port: found.port,
    webSocketDebuggerUrl: found.webSocketDebuggerUrl,
    targets: found.targets,
    activated,
    ...(nodeVersion ? { nodeVersion } : {}),
    comm: info.comm,
    argv: info.argv,
  };
}
