import { describe, expect, it } from 'vitest';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import { buildDocument } from '../../src/document/document.js';
import { createSourceMapper, decodeDataUrl, SourceMap } from '../../src/locations/source-map.js';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 VLQ, as source map writers encode it. */
function vlq(value: number): string {
  let rest = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = rest & 31;
    rest >>>= 5;
    if (rest > 0) digit |= 32;
    out += BASE64[digit];
  } while (rest > 0);
  return out;
}

/** mappings from absolute segments [generatedColumn, source, line, column] per generated line. */
function encode(lines: [number, number, number, number][][]): string {
  let source = 0;
  let line = 0;
  let column = 0;
  return lines
    .map((segments) => {
      let generated = 0;
      return segments
        .map(([g, s, l, c]) => {
          const text = vlq(g - generated) + vlq(s - source) + vlq(l - line) + vlq(c - column);
          [generated, source, line, column] = [g, s, l, c];
          return text;
        })
        .join(',');
    })
    .join(';');
}

describe('SourceMap', () => {
  it('decodes the mappings of a hand-written map (the spec example)', () => {
    const map = SourceMap.parse(JSON.stringify({ version: 3, sources: ['a.js'], mappings: 'AAAA,SAASA;AACA' }), 'file:///p/out.js')!;
    expect(map.lookup(0, 0)).toEqual({ url: 'file:///p/a.js', line: 0, column: 0 });
    expect(map.lookup(0, 9)).toEqual({ url: 'file:///p/a.js', line: 0, column: 9 });
    expect(map.lookup(0, 30)).toEqual({ url: 'file:///p/a.js', line: 0, column: 9 });
    // The original column carries over from the previous line's last segment (only the generated column resets).
    expect(map.lookup(1, 4)).toEqual({ url: 'file:///p/a.js', line: 1, column: 9 });
    expect(map.lookup(2, 0)).toBeNull();
  });

  it('handles negative deltas, several sources and sourceRoot', () => {
    const mappings = encode([[[0, 1, 10, 4], [8, 0, 2, 0]], [], [[2, 1, 0, 0]]]);
    const map = SourceMap.parse(JSON.stringify({ version: 3, sourceRoot: '../src', sources: ['x.ts', 'y.ts'], mappings }), 'file:///p/dist/out.js.map')!;
    expect(map.lookup(0, 3)).toEqual({ url: 'file:///p/src/y.ts', line: 10, column: 4 });
    expect(map.lookup(0, 8)).toEqual({ url: 'file:///p/src/x.ts', line: 2, column: 0 });
    expect(map.lookup(1, 0)).toBeNull();
    expect(map.lookup(2, 1)).toBeNull();
    expect(map.lookup(2, 2)).toEqual({ url: 'file:///p/src/y.ts', line: 0, column: 0 });
  });

  it('refuses what it cannot use', () => {
    expect(SourceMap.parse('not json', 'file:///x')).toBeNull();
    expect(SourceMap.parse('null', 'file:///x')).toBeNull();
    expect(SourceMap.parse(JSON.stringify({ version: 2, sources: ['a'], mappings: 'AAAA' }), 'file:///x')).toBeNull();
    expect(SourceMap.parse(JSON.stringify({ version: 3, sources: ['a'], mappings: 'A!' }), 'file:///x')).toBeNull();
    expect(SourceMap.parse(JSON.stringify({ version: 3, sources: null, mappings: 'AAAA' }), 'file:///x')).toBeNull();
    expect(SourceMap.parse(JSON.stringify({ version: 3, sections: [{ offset: { line: 0, column: 0 }, map: { version: 3 } }] }), 'file:///x')).toBeNull();
    // A segment naming a source the map does not have maps to nothing.
    expect(SourceMap.parse(JSON.stringify({ version: 3, sources: ['a'], mappings: encode([[[0, 3, 0, 0]]]) }), 'file:///x')!.lookup(0, 0)).toBeNull();
  });

  it('reads index maps (sections)', () => {
    const map = SourceMap.parse(
      JSON.stringify({
        version: 3,
        sections: [
          { offset: { line: 0, column: 0 }, map: { version: 3, sources: ['a.ts'], mappings: encode([[[0, 0, 7, 2]]]) } },
          { offset: { line: 5, column: 0 }, map: { version: 3, sources: ['b.ts'], mappings: encode([[[0, 0, 1, 0]]]) } },
        ],
      }),
      'file:///p/out.js.map',
    )!;
    expect(map.lookup(0, 4)).toEqual({ url: 'file:///p/a.ts', line: 7, column: 2 });
    expect(map.lookup(5, 0)).toEqual({ url: 'file:///p/b.ts', line: 1, column: 0 });
  });

  it('reads data: URLs, base64 or not', () => {
    expect(decodeDataUrl(`data:application/json;charset=utf-8;base64,${Buffer.from('{"a":1}').toString('base64')}`)).toBe('{"a":1}');
    expect(decodeDataUrl('data:application/json,%7B%7D')).toBe('{}');
    expect(decodeDataUrl('out.js.map')).toBeNull();
  });
});

