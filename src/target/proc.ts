// Readers of Linux /proc. Synchronous on purpose: they are small reads of virtual files, and keeping
// "check the target, then signal it" free of event-loop turns keeps the race window as small as it
// can be without pidfds.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import {
  AsyncgraphError,
  ExitCode,
  NoSuchProcessError,
  PermissionDeniedError,
} from '../errors.js';

export interface ProcessInfo {
  pid: number;
  /** Thread-group id: differs from `pid` when `pid` names a non-main thread. */
  tgid: number;
  ppid: number;
  /** Real uid. */
  uid: number;
  /** `Name:` from /proc/PID/status (the kernel's 15-char comm). */
  comm: string;
  /** Single-letter state: R, S, D, Z (zombie), T, … */
  state: string;
  /** readlink /proc/PID/exe, " (deleted)" suffix removed; null when not allowed or a kernel thread. */
  exe: string | null;
  /** /proc/PID/cmdline split on NUL (empty for zombies and kernel threads). */
  argv: string[];
  /** SigCgt: bit (n-1) set if signal n has a handler installed. */
  sigCaught: bigint;
  /** SigIgn: bit (n-1) set if signal n is ignored. */
  sigIgnored: bigint;
  /** Start time in clock ticks after boot (/proc/PID/stat field 22); identifies the process across pid reuse. */
  startTime: number;
}

export interface ListeningSocket {
  /** Local address as text: "127.0.0.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", … */
  address: string;
  port: number;
  family: 4 | 6;
  /** Socket inode, as in `socket:[INODE]`. */
  inode: string;
}

export interface NetTcpRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Two hex digits, e.g. "0A" = LISTEN, "01" = ESTABLISHED. */
  state: string;
  uid: number;
  inode: string;
}

/** A row of the namespace's TCP tables, with the table it came from. */
export interface NamespaceTcpRow extends NetTcpRow {
  family: 4 | 6;
}

export const TCP_LISTEN = '0A';

export function assertLinux(): void {
  if (process.platform !== 'linux') {
    throw new AsyncgraphError(
      `asyncgraph can only discover processes on Linux (it reads /proc); this is ${process.platform}`,
      ExitCode.Failure,
      'connect to an already-open inspector by host:port instead, if supported',
    );
  }
}

/** Translate an fs error from reading /proc/PID/... into the matching expected error; rethrow others. */
export function procError(err: unknown, pid: number, what: string): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ESRCH') {
    return new NoSuchProcessError(pid, `no such process: ${pid}`, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionDeniedError(`permission denied reading ${what} of process ${pid}`, undefined, {
      cause: err,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function readProcText(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (err) {
    throw procError(err, pid, `/proc/${pid}/${file}`);
  }
}

/** Parse the `Key:\tvalue` lines of /proc/PID/status. */
export function parseProcStatus(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

function parseIntOr(text: string | undefined, fallback: number): number {
  return text && /^\d+$/.test(text) ? Number(text) : fallback;
}

function hexMask(value: string | undefined): bigint {
  return value && /^[0-9a-fA-F]+$/.test(value) ? BigInt(`0x${value}`) : 0n;
}

/** True if `mask` (SigCgt/SigIgn/…) has signal number `signo` set. */
export function hasSignal(mask: bigint, signo: number): boolean {
  return ((mask >> BigInt(signo - 1)) & 1n) === 1n;
}

export function readProcessInfo(pid: number): ProcessInfo {
  assertLinux();
  const status = parseProcStatus(readProcText(pid, 'status'));
  const stat = readProcText(pid, 'stat');
  // comm in stat is parenthesised and may contain spaces and parens: split after the LAST ')'.
  const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // afterComm[0] is field 3 (state); field 22 (starttime) is afterComm[19].
  const startTime = parseIntOr(afterComm[19], 0);

  const cmdline = readProcText(pid, 'cmdline');
  const argv = cmdline.split('\0');
  if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();

  let exe: string | null = null;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EACCES/EPERM: another user's process. ENOENT: kernel thread or zombie (status was readable).
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOENT') throw procError(err, pid, 'exe');
  }

  return {
    pid,
    tgid: parseIntOr(status.get('Tgid'), pid),
    ppid: parseIntOr(status.get('PPid'), 0),
    uid: parseIntOr((status.get('Uid') ?? '').split(/\s+/)[0], -1),
    comm: status.get('Name') ?? '',
    state: (status.get('State') ?? '?').charAt(0),
    exe,
    argv,
    sigCaught: hexMask(status.get('SigCgt')),
    sigIgnored: hexMask(status.get('SigIgn')),
    startTime,
  };
}

/** /proc/PID/environ as a map; null when not readable (another user's process). */
export function readEnviron(pid: number): Map<string, string> | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return null;
    throw procError(err, pid, 'environ');
  }
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** What a thread is doing, from /proc/PID/task/TID/stat. */
export interface ThreadActivity {
  /** CPU time (user + system) used so far, ms. /proc counts in USER_HZ ticks: 100 per second. */
  cpuMs: number;
  /** The scheduler state: R running or runnable, S sleeping (an idle event loop waits in epoll), D, Z… */
  state: string;
}

/** One thread of PID (the main thread by default); undefined when unreadable. */
export function threadActivity(pid: number, tid = pid): ThreadActivity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? { cpuMs: ticks * 10, state: fields[0] } : undefined;
  } catch {
    return undefined;
  }
}

