import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { findAwaitGraph } from '../../src/awaits/await-graph.js';
import { buildDocument } from '../../src/document/document.js';
import { HeapGraph } from '../../src/snapshot/heap-graph.js';
import { parseSnapshot } from '../../src/snapshot/snapshot-parser.js';
import type { AwaitGraphDocument } from '../../src/schema.js';
import { jsonPieces, renderJson, writeJsonFile } from '../../src/render/json.js';

const dir = mkdtempSync(join(tmpdir(), 'asyncgraph-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(doc: object): string {
  const file = join(dir, 'out.json');
  writeJsonFile(file, doc as AwaitGraphDocument);
  return readFileSync(file, 'utf8');
}

describe('writeJsonFile', () => {
  it('writes the same text as renderJson for awkward values', () => {
    const docs: object[] = [
      {},
      { a: [] },
      { a: undefined, b: () => 1, c: 1 },
      { nodes: [{ id: 1, name: 'line\nbreak "quoted"', awaitedBy: [] }, { id: 2, awaitedBy: [1, 3], nested: { deep: [[1], []] } }] },
      { at: new Date(0), list: [undefined, null, () => 0, 'x', { toJSON: () => 'custom' }], empty: {}, text: 'a\nb' },
      { first: [1, 2], middle: 'm', last: [{ a: { b: [{}] } }] },
      Object.assign([1, 2], {}),
    ];
    for (const doc of docs) {
      expect(written(doc)).toBe(renderJson(doc as AwaitGraphDocument));
      expect([...jsonPieces(doc)].join('')).toBe(JSON.stringify(doc, null, 2));
    }
  });

  it('writes the same text as renderJson for a real document, in many batches', () => {
    const text = gunzipSync(readFileSync(new URL('../recorded/kitchen-sink.node20.heapsnapshot.gz', import.meta.url))).toString('utf8');
    const nodes = findAwaitGraph(new HeapGraph(parseSnapshot(text)));
    const doc = buildDocument({
      nodes,
      scriptUrls: new Map(),
      exact: new Map(),
      target: { pid: 1, nodeVersion: 'v20', url: 'ws://test' },
      capturedAt: new Date(0),
      toolVersion: 'test',
    });
    // Enough nodes for several 1 MB batches.
    const big = { ...doc, nodes: Array.from({ length: 20_000 }, (_, k) => ({ ...doc.nodes[k % doc.nodes.length], id: k })) };
    expect(written(doc)).toBe(renderJson(doc));
    expect(written(big)).toBe(renderJson(big));
  });
});
