// A pid of `npm start` (npx, yarn, pnpm): a Node.js process, but one that only runs the package
// manager; the program is a child (npm runs scripts through `sh -c`). Its heap would show npm's
// awaits, not the program's: `attach` says so and names the Node.js child instead.

import { basename } from 'node:path';
import { NotNodeProcessError } from '../errors.js';
import { nodeProcesses, processTree, trimArgv, type NodeProcess } from './process-tree.js';
import { readProcessInfo } from './proc.js';

export type PackageManager = 'npm' | 'npx' | 'yarn' | 'pnpm';

/** Their command names, and the entry scripts of their packages (`npm/bin/npm-cli.js`). */
const COMMANDS = new Map<string, PackageManager>([
  ['npm', 'npm'], ['npm-cli.js', 'npm'],
  ['npx', 'npx'], ['npx-cli.js', 'npx'],
  ['yarn', 'yarn'], ['yarnpkg', 'yarn'],
  ['pnpm', 'pnpm'], ['pnpx', 'pnpm'],
]);

/**
 * The package manager a Node.js process's command line runs, or null: `npm start` (npm and pnpm
 * write their title over argv), `node /usr/bin/npm start`, `node …/yarn/bin/yarn.js`,
 * `node .yarn/releases/yarn-4.1.0.cjs`, `node …/pnpm/bin/pnpm.cjs`.
 */
export function packageManagerOf(argvIn: readonly string[]): PackageManager | null {
  const argv = trimArgv(argvIn);
  if (argv.length === 0) return null;
  // A title written over argv: one word, then the arguments, in argv[0].
  const title = /^(npm|npx|yarn|pnpm)(?: |$)/.exec(argv[0]);
  if (title) return title[1] as PackageManager;
  const script = argv.slice(1).find((arg) => !arg.startsWith('-'));
  if (!script) return null;
  const name = basename(script);
  const known = COMMANDS.get(name);
  if (known) return known;
  if (/^yarn(?:-[\d.]+)?\.c?js$/.test(name) && /(?:^|\/)(?:yarn\/bin|\.yarn\/releases)\//.test(script)) return 'yarn';
  if (/^pnpm\.c?js$/.test(name) && /(?:^|\/)pnpm\/(?:bin|dist)\//.test(script)) return 'pnpm';
  return null;
}

/** The Node.js processes below `pid` that are not package managers themselves: the program(s). */
export function programsBelow(pid: number): NodeProcess[] {
  const below = processTree({ rootPid: pid }).filter((entry) => entry.pid !== pid);
  return nodeProcesses(below).filter((proc) => packageManagerOf(proc.argv) === null);
}

/**
 * Refuses (exit 4, as for a process that is not Node.js) a pid whose process only runs a package
 * manager, naming the Node.js child to attach to; does nothing for any other process.
 */
export function refusePackageManager(pid: number): void {
  let argv: string[];
  try {
    argv = readProcessInfo(pid).argv;
  } catch {
    return; // gone or not readable: resolving the target says so
  }
  const manager = packageManagerOf(argv);
  if (!manager) return;
  const what = `process ${pid} is \`${trimArgv(argv).join(' ')}\`, which only runs ${manager}`;
  const children = programsBelow(pid);
  const command = (proc: NodeProcess) => `process ${proc.pid} (\`${proc.argv.join(' ')}\`)`;
  if (children.length === 1) {
    throw new NotNodeProcessError(`${what}; the program is its child ${command(children[0])}`, `asyncgraph attach ${children[0].pid}`);
  }
  if (children.length > 1) {
    throw new NotNodeProcessError(
      `${what}; its Node.js children are ${children.slice(0, 3).map(command).join(', ')}${children.length > 3 ? ` and ${children.length - 3} more` : ''}`,
      `asyncgraph attach ${pid} --children captures them all`,
    );
  }
  throw new NotNodeProcessError(`${what}, and no Node.js process runs below it yet`, `attach to the program's pid, or use asyncgraph attach ${pid} --children once it runs`);
}
