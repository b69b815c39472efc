// Process trees from /proc: every process whose parent chain leads to a given pid, plus the ones
// that left it (re-parented to init or a subreaper after their parent died, or a new session)
// but can still be recognised: same process group, or a marker in their environment.
//
// Processes are named by pid *and* start time, so a pid reused by an unrelated process after
// the original exited is never signalled.

import { readdirSync, readFileSync } from 'node:fs';
import { isNodeProcess } from './discover.js';
import { assertLinux, hasSignal, parseProcStatus, readProcessInfo } from './proc.js';

export interface StatEntry {
  pid: number;
  /** The kernel's comm (15 characters at most). */
  comm: string;
  /** R, S, D, Z (zombie), T, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot (field 22): with the pid, identifies the process across pid reuse. */
  startTime: number;
}

/**
 * Parse /proc/PID/stat. comm is in parentheses and may itself contain spaces and parentheses,
 * so the fields after it are split after the *last* ')'. Null for text that is not a stat line.
 */
export function parseStat(text: string): StatEntry | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); ppid 4, pgrp 5, session 6, starttime 22.
  if (!Number.isSafeInteger(pid) || pid <= 0 || rest.length < 20) return null;
  const num = (i: number) => (/^-?\d+$/.test(rest[i]) ? Number(rest[i]) : NaN);
  const entry: StatEntry = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    startTime: num(19),
  };
  if ([entry.ppid, entry.pgrp, entry.session, entry.startTime].some((n) => Number.isNaN(n))) return null;
  return entry;
}

/** Every process in /proc (threads are not listed: /proc only shows thread-group leaders). */
export function listProcesses(): StatEntry[] {
  assertLinux();
  const out: StatEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const entry = parseStat(text);
    if (entry) out.push(entry);
  }
  return out;
}

export interface TreeSelector {
  /** The tree's root: it and all its descendants by ppid. */
  rootPid: number;
  /** More roots, with their start times (processes seen earlier, whose parent may have died since). */
  alsoRoots?: readonly Pick<StatEntry, 'pid' | 'startTime'>[];
  /** Also every process in this process group (the root's, when it was started detached). */
  pgrp?: number;
  /** Also every process (of ours) whose environment has this exact `NAME=value` entry. */
  envMarker?: string;
  /** Read a process's environment (NUL-separated); default reads /proc/PID/environ. */
  readEnviron?: (pid: number) => string | null;
}

/**
 * The processes of a tree, root first, then breadth first by ppid; then any that left it but are
 * in `pgrp` or carry `envMarker` (and their descendants). Zombies are left out: they are already
 * dead and only wait for their parent to reap them. Pure apart from `readEnviron`.
 */
export function selectTree(entries: readonly StatEntry[], selector: TreeSelector): StatEntry[] {
  const children = new Map<number, StatEntry[]>();
  for (const entry of entries) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry);
    children.set(entry.ppid, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.pid - b.pid);
  const byPid = new Map(entries.map((entry) => [entry.pid, entry]));

  const picked = new Map<number, StatEntry>();
  const queue: StatEntry[] = [];
  const add = (entry: StatEntry | undefined) => {
    if (!entry || picked.has(entry.pid)) return;
    picked.set(entry.pid, entry);
    queue.push(entry);
  };
  const drain = () => {
    while (queue.length > 0) for (const child of children.get(queue.shift()!.pid) ?? []) add(child);
  };
  add(byPid.get(selector.rootPid));
  for (const root of selector.alsoRoots ?? []) {
    const entry = byPid.get(root.pid);
    if (entry && entry.startTime === root.startTime) add(entry);
  }
  drain();
  const strays = entries.filter((entry) => !picked.has(entry.pid));
  if (selector.pgrp !== undefined && selector.pgrp > 1) {
    for (const entry of strays) if (entry.pgrp === selector.pgrp) add(entry);
    drain();
  }
  if (selector.envMarker) {
    const read = selector.readEnviron ?? readEnvironText;
    for (const entry of strays) {
      if (picked.has(entry.pid) || entry.state === 'Z') continue;
      const environ = read(entry.pid);
      if (environ !== null && environ.split('\0').includes(selector.envMarker)) add(entry);
    }
    drain();
  }
  return [...picked.values()].filter((entry) => entry.state !== 'Z' && entry.state !== 'X');
}

function readEnvironText(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return null; // gone, or another user's
  }
}

/** The live processes of a tree right now (see selectTree). */
export function processTree(selector: TreeSelector): StatEntry[] {
  return selectTree(listProcesses(), selector);
}

export interface NodeProcess {
  pid: number;
  ppid: number;
  startTime: number;
  argv: string[];
  /**
   * What SIGUSR1 (open the inspector) would do: `blocked` in `node --test`'s runner process,
   * which therefore cannot be inspected from outside.
   */
  sigusr1: 'handled' | 'blocked' | 'ignored' | 'default';
}

const SIGUSR1 = 10;

/** SIGUSR1's disposition from the text of /proc/PID/status. */
export function sigusr1Disposition(statusText: string): NodeProcess['sigusr1'] {
  const status = parseProcStatus(statusText);
  const mask = (name: string) => {
    const value = status.get(name);
    return value && /^[0-9a-fA-F]+$/.test(value) ? BigInt(`0x${value}`) : 0n;
  };
  if (hasSignal(mask('SigCgt'), SIGUSR1)) return 'handled';
  if (hasSignal(mask('SigIgn'), SIGUSR1)) return 'ignored';
  if (hasSignal(mask('SigBlk'), SIGUSR1)) return 'blocked';
  return 'default';
}

