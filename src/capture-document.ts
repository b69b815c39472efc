// From one thread's capture to its document: infer the awaits the location budget did not reach
// (fetching the scripts' sources while the session is still open), map positions through source
// maps, build the versioned document. Shared by captureGraph and captureProcess.

import { buildDocument } from './graph/document.js';
import { inferLocations, scriptsToInfer } from './graph/infer-await.js';
import { createSourceMapper } from './graph/source-map.js';
import type { AwaitGraphDocument, TargetInfo } from './graph/types.js';
import type { Capture } from './inspector/capture.js';
import type { CdpSession } from './inspector/cdp-session.js';
import { fetchScriptSources, readLocalSourceMap } from './inspector/script-sources.js';

export interface DocumentOptions {
  target: TargetInfo;
  toolVersion: string;
  locationBudgetMs: number;
  onProgress?: (message: string) => void;
}

/** Call before closing `session`: sources are fetched through it. */
export async function captureToDocument(session: CdpSession, capture: Capture, options: DocumentOptions): Promise<AwaitGraphDocument> {
  const needed = scriptsToInfer(capture.nodes, capture.exact);
  if (needed.length > 0) options.onProgress?.('inferring the remaining await locations');
  const sources = await fetchScriptSources(session, needed);
  const inferred = inferLocations(capture.nodes, capture.exact, sources);
  const scriptUrls = new Map([...capture.scripts].map(([id, script]) => [id, script.url]));
  return buildDocument({
    nodes: capture.nodes,
    scriptUrls,
    exact: capture.exact,
    inferred,
    mapPosition: createSourceMapper(capture.scripts, readLocalSourceMap),
    target: options.target,
    capturedAt: capture.capturedAt,
    toolVersion: options.toolVersion,
    ...(capture.execution ? { execution: capture.execution } : {}),
    stats: {
      snapshotBytes: capture.snapshotBytes,
      heapNodes: capture.heapNodes,
      locationBudgetMs: options.locationBudgetMs,
      locationLookupMs: Math.round(capture.locationLookupMs),
    },
  });
}
