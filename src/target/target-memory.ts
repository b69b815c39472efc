// How much memory a target process may still take before something kills it: its memory
// cgroup's limit minus what the cgroup uses (cgroup v1 and v2, every ancestor's limit counts),
// and the machine's MemAvailable. Also the process's own RSS. Linux only; every read is best
// effort: a fact that cannot be read is left out, and the caller decides what an unknown means.
//
// All paths are read under a root (`MemoryRoots`), so the parsing is tested on a fake tree.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcStatus } from './proc.js';

export interface MemoryRoots {
  /** Where procfs is mounted: `/proc`. */
  proc: string;
  /** Prefix for the cgroup mount points named in /proc/self/mountinfo (`''` on a real system). */
  fs: string;
}

export const REAL_ROOTS: MemoryRoots = { proc: '/proc', fs: '' };

/** One cgroup whose limit bounds the target (the tightest of its own and its ancestors'). */
export interface CgroupMemory {
  version: 1 | 2;
  /** The cgroup path as /proc/PID/cgroup names it, of the level whose limit is tightest. */
  path: string;
  limitBytes: number;
  /** What the cgroup uses, less the page cache the kernel drops first (inactive_file). */
  usageBytes: number;
}

export interface TargetMemory {
  /** VmRSS of the process. */
  rssBytes?: number;
  /** VmHWM: the highest RSS the process has had. */
  peakRssBytes?: number;
  /** The tightest limited cgroup of the process; absent when none is limited, or unknown. */
  cgroup?: CgroupMemory;
  /** The cgroup path of the process (memory controller), even when no limit applies. */
  cgroupPath?: string;
  /** MemAvailable of /proc/meminfo. */
  memAvailableBytes?: number;
  /** What the process may still allocate: the least of the cgroup's room and MemAvailable; absent when neither is known. */
  headroomBytes?: number;
  /** Which of the two is the headroom. */
  limitedBy?: 'cgroup' | 'machine';
}

/**
 * A limit at or above this is no limit: cgroup v1 writes "unlimited" as PAGE_COUNTER_MAX pages
 * (9223372036854771712 with 4 KiB pages), v2 as "max".
 */
const NO_LIMIT = 2 ** 60;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The cgroup lines of /proc/PID/cgroup: the v1 memory controller's path and the v2 path. */
export function parseProcCgroup(text: string): { v1Memory?: string; v2?: string } {
  const found: { v1Memory?: string; v2?: string } = {};
  for (const line of text.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path (man 7 cgroups); the path may contain ':'.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (id === '0' && controllers === '') found.v2 = path;
    else if (controllers.split(',').includes('memory')) found.v1Memory = path;
  }
  return found;
}

export interface CgroupMount {
  /** Where it is mounted. */
  mountPoint: string;
  /** Which cgroup its root is (not `/` inside a cgroup namespace's bind mounts). */
  root: string;
}

