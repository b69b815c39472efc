// Vitest globalSetup: the Node.js binaries the integration tests run their targets on.
//
// The CLI itself always runs on the current node; the *targets* run on Node 20, 22 and 24.
//  - A major equal to the current node's is process.execPath.
//  - Any other comes from the npm registry package `node-<platform>-<arch>@<major>` installed
//    into .cache/node<major>/ (a gitignored directory with its own package.json, so npm installs
//    there and never into this project). An install is skipped when the binary is already
//    there and reports the right major.
//
// ASYNCGRAPH_TEST_NODE_MAJORS=20,22 restricts the set (local runs). A failed install fails the
// run: a version is never skipped silently.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

export interface NodeTarget {
  major: number;
  /** Absolute path of the node binary. */
  path: string;
  /** Its full version, e.g. "v22.23.3". */
  version: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    nodeTargets: NodeTarget[];
  }
}

const run = promisify(execFile);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_MAJORS = [20, 22, 24, 26];

export function requestedMajors(env: NodeJS.ProcessEnv = process.env): number[] {
  const raw = env.ASYNCGRAPH_TEST_NODE_MAJORS?.trim();
  if (!raw) return DEFAULT_MAJORS;
  const majors = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const bad = majors.filter((m) => !/^\d+$/.test(m));
  if (bad.length > 0 || majors.length === 0) {
    throw new Error(`ASYNCGRAPH_TEST_NODE_MAJORS=${raw}: expected a comma-separated list of majors, e.g. 20,22`);
  }
  return [...new Set(majors.map(Number))];
}

/** `node --version` of a binary, or null if it does not run. */
async function versionOf(binary: string): Promise<string | null> {
  if (!existsSync(binary)) return null;
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 20_000 });
    return stdout.trim();
  } catch {
    return null;
  }
}

function majorOf(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1] ?? NaN);
}

/** npm must see this directory, not the project, as its prefix: no inherited npm_* settings. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return env;
}

export async function ensureNode(major: number, cacheRoot = join(REPO_ROOT, '.cache')): Promise<NodeTarget> {
  if (majorOf(process.version) === major) return { major, path: process.execPath, version: process.version };

  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(cacheRoot, `node${major}`);
  const binary = join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  const cached = await versionOf(binary);
  if (cached && majorOf(cached) === major) return { major, path: binary, version: cached };

  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest) || readFileSync(manifest, 'utf8').trim() === '') {
    writeFileSync(manifest, '{"private":true}\n');
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${major}`];
  try {
    await run(npm, args, { cwd: dir, env: npmEnv(), timeout: 110_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `cannot install Node ${major} for the integration tests: \`npm ${args.join(' ')}\` in ${dir} failed ` +
        `(${e.message.split('\n')[0]})${output ? `\n${output}` : ''}\n` +
        'Fix the network/registry access, or restrict the versions with ASYNCGRAPH_TEST_NODE_MAJORS=20',
    );
  }
  const installed = await versionOf(binary);
  if (!installed || majorOf(installed) !== major) {
    throw new Error(
      `installed ${pkg}@${major} into ${dir}, but ${binary} ${installed ? `reports ${installed}` : 'does not run'}`,
    );
  }
  return { major, path: binary, version: installed };
}

export default async function setup(project: TestProject): Promise<void> {
  const majors = requestedMajors();
  // Each install has its own directory (npm's download cache is safe to share): run them together.
  const results = await Promise.allSettled(majors.map((major) => ensureNode(major)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
  project.provide('nodeTargets', results.map((r) => (r as PromiseFulfilledResult<NodeTarget>).value));
}
