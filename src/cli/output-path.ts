// Output files (`snapshot -o FILE`, `run --json-out FILE`) are checked before the target is
// touched: a typo in a path must not cost the target a stalled heap snapshot first.

import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AsyncgraphError, ExitCode, UsageError } from '../errors.js';

/** UsageError (exit 2) unless `path` can be created or overwritten as a file. */
export function checkOutputPath(path: string, option: string): void {
  if (path === '') throw new UsageError(`${option} needs a file name`);
  const target = resolve(path);
  const existing = statOrUndefined(target);
  if (existing?.isDirectory()) throw new UsageError(`${option} ${path} is a directory`, `give a file name, e.g. ${option} ${path.replace(/\/$/, '')}/graph.json`);
  const directory = dirname(target);
  const parent = statOrUndefined(directory);
  if (!parent) throw new UsageError(`cannot write ${path}: no such directory ${dirname(path)}`, `create it first (mkdir -p ${dirname(path)}), or choose another ${option}`);
  if (!parent.isDirectory()) throw new UsageError(`cannot write ${path}: ${dirname(path)} is not a directory`, `choose another ${option}`);
  try {
    accessSync(existing ? target : directory, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${path}: permission denied`, `choose another ${option}, or a directory you can write to`);
  }
}

/** A write that fails after the capture (disk full…): one line, exit 1, not a stack. */
export function cannotWrite(path: string, error: unknown): AsyncgraphError {
  return new AsyncgraphError(`cannot write ${path}: ${(error as Error)?.message ?? String(error)}`, ExitCode.Failure);
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