/** Which of `entries` are Node.js processes (same test as `attach`), with their command lines; not this one. */
export function nodeProcesses(entries: readonly StatEntry[]): NodeProcess[] {
  const out: NodeProcess[] = [];
  for (const entry of entries) {
    // Never ourselves (`attach <an ancestor> --children` has asyncgraph in the tree).
    if (entry.pid === process.pid) continue;
    try {
      const info = readProcessInfo(entry.pid);
      if (info.startTime !== entry.startTime) continue; // exited, pid reused
      if (!isNodeProcess(info)) continue;
      const sigusr1 = sigusr1Disposition(readFileSync(`/proc/${entry.pid}/status`, 'utf8'));
      out.push({ pid: entry.pid, ppid: entry.ppid, startTime: entry.startTime, argv: trimArgv(info.argv), sigusr1 });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * A command line without the empty arguments a changed process.title leaves at its end (npm
 * writes its title over argv: "npm exec vitest run" followed by NULs).
 */
export function trimArgv(argv: readonly string[]): string[] {
  let end = argv.length;
  while (end > 0 && argv[end - 1] === '') end--;
  return argv.slice(0, end);
}

/**
 * Whether the process is still the one we listed (same start time) and not a zombie. A
 * process that exited and whose pid was reused is gone.
 */
export function stillRunning(entry: Pick<StatEntry, 'pid' | 'startTime'>): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${entry.pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const now = parseStat(text);
  return now !== null && now.startTime === entry.startTime && now.state !== 'Z' && now.state !== 'X';
}

/** Send `signal` to one process if it is still the one we listed; false if it is gone. */
export function signalProcess(entry: Pick<StatEntry, 'pid' | 'startTime'>, signal: NodeJS.Signals): boolean {
  if (entry.pid <= 1 || entry.pid === process.pid || !stillRunning(entry)) return false;
  try {
    process.kill(entry.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Send `signal` to a whole process group (kill(-pgrp)); false if none is left or not allowed. */
export function signalGroup(pgrp: number, signal: NodeJS.Signals): boolean {
  if (!Number.isSafeInteger(pgrp) || pgrp <= 1 || pgrp === ownGroup()) return false;
  try {
    process.kill(-pgrp, signal);
    return true;
  } catch {
    return false;
  }
}

/** Our own process group: never signalled as a whole. */
function ownGroup(): number {
  try {
    return parseStat(readFileSync('/proc/self/stat', 'utf8'))?.pgrp ?? -1;
  } catch {
    return -1;
  }
}

export interface StopResult {
  /** Processes that got SIGTERM. */
  terminated: number;
  /** Processes still there after the grace period, that got SIGKILL. */
  killed: number;
  /** Processes still alive at the end (should be none). */
  survivors: StatEntry[];
}

/**
 * Stops a whole tree: SIGTERM to its process group and to every member (also those that left
 * the group), then, for what is left after `graceMs`, SIGKILL. Processes that appear meanwhile
 * (a runner replacing a worker) get the same. Every process once seen stays a root, so children
 * re-parented to init after their parent died are still found. Bounded: returns after at most
 * graceMs + killWaitMs (+ one poll).
 */
export async function stopTree(
  selector: TreeSelector,
  options: { graceMs: number; killWaitMs?: number; pollMs?: number },
): Promise<StopResult> {
  const pollMs = options.pollMs ?? 50;
  const known = new Map<string, StatEntry>();
  const key = (entry: StatEntry) => `${entry.pid}:${entry.startTime}`;
  const scan = () => {
    const found = processTree({ ...selector, alsoRoots: [...known.values()] }).filter((entry) => entry.pid !== process.pid);
    for (const entry of found) known.set(key(entry), entry);
    return found;
  };
  // Each process (and the group) gets each signal once: some programs treat a second SIGTERM as
  // "skip the cleanup".
  const signalled = new Map<string, NodeJS.Signals>();
  const groupSignalled = new Set<NodeJS.Signals>();
  const hit = (entries: StatEntry[], signal: NodeJS.Signals) => {
    if (selector.pgrp !== undefined && !groupSignalled.has(signal)) {
      signalGroup(selector.pgrp, signal);
      groupSignalled.add(signal);
    }
    for (const entry of entries) {
      if (signalled.get(key(entry)) === signal) continue;
      signalProcess(entry, signal);
      signalled.set(key(entry), signal);
    }
  };

  let alive = scan();
  const terminated = alive.length;
  hit(alive, 'SIGTERM');
  const graceEnd = Date.now() + options.graceMs;
  while (alive.length > 0 && Date.now() < graceEnd) {
    await sleep(Math.min(pollMs, graceEnd - Date.now()));
    alive = scan();
    hit(alive, 'SIGTERM');
  }
  const killed = alive.length;
  const killEnd = Date.now() + (options.killWaitMs ?? 2000);
  while (alive.length > 0) {
    hit(alive, 'SIGKILL');
    if (Date.now() >= killEnd) break;
    await sleep(pollMs);
    alive = scan();
  }
  return { terminated, killed, survivors: alive };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
}
