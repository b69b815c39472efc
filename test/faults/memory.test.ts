// A target in a memory cgroup (v1) with too little room for a heap snapshot: asyncgraph refuses
// with exit 10 and leaves it running; with room it captures; --force takes it anyway (here, where
// the target survives it). Root and a writable v1 memory hierarchy are needed to make cgroups.

import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { AwaitGraphDocument } from '../../src/schema.js';
import type { TreeReport } from '../../src/render/report.js';
import { describeRun, expectAlive, kill, runCli, spawnFixture, type FixtureTarget } from '../helpers/processes.js';
import { expectNoInspector, oneLineFailure } from './helpers.js';

const MEMCG = '/sys/fs/cgroup/memory';
const MB = 1024 * 1024;

/** Why these tests cannot run here, or undefined when they can. */
function cannotMakeCgroups(): string | undefined {
  if (!existsSync(join(MEMCG, 'memory.limit_in_bytes'))) return `no cgroup v1 memory hierarchy at ${MEMCG}`;
  try {
    accessSync(MEMCG, constants.W_OK);
  } catch {
    return `${MEMCG} is not writable (run as root)`;
  }
  return undefined;
}

const skipReason = cannotMakeCgroups();
if (skipReason) process.stderr.write(`test/faults/memory.test.ts skipped: ${skipReason}\n`);

let made = 0;

/** A v1 memory cgroup of its own, with the target moved into it (its charges moved along). */
class MemoryCgroup {
  readonly name = `asyncgraph-test-${process.pid}-${++made}`;
  readonly dir = join(MEMCG, this.name);

  constructor() {
    mkdirSync(this.dir);
    // The target's pages count against the new cgroup, as if it had started there.
    try {
      writeFileSync(join(this.dir, 'memory.move_charge_at_immigrate'), '1');
    } catch {
      // Not on every kernel: the usage then counts only what it allocates from now on.
    }
  }

  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  usage(): number {
    return Number(readFileSync(join(this.dir, 'memory.usage_in_bytes'), 'utf8'));
  }

  limit(bytes: number): void {
    writeFileSync(join(this.dir, 'memory.limit_in_bytes'), String(bytes));
  }

  /** rmdir, once its processes are gone (the kernel refuses it until then); bounded. */
  async remove(): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        if (tries >= 100) throw error;
        await sleep(50);
      }
    }
  }
}

const targets = inject('nodeTargets');