/** True if PID is a live process: /proc/PID exists and it is not a zombie waiting to be reaped. */
export function processExists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// /proc/net/tcp{,6}

const hostIsLittleEndian = endianness() === 'LE';

/** Reorder each 32-bit word of a hex string printed in host order into network byte order. */
function wordsToBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return bytes;
}

/** "0100007F" → "127.0.0.1" (the kernel prints the address as a host-order u32). */
export function decodeIPv4Hex(hex: string, littleEndian = hostIsLittleEndian): string {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new Error(`bad IPv4 hex address: ${hex}`);
  return wordsToBytes(hex, littleEndian).join('.');
}

/** Format 16 bytes as an RFC 5952 IPv6 address (IPv4-mapped as ::ffff:a.b.c.d). */
export function formatIPv6(bytes: readonly number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // Longest run (≥ 2) of zero groups, first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** "00000000000000000000000001000000" → "::1" (four host-order u32 words). */
export function decodeIPv6Hex(hex: string, littleEndian = hostIsLittleEndian): string {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad IPv6 hex address: ${hex}`);
  return formatIPv6(wordsToBytes(hex, littleEndian));
}

function decodeEndpoint(text: string, family: 4 | 6, littleEndian: boolean): [string, number] {
  const [addr, port] = text.split(':');
  const address = family === 4 ? decodeIPv4Hex(addr, littleEndian) : decodeIPv6Hex(addr, littleEndian);
  return [address, parseInt(port, 16)];
}

/**
 * Parse the text of /proc/PID/net/tcp (family 4) or tcp6 (family 6). The header line and
 * malformed lines are skipped. Ports are big-endian hex; addresses are host-order words.
 */
export function parseNetTcp(text: string, family: 4 | 6, littleEndian = hostIsLittleEndian): NetTcpRow[] {
  const rows: NetTcpRow[] = [];
  const addrLen = family === 4 ? 8 : 32;
  const endpoint = new RegExp(`^[0-9A-Fa-f]{${addrLen}}:[0-9A-Fa-f]{4}$`);
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode …
    if (f.length < 10 || !/^\d+:$/.test(f[0]) || !endpoint.test(f[1]) || !endpoint.test(f[2])) continue;
    const [localAddress, localPort] = decodeEndpoint(f[1], family, littleEndian);
    const [remoteAddress, remotePort] = decodeEndpoint(f[2], family, littleEndian);
    rows.push({
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      state: f[3].toUpperCase(),
      uid: Number(f[7]),
      inode: f[9],
    });
  }
  return rows;
}

/**
 * /proc/net/tcp is a seq_file that the kernel fills one page per read() and resumes by (hash
 * bucket, offset in the bucket) (net/ipv4/tcp_ipv4.c, tcp_seek_last_pos): while connections come
 * and go in a bucket, a row of it can show twice or not at all. Measured in a namespace with 128
 * hash buckets (net.ipv4.tcp_child_ehash_entries) and 600 connections opening and closing: 414 of
 * 847 reads had a row twice, 3 missed one. Rows are therefore keyed by inode, and where a missed
 * connection matters the tables are read twice, the second read filling what the first missed.
 * LISTEN rows come first, from the listeners' own hash, which connections do not churn; and each
 * read() walks the whole hash (about 2.3 ms per call on a 24 GiB host), so they are read once.
 */
const CONNECTION_TABLE_READS = 2;

/**
 * Every TCP socket of the network namespace that `pid` lives in that some process holds (inode
 * not 0), each once, IPv4 then IPv6, from `times` reads of the tables. No tcp6 file when IPv6 is
 * disabled is no IPv6 rows; any other failure throws (procError).
 */
export function namespaceTcpRows(pid: number, times = 1): NamespaceTcpRow[] {
  const reads: TcpTableRead[] = [];
  for (let read = 0; read < times; read++) {
    for (const family of [4, 6] as const) {
      try {
        reads.push({ family, text: readFileSync(`/proc/${pid}/net/${family === 4 ? 'tcp' : 'tcp6'}`, 'utf8') });
      } catch (err) {
        if (family === 6 && (err as NodeJS.ErrnoException).code === 'ENOENT' && processExists(pid)) continue;
        throw procError(err, pid, `/proc/${pid}/net`);
      }
    }
  }
  return mergeTcpReads(reads);
}

export interface TcpTableRead {
  family: 4 | 6;
  text: string;
}

/**
 * The rows of several reads of the TCP tables, once per inode (not 0), IPv4 then IPv6; a later
 * read's row wins, its state being the newer.
 */
export function mergeTcpReads(reads: readonly TcpTableRead[]): NamespaceTcpRow[] {
  const byInode = new Map<string, NamespaceTcpRow>();
  for (const family of [4, 6] as const) {
    for (const read of reads) {
      if (read.family !== family) continue;
      for (const row of parseNetTcp(read.text, family)) if (row.inode !== '0') byInode.set(row.inode, { ...row, family });
    }
  }
  return [...byInode.values()];
}

/** All LISTEN sockets of the network namespace that `pid` lives in (owned by anyone). */
export function namespaceListenSockets(pid: number): ListeningSocket[] {
  return namespaceTcpRows(pid)
    .filter((row) => row.state === TCP_LISTEN)
    .map((row) => ({ address: row.localAddress, port: row.localPort, family: row.family, inode: row.inode }));
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** Inodes of the sockets that `pid` has open (readlink /proc/PID/fd/*). */
export function socketInodes(pid: number): Set<string> {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    throw procError(err, pid, 'the open files');
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = SOCKET_LINK.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // fd closed meanwhile
      throw procError(err, pid, 'the open files');
    }
  }
  return inodes;
}

/**
 * Every TCP socket (IPv4 and IPv6) that `pid` has open, from its own network namespace's
 * /proc/PID/net/tcp{,6}. Throws (procError) when its fds or those tables cannot be read.
 */
export function ownTcpSockets(pid: number): NamespaceTcpRow[] {
  const mine = socketInodes(pid);
  return namespaceTcpRows(pid, CONNECTION_TABLE_READS).filter((row) => mine.has(row.inode));
}

/** TCP sockets in LISTEN state owned by `pid`, from its own network namespace. */
export function listeningPorts(pid: number): ListeningSocket[] {
  assertLinux();
  const mine = socketInodes(pid);
  return namespaceListenSockets(pid).filter((s) => mine.has(s.inode));
}

export interface SocketOwner {
  pid: number;
  comm: string;
  argv: string[];
}

/**
 * Find a process holding one of `inodes` by scanning /proc/[0-9]+/fd. Processes we may not inspect
 * are skipped; the scan gives up (null) after `budgetMs`.
 */
export function findSocketOwner(
  inodes: ReadonlySet<string>,
  opts: { excludePid?: number; budgetMs?: number } = {},
): SocketOwner | null {
  const deadline = Date.now() + (opts.budgetMs ?? 500);
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const p of pids) {
    if (Date.now() > deadline) return null;
    const pid = Number(p);
    if (pid === opts.excludePid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = SOCKET_LINK.exec(link);
      if (m && inodes.has(m[1])) {
        let comm = '';
        let argv: string[] = [];
        try {
          const info = readProcessInfo(pid);
          comm = info.comm;
          argv = info.argv;
        } catch {
          // exited meanwhile: still report the pid
        }
        return { pid, comm, argv };
      }
    }
  }
  return null;
}

/**
 * The process's working directory (/proc/PID/cwd), for showing its script paths relative to it;
 * undefined when it cannot be read (another user's process, gone, or deleted).
 */
export function readCwd(pid: number): string | undefined {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd.startsWith('/') && !cwd.endsWith(' (deleted)') ? cwd : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process listening on a TCP port of our own network namespace at a loopback or wildcard
 * address (what `127.0.0.1:PORT` reaches), found by the socket's inode in /proc/net/tcp{,6} and
 * the /proc/PID/fd that holds it; null when there is none we may see, or past `budgetMs`.
 */
export function loopbackPortOwner(port: number, budgetMs = 500): SocketOwner | null {
  if (process.platform !== 'linux') return null;
  let sockets: ListeningSocket[];
  try {
    sockets = namespaceListenSockets(process.pid);
  } catch {
    return null;
  }
  const reachable = /^(?:127\.|0\.0\.0\.0$|::1?$|::ffff:127\.|::ffff:0\.0\.0\.0$)/;
  const inodes = new Set(sockets.filter((s) => s.port === port && reachable.test(s.address)).map((s) => s.inode));
  if (inodes.size === 0) return null;
  return findSocketOwner(inodes, { excludePid: process.pid, budgetMs });
}

/**
 * Whether `pid` shares our network namespace; null if we cannot tell (not allowed to read its ns).
 * Loopback addresses in another namespace are not reachable from here.
 */
export function sameNetNamespace(pid: number): boolean | null {
  try {
    return readlinkSync('/proc/self/ns/net') === readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}
