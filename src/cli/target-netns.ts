// A target in another network namespace (a container): its inspector listens on *its* loopback,
// which this process cannot reach. Run as root with util-linux's `nsenter` at hand, asyncgraph
// runs itself again inside the target's network namespace (`nsenter --target PID --net`), where
// discovery, SIGUSR1 and the connection all work as for a local process: nsenter changes the
// network namespace only, so /proc, signals and files are the same ones. The parent says so on
// stderr, passes SIGINT/SIGTERM/SIGHUP on, and exits with the child's status. Without root or
// nsenter, discovery refuses with a hint instead (src/target/discover.ts).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { parsePid } from '../target/discover.js';
import { processExists, sameNetNamespace } from '../target/proc.js';

/** Set in the re-run asyncgraph: it never enters again. */
const ENTERED_ENV = 'ASYNCGRAPH_NETNS_ENTERED';

/** `nsenter` on PATH, or undefined. */
export function findNsenter(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'nsenter');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether a capture of `pid` should run inside the target's network namespace, and how. */
export function netnsEntry(pidArg: string | undefined): { pid: number; nsenter: string } | undefined {
  if (pidArg === undefined || process.env[ENTERED_ENV] !== undefined) return undefined;
  if (process.getuid?.() !== 0) return undefined;
  const pid = parsePid(pidArg);
  if (!processExists(pid) || sameNetNamespace(pid) !== false) return undefined;
  const nsenter = findNsenter();
  return nsenter ? { pid, nsenter } : undefined;
}

/**
 * Runs this same asyncgraph command again inside the network namespace of `pid`, when that is
 * needed and possible (see netnsEntry); resolves with its exit status, or undefined when the
 * capture should run here as usual.
 */
export async function runInTargetNetns(pidArg: string | undefined): Promise<number | undefined> {
  const entry = netnsEntry(pidArg);
  if (!entry) return undefined;
  process.stderr.write(
    `asyncgraph: process ${entry.pid} is in another network namespace (a container?): connecting from inside it (nsenter --target ${entry.pid} --net)\n`,
  );
  // The same node flags and bin script (process.argv[1]), which sets its V8 flags before the CLI loads.
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(entry.nsenter, ['--target', String(entry.pid), '--net', '--', ...command], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, [ENTERED_ENV]: String(entry.pid) },
    // Its own process group: a terminal's Ctrl-C reaches it once, passed on from here.
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await new Promise<number>((resolve) => {
      child.on('error', (error) => {
        process.stderr.write(`asyncgraph: cannot run ${entry.nsenter}: ${error.message}\n`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? 128 + ((osConstants.signals as Record<string, number>)[signal ?? 'SIGKILL'] ?? 9)));
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