describe.skipIf(skipReason !== undefined)('a target in a memory cgroup', () => {
  let target: FixtureTarget | undefined;
  let cgroup: MemoryCgroup | undefined;

  afterEach(async () => {
    if (target) await kill(target.child);
    target = undefined;
    await cgroup?.remove();
    cgroup = undefined;
  });

  async function startInCgroup(path: string, roomBytes: number, env: Record<string, string> = {}): Promise<{ target: FixtureTarget; cgroup: MemoryCgroup }> {
    target = await spawnFixture(path, 'memory-target.js', { nodeArgs: ['--inspect-port=0'], perTest: true, env });
    cgroup = new MemoryCgroup();
    cgroup.add(target.pid);
    cgroup.limit(cgroup.usage() + roomBytes);
    return { target, cgroup };
  }

  /** It still runs: two more heartbeats after now (started now if it was quiet), and it answers. */
  async function expectStillBeating(running: FixtureTarget, context: string): Promise<void> {
    const from = running.stdout.length;
    running.child.stdin!.write('beat\n');
    await running.waitForLine(/^beat \d+$/, { from });
    const next = running.stdout.length;
    await running.waitForLine(/^beat \d+$/, { from: next });
    expect(running.child.exitCode, context).toBeNull();
    expect(running.child.signalCode, context).toBeNull();
  }

  it.each(targets)('node $major: too little room: refused (exit 10), not killed, inspector closed; --force takes it, and it survives', async ({ path }) => {
    // ~150 MB of room: less than the estimate for even an almost empty heap (96 MB + 80 × heap +
    // 64 MB margin), more than such a snapshot really takes (~55 MB, docs/safety.md).
    const { target: running, cgroup: group } = await startInCgroup(path, 150 * MB);
    const refused = await runCli(['attach', String(running.pid), '--no-color']);
    const context = describeRun(refused);
    expect(refused.code, context).toBe(ExitCode.NotEnoughMemory);
    const { message, hint } = oneLineFailure(refused);
    expect(message, context).toMatch(
      new RegExp(`^not enough memory for a heap snapshot of process ${running.pid}: it would need about \\d+ MB more, and its memory cgroup /${group.name} has \\d+ MB left of its \\d+ MB limit; no snapshot was taken$`),
    );
    expect(hint, context).toMatch(/^--force takes it anyway/);
    await expectStillBeating(running, context);
    // The inspector asyncgraph opened with SIGUSR1 is closed again.
    await expectNoInspector(running.pid);

    const forced = await runCli(['snapshot', '--pid', String(running.pid), '--force']);
    const forcedContext = describeRun(forced);
    expect(forced.code, forcedContext).toBe(0);
    const doc = JSON.parse(forced.stdout) as AwaitGraphDocument;
    expect(doc.memory, forcedContext).toMatchObject({ forced: true, limitedBy: 'cgroup', cgroup: { version: 1, path: `/${group.name}` } });
    expect(doc.nodes.filter((node) => node.name === 'waiter').length, forcedContext).toBe(3);
    await expectStillBeating(running, forcedContext);
    await expectNoInspector(running.pid);
  });

  it.each(targets)('node $major: enough room: captured, with its RSS before and after and the stall', async ({ path }) => {
    const { target: running, cgroup: group } = await startInCgroup(path, 2048 * MB, { MEM_QUIET: '1' });
    const run = await runCli(['snapshot', '--pid', String(running.pid)]);
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    const doc = JSON.parse(run.stdout) as AwaitGraphDocument;
    expect(doc.memory, context).toMatchObject({ limitedBy: 'cgroup', cgroup: { version: 1, path: `/${group.name}` } });
    expect(doc.memory!.forced, context).toBeUndefined();
    expect(doc.memory!.headroomBytes!, context).toBeGreaterThan(doc.memory!.estimatedBytes);
    expect(doc.memory!.rssBeforeBytes!, context).toBeGreaterThan(0);
    expect(doc.memory!.rssAfterBytes!, context).toBeGreaterThan(0);
    expect(doc.stats!.snapshotMs!, context).toBeGreaterThan(0);
    await expectAlive(running);

    const tree = await runCli(['attach', String(running.pid), '--no-color']);
    expect(tree.code, describeRun(tree)).toBe(0);
    expect(tree.stdout.split('\n')[1], describeRun(tree)).toMatch(
      /^capture cost: the heap snapshot stopped it for \d+(\.\d)? m?s; RSS \d+ MB before, (\d+ MB at the peak, )?\d+ MB after$/,
    );
    await expectStillBeating(running, describeRun(tree));
  });

  it.each(targets)('node $major: --children: a child without room is named in the report with the reason; its parent is captured', async ({ path }) => {
    target = await spawnFixture(path, 'memory-target.js', { nodeArgs: ['--inspect-port=0'], perTest: true, env: { MEM_CHILD: '1' } });
    const parent = target;
    const childPid = Number((await parent.waitForLine(/^child \d+$/)).split(' ')[1]);
    cgroup = new MemoryCgroup();
    cgroup.add(childPid);
    cgroup.limit(cgroup.usage() + 150 * MB);
    const run = await runCli(['attach', String(parent.pid), '--children', '--json'], { timeoutMs: 60_000 });
    const context = describeRun(run);
    expect(run.code, context).toBe(0);
    const report = JSON.parse(run.stdout) as TreeReport;
    const [main, child] = [parent.pid, childPid].map((pid) => report.processes.find((proc) => proc.pid === pid));
    expect(main?.document?.memory?.limitedBy, context).toBe('machine');
    expect(child?.document, context).toBeUndefined();
    expect(child?.error, context).toMatch(new RegExp(`^not enough memory for a heap snapshot of process ${childPid}: .* its memory cgroup /${cgroup.name} has \\d+ MB left`));
    // Both keep beating (the child's heartbeat comes through its parent).
    const from = parent.stdout.length;
    await parent.waitForLine(/^child: beat \d+$/, { from });
    await expectStillBeating(parent, context);
    await expectNoInspector(childPid);
  });
});
