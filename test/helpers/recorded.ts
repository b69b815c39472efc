// The recorded snapshots of test/recorded/programs (scripts/record-snapshots.js) through the same
// pure stages as a capture (src/document/snapshot-to-document.ts). No sources were recorded, so
// locations are definition sites and no await point is inferred.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { documentFromSnapshot, type ScriptInfo } from '../../src/document/snapshot-to-document.js';
import type { AwaitGraphDocument } from '../../src/schema.js';
import { SnapshotParser } from '../../src/snapshot/snapshot-parser.js';

const recorded = new URL('../recorded/', import.meta.url);

/** `program.nodeMAJOR`'s snapshot, parsed in odd-sized chunks as CDP would send it. */
export function recordedSnapshotText(program: string, major: number): string {
  return gunzipSync(readFileSync(new URL(`${program}.node${major}.heapsnapshot.gz`, recorded))).toString('utf8');
}

export function recordedScripts(program: string, major: number): Map<string, ScriptInfo> {
  const urls = JSON.parse(readFileSync(new URL(`${program}.node${major}.scripts.json`, recorded), 'utf8')) as Record<string, string>;
  return new Map(Object.entries(urls).map(([id, url]) => [id, { url }]));
}

/** `withWakeups: false`: the await graph alone, without the wake-up analysis. */
export function recordedDocument(program: string, major: number, options: { loopNowMs?: number; withWakeups?: false } = {}): AwaitGraphDocument {
  const text = recordedSnapshotText(program, major);
  const parser = new SnapshotParser();
  for (let i = 0; i < text.length; i += 65_521) parser.write(text.slice(i, i + 65_521));
  const doc = documentFromSnapshot(parser.end(), {
    scripts: recordedScripts(program, major),
    target: { pid: 1, nodeVersion: `v${major}`, url: 'ws://test' },
    capturedAt: new Date(0),
    toolVersion: 'test',
    ...(options.withWakeups === false ? { wakeups: false } : options.loopNowMs !== undefined ? { wakeups: { loopNowMs: options.loopNowMs } } : {}),
  });
  // A failed wake-up analysis leaves the document without its fields: say so, not a confusing diff.
  if (options.withWakeups !== false && doc.keepAlive === undefined) throw new Error(`the wake-up analysis failed on ${program}.node${major}`);
  return doc;
}
