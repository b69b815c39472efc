// What the document needs from the target and the disk besides the capture itself: script
// sources (to infer await locations past the location budget, src/locations/infer-await.ts) and
// source map files (src/locations/source-map.ts).

import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CdpSession } from '../session/cdp-session.js';
import { TimeoutError } from '../errors.js';

export interface FetchSourcesOptions {
  /** Bound on the whole fetch, Debugger.enable included (default 5 s). */
  timeoutMs?: number;
  /** Stop fetching once this many characters arrived (default 64 Mi). */
  maxChars?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** The Debugger domain is already enabled (during a capture): leave it as it is. */
  debuggerEnabled?: boolean;
  /** Told once, why some sources are missing (a timeout, the size cap, the target not answering). */
  onIncomplete?: (reason: string) => void;
}

/**
 * The sources of the given scripts, by scriptId, through `Debugger.getScriptSource`, which needs
 * the Debugger domain: unless it is on already, it is enabled for the fetch and disabled again (no
 * breakpoint, no pause: the target keeps running). Best effort: a script
 * that cannot be fetched, a timeout or a closed connection only leaves sources out.
 */
export async function fetchScriptSources(
  session: CdpSession,
  scriptIds: readonly string[],
  options: FetchSourcesOptions = {},
): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  if (scriptIds.length === 0) return sources;
  const deadline = performance.now() + (options.timeoutMs ?? 5000);
  const maxChars = options.maxChars ?? 64 * 1024 * 1024;
  const remaining = () => Math.max(1, Math.round(deadline - performance.now()));
  let enabled = false;
  let timedOut = false;
  try {
    if (!options.debuggerEnabled) {
      await session.send('Debugger.enable', {}, remaining());
      enabled = true;
    }
    let next = 0;
    let chars = 0;
    const worker = async () => {
      while (next < scriptIds.length && chars < maxChars && performance.now() < deadline) {
        const scriptId = scriptIds[next++];
        try {
          const { scriptSource } = await session.send('Debugger.getScriptSource', { scriptId }, remaining());
          chars += scriptSource.length;
          sources.set(scriptId, scriptSource);
        } catch (error) {
          // a script gone or a wasm module: no source, no inference
          if (error instanceof TimeoutError) timedOut = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  } catch {
    // the target went away or did not answer: infer from what arrived
    timedOut = true;
  } finally {
    if (enabled) await session.send('Debugger.disable', undefined, 2000).catch(() => {});
  }
  const missing = scriptIds.length - sources.size;
  if (missing > 0 && (timedOut || performance.now() >= deadline)) {
    options.onIncomplete?.(`${missing} of ${scriptIds.length} did not arrive within ${options.timeoutMs ?? 5000} ms`);
  }
  return sources;
}

/** Largest source map read from disk. */
const MAX_SOURCE_MAP_BYTES = 16 * 1024 * 1024;

/** A source map next to a script on this machine (file: URLs only); null if absent or too big. */
export function readLocalSourceMap(mapUrl: string): string | null {
  if (!mapUrl.startsWith('file:')) return null;
  try {
    const path = fileURLToPath(mapUrl);
    if (statSync(path).size > MAX_SOURCE_MAP_BYTES) return null;
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
