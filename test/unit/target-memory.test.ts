import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cgroupLevels,
  parseCgroupMounts,
  parseLimit,
  parseMemAvailable,
  parseProcCgroup,
  readTargetMemory,
  type MemoryRoots,
} from '../../src/target/target-memory.js';
import {
  admitSnapshot,
  checkOwnSnapshotFits,
  estimateSnapshotBytes,
  MemoryLedger,
  SNAPSHOT_MARGIN_BYTES,
  withMemoryCheck,
} from '../../src/capture/snapshot-memory.js';
import type { CdpSession } from '../../src/session/cdp-session.js';
import { ExitCode, NotEnoughMemoryError } from '../../src/errors.js';

const MB = 1024 * 1024;
const V1_UNLIMITED = '9223372036854771712';

// Lines as a cgroup v1 host (hybrid, with the unified hierarchy beside it) writes them.
const V1_CGROUP = `12:pids:/user.slice
9:name=systemd:/
4:memory:/process_api/4f63
3:cpuset:/
0::/
`;

const HYBRID_MOUNTS = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const V2_MOUNTS = `25 30 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A fake root: files under it by path (`proc/…`, `sys/fs/cgroup/…`). */
function fakeRoot(files: Record<string, string>): MemoryRoots {
  const root = mkdtempSync(join(tmpdir(), 'asyncgraph-memory-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { proc: join(root, 'proc'), fs: root };
}

function meminfo(availableMb: number): string {
  return `MemTotal:       24683784 kB\nMemFree:          812345 kB\nMemAvailable:   ${availableMb * 1024} kB\nBuffers:           1234 kB\n`;
}

function status(rssMb: number, hwmMb = rssMb): string {
  return `Name:\tnode\nState:\tS (sleeping)\nVmHWM:\t  ${hwmMb * 1024} kB\nVmRSS:\t  ${rssMb * 1024} kB\nThreads:\t11\n`;
}

describe('parsing', () => {
  it('/proc/PID/cgroup: the v1 memory line and the v2 line', () => {
    expect(parseProcCgroup(V1_CGROUP)).toEqual({ v1Memory: '/process_api/4f63', v2: '/' });
    expect(parseProcCgroup('0::/system.slice/docker-abc.scope\n')).toEqual({ v2: '/system.slice/docker-abc.scope' });
    // Controllers mounted together, and a path with a colon in it.
    expect(parseProcCgroup('5:cpu,memory:/a:b\n')).toEqual({ v1Memory: '/a:b' });
    expect(parseProcCgroup('')).toEqual({});
  });

  it('mountinfo: the v1 memory hierarchy and the v2 one', () => {
    expect(parseCgroupMounts(HYBRID_MOUNTS)).toEqual({
      v1Memory: { mountPoint: '/sys/fs/cgroup/memory', root: '/' },
      v2: { mountPoint: '/sys/fs/cgroup/unified', root: '/' },
    });
    expect(parseCgroupMounts(V2_MOUNTS)).toEqual({ v2: { mountPoint: '/sys/fs/cgroup', root: '/' } });
    expect(parseCgroupMounts('40 31 0:37 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n').v2?.mountPoint).toBe('/mnt/with space');
  });

  it('limits: "max" and the v1 unlimited value are no limit', () => {
    expect(parseLimit('max\n')).toBeUndefined();
    expect(parseLimit(`${V1_UNLIMITED}\n`)).toBeUndefined();
    expect(parseLimit('629145600\n')).toBe(600 * MB);
    expect(parseLimit('')).toBeUndefined();
    expect(parseLimit(undefined)).toBeUndefined();
  });

  it('MemAvailable in bytes; cgroup levels innermost first', () => {
    expect(parseMemAvailable(meminfo(2048))).toBe(2048 * MB);
    expect(parseMemAvailable('MemTotal: 1 kB\n')).toBeUndefined();
    expect(cgroupLevels('/a/b')).toEqual(['/a/b', '/a', '/']);
    expect(cgroupLevels('/')).toEqual(['/']);
  });
});

describe('readTargetMemory on a fake tree', () => {
  it('cgroup v1: the limit less the usage without inactive page cache', () => {
    const roots = fakeRoot({
      'proc/meminfo': meminfo(20_000),
      'proc/self/mountinfo': HYBRID_MOUNTS,
      'proc/42/cgroup': '4:memory:/x\n0::/\n',
      'proc/42/status': status(170, 200),
      'sys/fs/cgroup/memory/x/memory.limit_in_bytes': `${600 * MB}\n`,
      'sys/fs/cgroup/memory/x/memory.usage_in_bytes': `${250 * MB}\n`,
      'sys/fs/cgroup/memory/x/memory.stat': `cache ${90 * MB}\ntotal_active_file ${10 * MB}\ntotal_inactive_file ${60 * MB}\n`,
      'sys/fs/cgroup/memory/memory.limit_in_bytes': `${V1_UNLIMITED}\n`,
      'sys/fs/cgroup/memory/memory.usage_in_bytes': `${4000 * MB}\n`,
    });
    expect(readTargetMemory(42, roots)).toEqual({
      memAvailableBytes: 20_000 * MB,
      rssBytes: 170 * MB,
      peakRssBytes: 200 * MB,
      cgroupPath: '/x',
      cgroup: { version: 1, path: '/x', limitBytes: 600 * MB, usageBytes: 190 * MB },
      headroomBytes: 410 * MB,
      limitedBy: 'cgroup',
    });
  });

  it('nested: the ancestor with the least room bounds it', () => {
    const roots = fakeRoot({
      'proc/meminfo': meminfo(20_000),
      'proc/self/mountinfo': V2_MOUNTS,
      'proc/7/cgroup': '0::/kubepods/pod1/ctr\n',
      'proc/7/status': status(100),
      // The container itself has a generous limit, its pod a tight one.
      'sys/fs/cgroup/kubepods/pod1/ctr/memory.max': `${4096 * MB}\n`,
      'sys/fs/cgroup/kubepods/pod1/ctr/memory.current': `${300 * MB}\n`,
      'sys/fs/cgroup/kubepods/pod1/memory.max': `${1024 * MB}\n`,
      'sys/fs/cgroup/kubepods/pod1/memory.current': `${900 * MB}\n`,
      'sys/fs/cgroup/kubepods/pod1/memory.stat': `anon ${800 * MB}\ninactive_file ${100 * MB}\n`,
      'sys/fs/cgroup/kubepods/memory.max': 'max\n',
      'sys/fs/cgroup/kubepods/memory.current': `${9000 * MB}\n`,
    });
    const memory = readTargetMemory(7, roots);
    expect(memory.cgroup).toEqual({ version: 2, path: '/kubepods/pod1', limitBytes: 1024 * MB, usageBytes: 800 * MB });
    expect(memory.headroomBytes).toBe(224 * MB);
    expect(memory.limitedBy).toBe('cgroup');
  });

  it('"max" everywhere: the machine is the bound', () => {
    const roots = fakeRoot({
      'proc/meminfo': meminfo(3000),
      'proc/self/mountinfo': V2_MOUNTS,
      'proc/9/cgroup': '0::/user.slice/app\n',
      'proc/9/status': status(50),
      'sys/fs/cgroup/user.slice/app/memory.max': 'max\n',
      'sys/fs/cgroup/user.slice/app/memory.current': `${50 * MB}\n`,
    });
    const memory = readTargetMemory(9, roots);
    expect(memory.cgroup).toBeUndefined();
    expect(memory.cgroupPath).toBe('/user.slice/app');
    expect(memory).toMatchObject({ headroomBytes: 3000 * MB, limitedBy: 'machine' });
  });

  it('a cgroup limit above what the machine has: the machine is the bound', () => {
    const roots = fakeRoot({
      'proc/meminfo': meminfo(500),
      'proc/self/mountinfo': V2_MOUNTS,
      'proc/9/cgroup': '0::/app\n',
      'sys/fs/cgroup/app/memory.max': `${8192 * MB}\n`,
      'sys/fs/cgroup/app/memory.current': `${100 * MB}\n`,
    });
    expect(readTargetMemory(9, roots)).toMatchObject({ headroomBytes: 500 * MB, limitedBy: 'machine' });
  });

  it('a containerised target seen from the host: the full docker path under the v1 hierarchy', () => {
    const path = '/docker/3f1c0e5a9b7d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';
    const roots = fakeRoot({
      'proc/meminfo': meminfo(20_000),
      'proc/self/mountinfo': HYBRID_MOUNTS,
      'proc/3131/cgroup': `12:pids:${path}\n4:memory:${path}\n0::${path}\n`,
      [`sys/fs/cgroup/memory${path}/memory.limit_in_bytes`]: `${512 * MB}\n`,
      [`sys/fs/cgroup/memory${path}/memory.usage_in_bytes`]: `${200 * MB}\n`,
      'sys/fs/cgroup/memory/docker/memory.limit_in_bytes': `${V1_UNLIMITED}\n`,
      'sys/fs/cgroup/memory/docker/memory.usage_in_bytes': `${900 * MB}\n`,
    });
    expect(readTargetMemory(3131, roots)).toMatchObject({ cgroup: { version: 1, path, limitBytes: 512 * MB, usageBytes: 200 * MB }, headroomBytes: 312 * MB });
  });

  it('inside a cgroup namespace whose mount root is not /: paths relative to it', () => {
    const roots = fakeRoot({
      'proc/meminfo': meminfo(20_000),
      'proc/self/mountinfo': '50 40 0:30 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
      'proc/5/cgroup': '0::/kubepods/pod1/ctr\n',
      'sys/fs/cgroup/ctr/memory.max': `${256 * MB}\n`,
      'sys/fs/cgroup/ctr/memory.current': `${200 * MB}\n`,
    });
    expect(readTargetMemory(5, roots)).toMatchObject({ cgroup: { path: '/kubepods/pod1/ctr', limitBytes: 256 * MB }, headroomBytes: 56 * MB });
  });

  it('a cgroup outside our namespace (/../…) or nothing readable: only the machine', () => {
    const roots = fakeRoot({ 'proc/meminfo': meminfo(1000), 'proc/5/cgroup': '0::/../../other\n' });
    expect(readTargetMemory(5, roots)).toEqual({ memAvailableBytes: 1000 * MB, cgroupPath: '/../../other', headroomBytes: 1000 * MB, limitedBy: 'machine' });
    expect(readTargetMemory(null, fakeRoot({}))).toEqual({});
  });
});

/** A session that answers Runtime.getHeapUsage only. */
function heapSession(usedSize: number | undefined): CdpSession {
  return {
    send: (async (method: string) => {
      if (method !== 'Runtime.getHeapUsage' || usedSize === undefined) throw new Error(`unexpected ${method}`);
      return { usedSize, totalSize: usedSize * 2 };
    }) as CdpSession['send'],
    on: () => {},
    closed: new Promise(() => {}),
    close: async () => {},
  };
}

function limitedTarget(limitMb: number, usageMb: number, rssMb = usageMb): MemoryRoots {
  return fakeRoot({
    'proc/meminfo': meminfo(20_000),
    'proc/self/mountinfo': HYBRID_MOUNTS,
    'proc/42/cgroup': '4:memory:/x\n',
    'proc/42/status': status(rssMb),
    'sys/fs/cgroup/memory/x/memory.limit_in_bytes': `${limitMb * MB}\n`,
    'sys/fs/cgroup/memory/x/memory.usage_in_bytes': `${usageMb * MB}\n`,
  });
}

describe('checkOwnSnapshotFits (a thread snapshotting itself)', () => {
  const heap = 20 * MB;
  const needed = estimateSnapshotBytes(heap) + SNAPSHOT_MARGIN_BYTES;

  it('refuses, synchronously, when the estimate and the margin do not fit', () => {
    let refused: unknown;
    try {
      checkOwnSnapshotFits(heap, 'this test worker', 42, limitedTarget(600, 170));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(NotEnoughMemoryError);
    expect((refused as NotEnoughMemoryError).message).toBe(
      `not enough memory for a heap snapshot of this test worker: it would need about ${Math.ceil(needed / MB)} MB more, and its memory cgroup /x has 430 MB left of its 600 MB limit; no snapshot was taken`,
    );
    // No --force in a test worker.
    expect((refused as NotEnoughMemoryError).hint).not.toMatch(/--force/);
  });

  it('returns the check when it fits', () => {
    expect(checkOwnSnapshotFits(heap, 'this test worker', 42, limitedTarget(8192, 170))).toMatchObject({
      heapUsedBytes: heap,
      estimatedBytes: estimateSnapshotBytes(heap),
      headroomBytes: 8022 * MB,
      limitedBy: 'cgroup',
    });
  });
});

describe('admitSnapshot', () => {
  const heap = 20 * MB;
  const needed = estimateSnapshotBytes(heap) + SNAPSHOT_MARGIN_BYTES;

  it('refuses when the estimate and the margin do not fit, saying what it needs and what there is', async () => {
    const roots = limitedTarget(600, 170);
    const refused = await admitSnapshot(heapSession(heap), { pid: 42, what: 'process 42', roots }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NotEnoughMemoryError);
    const error = refused as NotEnoughMemoryError;
    expect(error.exitCode).toBe(ExitCode.NotEnoughMemory);
    expect(error.message).toBe(
      `not enough memory for a heap snapshot of process 42: it would need about ${Math.ceil(needed / MB)} MB more, and its memory cgroup /x has 430 MB left of its 600 MB limit; no snapshot was taken`,
    );
    expect(error.hint).toMatch(/^--force takes it anyway .*raise its memory limit/);
  });

  it('admits what fits, and --force what does not (marked forced)', async () => {
    const roomy = await admitSnapshot(heapSession(heap), { pid: 42, what: 'process 42', roots: limitedTarget(8192, 170) });
    expect(roomy.check).toMatchObject({ heapUsedBytes: heap, estimatedBytes: estimateSnapshotBytes(heap), headroomBytes: 8022 * MB, limitedBy: 'cgroup' });
    expect(roomy.check?.forced).toBeUndefined();
    const forced = await admitSnapshot(heapSession(heap), { pid: 42, what: 'process 42', force: true, roots: limitedTarget(600, 170) });
    expect(forced.check).toMatchObject({ forced: true, headroomBytes: 430 * MB });
  });

  it('without the heap usage, the RSS stands in for the heap', async () => {
    const admitted = await admitSnapshot(heapSession(undefined), { pid: 42, what: 'process 42', roots: limitedTarget(8192, 170, 50) });
    expect(admitted.check).toMatchObject({ estimatedBytes: estimateSnapshotBytes(50 * MB), rssBeforeBytes: 50 * MB });
    expect(admitted.check?.heapUsedBytes).toBeUndefined();
  });

  it('a remote inspector: estimated, not checked against this machine', async () => {
    const admitted = await admitSnapshot(heapSession(heap), { pid: null, what: 'the target', remote: true, roots: limitedTarget(1, 1) });
    expect(admitted.check).toEqual({ heapUsedBytes: heap, estimatedBytes: estimateSnapshotBytes(heap) });
  });

  it('processes of one cgroup: the second waits while the first holds the room, then goes', async () => {
    // Room for one snapshot, not two.
    const limitMb = 170 + Math.ceil((needed * 1.5) / MB);
    const roots = limitedTarget(limitMb, 170);
    const ledger = new MemoryLedger();
    const first = await admitSnapshot(heapSession(heap), { pid: 42, what: 'process 42', roots, ledger });
    let secondDone = false;
    const second = admitSnapshot(heapSession(heap), { pid: 42, what: 'process 43', roots, ledger }).then((admission) => {
      secondDone = true;
      return admission;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    first.release();
    expect((await second).check?.headroomBytes).toBe((limitMb - 170) * MB);
    expect(secondDone).toBe(true);
  });

  it('one that would not fit even alone is refused at once, not queued', async () => {
    const roots = limitedTarget(170 + Math.ceil(needed / MB) + 10, 170);
    const ledger = new MemoryLedger();
    const first = await admitSnapshot(heapSession(heap), { pid: 42, what: 'process 42', roots, ledger });
    await expect(admitSnapshot(heapSession(heap * 2), { pid: 42, what: 'process 43', roots, ledger })).rejects.toBeInstanceOf(NotEnoughMemoryError);
    first.release();
  });

  it('withMemoryCheck: the capture runs only when admitted, and the document gets RSS before and after', async () => {
    const roots = limitedTarget(8192, 170);
    let ran = false;
    const { result, memory } = await withMemoryCheck(heapSession(heap), { pid: 42, what: 'process 42', roots }, async () => {
      ran = true;
      writeFileSync(join(roots.proc, '42/status'), status(260, 700));
      return 'captured';
    });
    expect(result).toBe('captured');
    expect(ran).toBe(true);
    expect(memory).toMatchObject({ rssBeforeBytes: 170 * MB, rssPeakBytes: 700 * MB, rssAfterBytes: 260 * MB });
    expect(memory).not.toHaveProperty('peakRssBeforeBytes');

    ran = false;
    await expect(withMemoryCheck(heapSession(heap), { pid: 42, what: 'process 42', roots: limitedTarget(300, 170) }, async () => (ran = true))).rejects.toBeInstanceOf(
      NotEnoughMemoryError,
    );
    expect(ran).toBe(false);
  });
});
