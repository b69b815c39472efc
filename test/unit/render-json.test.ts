import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AwaitGraphDocument } from '../../src/schema.js';
import { Writable } from 'node:stream';
import { jsonPieces, renderJson, writeJsonFile, writeJsonStream } from '../../src/render/json.js';
import { recordedDocument } from '../helpers/recorded.js';

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
    const doc = recordedDocument('kitchen-sink', 20);
    // Enough nodes for several 1 MB batches.
    const big = { ...doc, nodes: Array.from({ length: 20_000 }, (_, k) => ({ ...doc.nodes[k % doc.nodes.length], id: k })) };
    expect(written(doc)).toBe(renderJson(doc));
    expect(written(big)).toBe(renderJson(big));
  });
});

/** A stream that takes its writes slowly (asks for a drain after each one), keeping what it got. */
function slowReader(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

describe('writeJsonStream', () => {
  it('writes the same text as renderJson to a stream that needs draining', async () => {
    const doc = recordedDocument('kitchen-sink', 20);
    const big = { ...doc, nodes: Array.from({ length: 20_000 }, (_, k) => ({ ...doc.nodes[k % doc.nodes.length], id: k })) };
    for (const one of [doc, big]) {
      const stream = slowReader();
      await writeJsonStream(stream, one);
      await new Promise<void>((resolve) => stream.end(resolve));
      expect(stream.text()).toBe(renderJson(one));
    }
  });

  it('stops at a stream that is gone', async () => {
    const doc = recordedDocument('kitchen-sink', 20);
    const big = { ...doc, nodes: Array.from({ length: 20_000 }, (_, k) => ({ ...doc.nodes[k % doc.nodes.length], id: k })) };
    let writes = 0;
    const stream = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        writes++;
        // The reader goes away after the first batch.
        setImmediate(() => callback(new Error('EPIPE')));
      },
    });
    stream.on('error', () => {});
    await writeJsonStream(stream, big);
    expect(writes).toBe(1);
    expect(stream.destroyed).toBe(true);
  });
});
