// Pids that are not what they seem: gone, not Node, another user's (EPERM), started with
// --disable-sigusr1 (where SIGUSR1 would kill it), or reused by another process between looking
// and signalling. Each ends in one line with its documented exit code, and nothing is signalled
// that should not be.

import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { TargetExitedError } from '../../src/errors.js';
import { activateInspector } from '../../src/target/discover.js';
import { listeningPorts, readProcessInfo } from '../../src/target/proc.js';
import { CLI, runCommand, spawnProcess } from '../helpers/processes.js';
import { expectUnharmed, oneLineFailure, spawnFaultTarget, startCli } from './helpers.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** setpriv (util-linux) and the `nobody` user, to run the CLI as an unprivileged user. */
function setprivUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'the tests do not run as root, so they cannot switch to another user';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv (util-linux) is not installed';
  const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '';
  if (!/^nobody:/m.test(passwd)) return 'there is no user "nobody"';
  return false;
}

/**
 * The CLI where `nobody` can run it. A checkout in a private folder (mode 700) cannot be read by
 * another user: then bin/, dist/, package.json and the production dependencies are copied to a
 * world-readable temporary folder (removed by the caller).
 */
function cliForOtherUsers(): { cli: string; cleanup: () => void } {
  const root = dirname(dirname(CLI));
  if (readableByAll(root)) return { cli: CLI, cleanup: () => {} };
  const copy = mkdtempSync(join(tmpdir(), 'asyncgraph-cli-'));
  chmodSync(copy, 0o755);
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
  const packages = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((dir) => dir && dir !== root);
  for (const dir of packages) cpSync(dir, join(copy, relative(root, dir)), { recursive: true });
  return { cli: join(copy, relative(root, CLI)), cleanup: () => rmSync(copy, { recursive: true, force: true }) };
}

/** Whether every folder from / down to `dir` lets other users through (o+x). */
function readableByAll(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    try {
      accessSync(at, constants.R_OK);
    } catch {
      return false;
    }
    const mode = spawnSync('stat', ['-c', '%a', at], { encoding: 'utf8' }).stdout.trim();
    if ((Number.parseInt(mode, 8) & 0o001) === 0) return false;
    if (dirname(at) === at) return true;
  }
}

describe('pids', () => {
  it('a pid that no longer exists: exit 3', async () => {
    const gone = spawnSync('true').pid!;
    const result = await startCli(['attach', String(gone)]).finished();
    expect(result.code, result.stderr).toBe(3);
    expect(oneLineFailure(result).message).toMatch(new RegExp(`\\b${gone}\\b`));
  });

  it('a process that is not Node: exit 4, and it is not signalled', async () => {
    const sleeper = spawnProcess('sleep', ['30'], { perTest: true });
    const result = await startCli(['attach', String(sleeper.pid)]).finished();
    expect(result.code, result.stderr).toBe(4);
    expect(oneLineFailure(result).message).toBe(`process ${sleeper.pid} (\`sleep\`) is not a Node.js process`);
    expect(alive(sleeper.pid)).toBe(true);
    expect(sleeper.child.signalCode).toBeNull();
  });

  const noSetpriv = setprivUnavailable();
  it.skipIf(noSetpriv)(`another user's process (EPERM): exit 5 with a hint${noSetpriv ? ` — skipped: ${noSetpriv}` : ''}`, async () => {
    const target = await spawnFaultTarget();
    // The CLI as `nobody`, the target as root.
    const { cli, cleanup } = cliForOtherUsers();
    let result;
    try {
      result = await runCommand('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, cli, 'attach', String(target.pid)]);
    } finally {
      cleanup();
    }
    expect(result.code, result.stderr).toBe(5);
    const { message, hint } = oneLineFailure(result);
    expect(message).toMatch(new RegExp(`^permission denied .* of process ${target.pid}$`));
    expect(hint).toBe('run asyncgraph as the same user as the target process, or as root');
    await expectUnharmed(target, { inspectorClosed: true });
  });

  // --disable-sigusr1 exists from Node 22.14 / 23.7 on.
  const withDisable = inject('nodeTargets').find((node) => node.major >= 22);
  it.skipIf(!withDisable)(`--disable-sigusr1: exit 6, no SIGUSR1 sent (it would have killed the target)${withDisable ? '' : ' — skipped: needs a Node >= 22 target'}`, async () => {
    const target = await spawnFaultTarget({ nodeArgs: ['--disable-sigusr1'], nodePath: withDisable!.path });
    const result = await startCli(['attach', String(target.pid)]).finished();
    expect(result.code, result.stderr).toBe(6);
    const { message, hint } = oneLineFailure(result);
    expect(message).toMatch(/\(started with --disable-sigusr1\), so its inspector cannot be opened from outside/);
    expect(hint).toMatch(/--inspect=0/);
    await expectUnharmed(target, { inspectorClosed: true });
  });

  it('a reused pid (another start time than the one looked at): never signalled', async () => {
    const target = await spawnFaultTarget();
    const info = readProcessInfo(target.pid);
    // As if the process looked at had exited and its pid been given to this one.
    await expect(activateInspector(target.pid, { expectStartTime: info.startTime - 1, timeoutMs: 2000 })).rejects.toThrow(TargetExitedError);
    await expect(activateInspector(target.pid, { expectStartTime: info.startTime - 1, timeoutMs: 2000 })).rejects.toThrow(
      `process ${target.pid} exited (its pid now belongs to another process)`,
    );
    // No SIGUSR1 reached it: no inspector, no "Debugger listening" line.
    expect(listeningPorts(target.pid)).toEqual([]);
    expect(target.stderr).not.toMatch(/Debugger listening/);
    await expectUnharmed(target);
  });
});