/** The v1 memory hierarchy's and the v2 hierarchy's mounts, from /proc/self/mountinfo. */
export function parseCgroupMounts(mountinfo: string): { v1Memory?: CgroupMount; v2?: CgroupMount } {
  const found: { v1Memory?: CgroupMount; v2?: CgroupMount } = {};
  for (const line of mountinfo.split('\n')) {
    // ID parent major:minor root mount-point options [optional…] - fstype source super-options
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const fields = line.slice(0, dash).split(' ');
    const [fsType, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fields.length < 5) continue;
    const mount = { root: unescapeMount(fields[3]), mountPoint: unescapeMount(fields[4]) };
    if (fsType === 'cgroup2') found.v2 ??= mount;
    else if (fsType === 'cgroup' && superOptions.split(',').includes('memory')) found.v1Memory ??= mount;
  }
  return found;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes (`\040`). */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** `/proc/meminfo`-style `Key: N kB` as bytes. */
function kbField(fields: Map<string, string>, key: string): number | undefined {
  const match = /^(\d+)\s*kB$/.exec(fields.get(key) ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

/** MemAvailable from the text of /proc/meminfo. */
export function parseMemAvailable(meminfo: string): number | undefined {
  return kbField(parseProcStatus(meminfo), 'MemAvailable');
}

/** A cgroup limit file's value: a byte count, or undefined for "max" and the v1 "unlimited" value. */
export function parseLimit(text: string | undefined): number | undefined {
  const value = text?.trim();
  if (!value || value === 'max' || !/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes >= NO_LIMIT ? undefined : bytes;
}

/** One key of a cgroup's memory.stat (`total_inactive_file 1234`). */
export function memoryStatField(stat: string | undefined, key: string): number | undefined {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(stat ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The cgroup path and its ancestors, innermost first: `/a/b` → `/a/b`, `/a`, `/`. */
export function cgroupLevels(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const levels: string[] = [];
  for (let n = parts.length; n >= 0; n--) levels.push('/' + parts.slice(0, n).join('/'));
  return levels;
}

const FILES = {
  1: { limit: 'memory.limit_in_bytes', usage: 'memory.usage_in_bytes', inactiveFile: 'total_inactive_file' },
  2: { limit: 'memory.max', usage: 'memory.current', inactiveFile: 'inactive_file' },
} as const;

/**
 * The level of the cgroup (itself or an ancestor) with the least room under its limit; undefined
 * when no level has a limit, or the cgroup cannot be placed in the mounted hierarchy (a path
 * outside this process's cgroup namespace, `/../…`).
 */
export function tightestCgroup(version: 1 | 2, path: string, mount: CgroupMount, roots: MemoryRoots): CgroupMemory | undefined {
  if (path.split('/').includes('..')) return undefined;
  // Inside a cgroup namespace mount whose root is not `/`, paths are relative to that root.
  const mountRoot = mount.root === '/' ? '' : mount.root.replace(/\/+$/, '');
  let tightest: CgroupMemory | undefined;
  for (const level of cgroupLevels(path)) {
    if (mountRoot && level !== mountRoot && !level.startsWith(mountRoot + '/')) continue;
    const dir = join(roots.fs, mount.mountPoint, level.slice(mountRoot.length));
    const files = FILES[version];
    const limitBytes = parseLimit(readText(join(dir, files.limit)));
    if (limitBytes === undefined) continue;
    const usage = Number(readText(join(dir, files.usage))?.trim());
    if (!Number.isFinite(usage)) continue;
    // The kernel reclaims inactive page cache before it fails a charge (what kubelet calls the
    // working set: usage - inactive_file).
    const inactive = memoryStatField(readText(join(dir, 'memory.stat')), files.inactiveFile) ?? 0;
    const usageBytes = Math.max(0, usage - inactive);
    if (!tightest || limitBytes - usageBytes < tightest.limitBytes - tightest.usageBytes) {
      tightest = { version, path: level, limitBytes, usageBytes };
    }
  }
  return tightest;
}

/** The process's RSS and peak RSS (VmRSS, VmHWM of /proc/PID/status); empty when unreadable. */
export function readRss(pid: number, roots: MemoryRoots = REAL_ROOTS): { rssBytes?: number; peakRssBytes?: number } {
  const text = readText(join(roots.proc, String(pid), 'status'));
  if (text === undefined) return {};
  const fields = parseProcStatus(text);
  const rssBytes = kbField(fields, 'VmRSS');
  const peakRssBytes = kbField(fields, 'VmHWM');
  return { ...(rssBytes !== undefined ? { rssBytes } : {}), ...(peakRssBytes !== undefined ? { peakRssBytes } : {}) };
}

/**
 * The memory facts of a process (pid), or of this machine only (pid null: an inspector reached by
 * port, whose process is not known).
 */
export function readTargetMemory(pid: number | null, roots: MemoryRoots = REAL_ROOTS): TargetMemory {
  const memory: TargetMemory = {};
  const available = parseMemAvailable(readText(join(roots.proc, 'meminfo')) ?? '');
  if (available !== undefined) memory.memAvailableBytes = available;
  if (pid !== null) {
    Object.assign(memory, readRss(pid, roots));
    const lines = parseProcCgroup(readText(join(roots.proc, String(pid), 'cgroup')) ?? '');
    const mounts = parseCgroupMounts(readText(join(roots.proc, 'self', 'mountinfo')) ?? '');
    // With both (a hybrid system), the memory controller is on the v1 hierarchy.
    if (lines.v1Memory !== undefined) {
      memory.cgroupPath = lines.v1Memory;
      const cgroup = tightestCgroup(1, lines.v1Memory, mounts.v1Memory ?? { mountPoint: '/sys/fs/cgroup/memory', root: '/' }, roots);
      if (cgroup) memory.cgroup = cgroup;
    } else if (lines.v2 !== undefined) {
      memory.cgroupPath = lines.v2;
      const cgroup = tightestCgroup(2, lines.v2, mounts.v2 ?? { mountPoint: '/sys/fs/cgroup', root: '/' }, roots);
      if (cgroup) memory.cgroup = cgroup;
    }
  }
  const cgroupRoom = memory.cgroup ? Math.max(0, memory.cgroup.limitBytes - memory.cgroup.usageBytes) : undefined;
  if (cgroupRoom !== undefined && (available === undefined || cgroupRoom <= available)) {
    memory.headroomBytes = cgroupRoom;
    memory.limitedBy = 'cgroup';
  } else if (available !== undefined) {
    memory.headroomBytes = available;
    memory.limitedBy = 'machine';
  }
  return memory;
}