describe('createSourceMapper', () => {
  // Vite moved lib/jobs.js down three lines (hoisted exports); its map is inline.
  const jobsMap = {
    version: 3,
    sources: ['jobs.js'],
    mappings: encode([[], [], [], ...Array.from({ length: 40 }, (_, line): [number, number, number, number][] => [[0, 0, line, 0], [14, 0, line, 14]])]),
  };
  const scripts = new Map([
    ['5', { url: 'file:///p/lib/jobs.js', sourceMapURL: `data:application/json;base64,${Buffer.from(JSON.stringify(jobsMap)).toString('base64')}` }],
    ['6', { url: 'file:///p/dist/app.js', sourceMapURL: 'app.js.map' }],
    ['7', { url: 'node:internal/x', sourceMapURL: undefined }],
    ['8', { url: 'file:///p/dist/broken.js', sourceMapURL: 'broken.js.map' }],
    ['9', { url: 'file:///p/dist/missing.js', sourceMapURL: 'missing.js.map' }],
  ]);
  const appMap = { version: 3, sources: ['../src/app.ts'], mappings: encode([[[0, 0, 4, 2]]]) };
  const nodes: FoundNode[] = [
    { id: 1, heapNode: 0, kind: 'async-function', name: 'waitForJob', definition: { scriptId: 5, line: 25, column: 36 }, awaitedBy: [] },
    { id: 2, heapNode: 0, kind: 'async-function', name: 'main', definition: { scriptId: 6, line: 0, column: 5 }, awaitedBy: [] },
    { id: 3, heapNode: 0, kind: 'async-function', name: 'internal', definition: { scriptId: 7, line: 3, column: 1 }, awaitedBy: [] },
    { id: 4, heapNode: 0, kind: 'async-function', name: 'broken', definition: { scriptId: 8, line: 1, column: 1 }, awaitedBy: [] },
    { id: 5, heapNode: 0, kind: 'async-function', name: 'missing', definition: { scriptId: 9, line: 2, column: 2 }, awaitedBy: [] },
  ];
  const exact = new Map([[1, { scriptId: '5', lineNumber: 26, columnNumber: 14, state: 'suspended' }]]);
  const loaded: string[] = [];
  const mapper = createSourceMapper(scripts, (mapUrl) => {
    loaded.push(mapUrl);
    if (mapUrl === 'file:///p/dist/app.js.map') return JSON.stringify(appMap);
    if (mapUrl === 'file:///p/dist/broken.js.map') return '{"version":3,"sources":["x.ts"],"mappings":"%%%"}';
    return null;
  });
  const doc = buildDocument({
    nodes,
    scriptUrls: new Map([...scripts].map(([id, script]) => [id, script.url])),
    exact,
    mapPosition: mapper,
    target: { pid: 1, nodeVersion: null, url: 'ws://x' },
    capturedAt: new Date(0),
    toolVersion: '0',
  });
  const byName = Object.fromEntries(doc.nodes.map((node) => [node.name, node]));
  const where = (location: { url: string; line: number; column: number } | null | undefined) =>
    location ? `${location.url}:${location.line}:${location.column}` : null;

  it('maps exact points and definitions to the original source', () => {
    expect(where(byName.waitForJob.location)).toBe('file:///p/lib/jobs.js:24:15');
    expect(byName.waitForJob.locationSource).toBe('exact');
    expect(where(byName.main.location)).toBe('file:///p/src/app.ts:5:3');
    expect(byName.main.locationSource).toBe('definition');
  });

  it('keeps the generated location of a mapped position', () => {
    expect(where(byName.waitForJob.generatedLocation)).toBe('file:///p/lib/jobs.js:27:15');
    expect(where(byName.main.generatedLocation)).toBe('file:///p/dist/app.js:1:6');
    expect(Object.keys(byName.main)).toEqual(['id', 'kind', 'name', 'location', 'generatedLocation', 'locationSource', 'awaitedBy']);
  });

  it('falls back quietly to the generated location without a usable map', () => {
    expect(where(byName.internal.location)).toBe('node:internal/x:4:2');
    expect(where(byName.broken.location)).toBe('file:///p/dist/broken.js:2:2');
    expect(where(byName.missing.location)).toBe('file:///p/dist/missing.js:3:3');
    for (const name of ['internal', 'broken', 'missing']) expect(byName[name].generatedLocation).toBeUndefined();
  });

  it('loads each map file once, relative to its script', () => {
    expect(mapper('6', 0, 0)).toEqual({ url: 'file:///p/src/app.ts', line: 4, column: 2 });
    expect(loaded).toEqual(['file:///p/dist/app.js.map', 'file:///p/dist/broken.js.map', 'file:///p/dist/missing.js.map']);
  });

  it('survives a map loader that throws', () => {
    const throwing = createSourceMapper(scripts, () => {
      throw new Error('EACCES');
    });
    expect(throwing('6', 0, 0)).toBeNull();
  });
});
