import { describe, expect, it } from 'vitest';
import { parseStat, selectTree, sigusr1Disposition, trimArgv, type StatEntry } from '../../src/target/process-tree.js';

// Real lines from /proc/PID/stat (Linux 6.x), shortened after field 22 (starttime).
const NODE_STAT = '4242 (node) S 4240 4240 4240 0 -1 4194560 2981 0 0 0 12 3 0 0 20 0 11 0 881234 1195737088 13000 18446744073709551615';
const ODD_COMM_STAT = '77 (my (weird) proc) R 1 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1000 0 0';

describe('parseStat', () => {
  it('reads pid, comm, state, ppid, pgrp, session and start time', () => {
    expect(parseStat(NODE_STAT)).toEqual({ pid: 4242, comm: 'node', state: 'S', ppid: 4240, pgrp: 4240, session: 4240, startTime: 881234 });
  });

  it('splits after the last parenthesis: comm may contain spaces and parentheses', () => {
    expect(parseStat(ODD_COMM_STAT)).toMatchObject({ pid: 77, comm: 'my (weird) proc', state: 'R', ppid: 1, pgrp: 77, startTime: 1000 });
  });

  it('returns null for text that is not a stat line', () => {
    expect(parseStat('')).toBeNull();
    expect(parseStat('12 (x) S 1 2')).toBeNull();
    expect(parseStat('abc (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0')).toBeNull();
  });
});

function entry(pid: number, ppid: number, extra: Partial<StatEntry> = {}): StatEntry {
  return { pid, comm: 'node', state: 'S', ppid, pgrp: pid, session: pid, startTime: pid * 10, ...extra };
}

describe('selectTree', () => {
  //  1 ─┬─ 100 (root) ─┬─ 101 ─── 103
  //     │              └─ 102 (zombie)
  //     ├─ 200 (unrelated) ── 201
  //     ├─ 300 (left the tree, same process group as the root)  ── 301
  //     ├─ 400 (left the tree and the group, carries the marker)
  //     └─ 500 (unrelated, different marker)
  const entries: StatEntry[] = [
    entry(1, 0),
    entry(100, 1),
    entry(101, 100, { pgrp: 100 }),
    entry(102, 100, { pgrp: 100, state: 'Z' }),
    entry(103, 101, { pgrp: 100 }),
    entry(200, 1),
    entry(201, 200),
    entry(300, 1, { pgrp: 100 }),
    entry(301, 300, { pgrp: 301 }),
    entry(400, 1),
    entry(500, 1),
  ];
  const environ = (pid: number) => (pid === 400 ? 'PATH=/bin\0RUN=abc\0' : pid === 500 ? 'RUN=other\0' : 'PATH=/bin\0');

  it('follows ppid links from the root, breadth first, and leaves zombies out', () => {
    expect(selectTree(entries, { rootPid: 100 }).map((e) => e.pid)).toEqual([100, 101, 103]);
  });

  it('adds the members of the process group that left the tree, with their descendants', () => {
    expect(selectTree(entries, { rootPid: 100, pgrp: 100 }).map((e) => e.pid)).toEqual([100, 101, 103, 300, 301]);
  });

  it('adds processes carrying the environment marker (exact NAME=value entries only)', () => {
    const pids = selectTree(entries, { rootPid: 100, pgrp: 100, envMarker: 'RUN=abc', readEnviron: environ }).map((e) => e.pid);
    expect(pids).toEqual([100, 101, 103, 300, 301, 400]);
    expect(selectTree(entries, { rootPid: 100, envMarker: 'RUN=ab', readEnviron: environ }).map((e) => e.pid)).toEqual([100, 101, 103]);
  });

  it('keeps earlier-seen processes as roots, but only with the same start time (pid reuse)', () => {
    const orphaned = entries.map((e) => (e.pid === 101 ? { ...e, ppid: 1 } : e)).filter((e) => e.pid !== 100);
    expect(selectTree(orphaned, { rootPid: 100, alsoRoots: [{ pid: 101, startTime: 1010 }] }).map((e) => e.pid)).toEqual([101, 103]);
    expect(selectTree(orphaned, { rootPid: 100, alsoRoots: [{ pid: 101, startTime: 99 }] })).toEqual([]);
  });

  it('is empty when the root is gone and nothing else matches', () => {
    expect(selectTree(entries, { rootPid: 999 })).toEqual([]);
  });
});

describe('sigusr1Disposition', () => {
  const status = (cgt: string, ign: string, blk: string) => `Name:\tnode\nSigBlk:\t${blk}\nSigIgn:\t${ign}\nSigCgt:\t${cgt}\n`;

  it('handled: Node installed its SIGUSR1 handler (bit 9 of SigCgt)', () => {
    expect(sigusr1Disposition(status('0000000100004602', '0000000001001000', '0000000000000000'))).toBe('handled');
  });

  it('blocked: the `node --test` runner process (SigBlk bit 9, no handler)', () => {
    expect(sigusr1Disposition(status('0000000100014402', '0000000001001000', '0000000000000200'))).toBe('blocked');
  });

  it('ignored and default', () => {
    expect(sigusr1Disposition(status('0', '0000000000000200', '0'))).toBe('ignored');
    expect(sigusr1Disposition(status('0', '0', '0'))).toBe('default');
  });
});

describe('trimArgv', () => {
  it('drops the empty arguments a rewritten process.title leaves (npm)', () => {
    expect(trimArgv(['npm exec vitest run', '', '', ''])).toEqual(['npm exec vitest run']);
    expect(trimArgv(['node', '', 'x'])).toEqual(['node', '', 'x']);
    expect(trimArgv([])).toEqual([]);
  });
});
