import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshot, SnapshotParseError, SnapshotParser, type SnapshotParserOptions } from '../../src/snapshot/snapshot-parser.js';
import { nameAt, type RawSnapshot } from '../../src/snapshot/snapshot-types.js';

// ---- Helpers ----

/** What JSON.parse makes of a snapshot: the reference the streaming parser must match. */
function reference(text: string) {
  const json = JSON.parse(text) as {
    snapshot: { meta: unknown; node_count: number; edge_count: number };
    nodes: number[];
    edges: number[];
    locations?: number[];
    strings: string[];
  };
  return {
    meta: json.snapshot.meta,
    nodeCount: json.snapshot.node_count,
    edgeCount: json.snapshot.edge_count,
    nodes: json.nodes,
    edges: json.edges,
    locations: json.locations ?? [],
    strings: json.strings,
  };
}

/** Index of the first difference, or -1; avoids vitest diffing million-element arrays. */
function firstMismatch(actual: ArrayLike<unknown>, expected: ArrayLike<unknown>): number {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return -1;
}

/**
 * The parsed columns as V8's interleaved rows. Node fields the parser did not keep (without
 * `keepAllNodeFields`) come out as undefined, so they differ from any reference.
 */
function rows(parsed: RawSnapshot): { nodes: (number | undefined)[]; edges: number[] } {
  const nodeFields = parsed.meta.node_fields;
  const nodes: (number | undefined)[] = [];
  for (let n = 0; n < parsed.nodeCount; n++) {
    for (const field of nodeFields) {
      if (field === 'type') nodes.push(parsed.nodeType[n]);
      else if (field === 'name') nodes.push(nameAt(parsed.nodeName, parsed.nodeNameOverflow, n));
      else if (field === 'id') nodes.push(parsed.nodeId[n]);
      else if (field === 'self_size') nodes.push(parsed.nodeSelfSize[n]);
      else if (field === 'edge_count') nodes.push(parsed.firstEdge[n + 1] - parsed.firstEdge[n]);
      else nodes.push(parsed.otherNodeFields.get(field)?.[n]);
    }
  }
  const edges: number[] = [];
  for (let e = 0; e < parsed.edgeCount; e++) {
    for (const field of parsed.meta.edge_fields) {
      if (field === 'type') edges.push(parsed.edgeType[e]);
      else if (field === 'name_or_index') edges.push(nameAt(parsed.edgeName, parsed.edgeNameOverflow, e));
      else if (field === 'to_node') edges.push(parsed.edgeTo[e] * nodeFields.length);
    }
  }
  return { nodes, edges };
}

function expectColumns(parsed: RawSnapshot): void {
  expect(parsed.nodeType).toBeInstanceOf(Uint8Array);
  expect(parsed.edgeType).toBeInstanceOf(Uint8Array);
  for (const column of [parsed.nodeId, parsed.nodeSelfSize, parsed.edgeTo, parsed.locations]) {
    expect(column).toBeInstanceOf(Uint32Array);
  }
  for (const column of [parsed.nodeName, parsed.edgeName]) {
    expect(column instanceof Uint16Array || column instanceof Uint32Array).toBe(true);
  }
  for (const column of [parsed.nodeType, parsed.nodeName, parsed.nodeId, parsed.nodeSelfSize]) expect(column.length).toBe(parsed.nodeCount);
  for (const column of [parsed.edgeType, parsed.edgeName, parsed.edgeTo]) expect(column.length).toBe(parsed.edgeCount);
  expect(parsed.firstEdge.length).toBe(parsed.nodeCount + 1);
  expect(parsed.firstEdge[0]).toBe(0);
  expect(parsed.firstEdge[parsed.nodeCount]).toBe(parsed.edgeCount);
}

/**
 * Every value the parser keeps equals JSON.parse's. Parse with `keepAllNodeFields` to compare
 * every node field; without it, the dropped ones (trace_node_id, detachedness) are skipped.
 */
function expectSameAsReference(parsed: RawSnapshot, text: string): void {
  const ref = reference(text);
  expect(parsed.meta).toEqual(ref.meta);
  expect(parsed.nodeCount).toBe(ref.nodeCount);
  expect(parsed.edgeCount).toBe(ref.edgeCount);
  expectColumns(parsed);
  const { nodes, edges } = rows(parsed);
  const keptNodes = parsed.otherNodeFields.size > 0 ? ref.nodes : ref.nodes.map((value, k) => (nodes[k] === undefined ? undefined : value));
  expect(nodes.length).toBe(ref.nodes.length);
  expect(edges.length).toBe(ref.edges.length);
  expect(parsed.locations.length).toBe(ref.locations.length);
  expect(parsed.strings.length).toBe(ref.strings.length);
  expect(firstMismatch(nodes, keptNodes)).toBe(-1);
  expect(firstMismatch(edges, ref.edges)).toBe(-1);
  expect(firstMismatch(parsed.locations, ref.locations)).toBe(-1);
  expect(firstMismatch(parsed.strings, ref.strings)).toBe(-1);
}

/** Small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(text: string, seed: number, maxSize: number): string[] {
  const random = prng(seed);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; ) {
    const size = 1 + Math.floor(random() * maxSize);
    chunks.push(text.slice(i, i + size));
    i += size;
  }
  return chunks;
}

function fixedChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

const META = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  node_types: [['hidden', 'array', 'string', 'object'], 'string', 'number', 'number', 'number', 'number', 'number'],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [['context', 'element', 'property', 'internal'], 'string_or_number', 'node'],
  location_fields: ['object_index', 'script_id', 'line', 'column'],
  sample_fields: ['timestamp_us', 'last_assigned_id'],
};

/** Raw text of a JSON string whose escapes exercise every decoding path. */
const ESCAPED_STRING_JSON = String.raw`"quote \" backslash \\ slash \/ \b\f\n\r\t e\u00e9 emoji \uD83D\uDE00 end"`;

/** A tiny hand-written snapshot: 2 nodes, 3 edges, 1 location, with whitespace like V8's. */
function tinySnapshot(options: { extraKeys?: string; headerLast?: boolean } = {}): string {
  const header = `"snapshot":{"meta":${JSON.stringify(META)},"node_count":2,"edge_count":3,"trace_function_count":0,"extra_native_bytes":0}`;
  const body = [
    `"nodes":[9,0,1,100,2,0,0\n,3,1,3,4294967295,1,0,1]`,
    `"edges":[2,0,7\n,1 , 1 ,0\n,3,2,7]`,
    `"locations":[7,12,345,6]`,
    `"strings":["<dummy>", "plain", ${ESCAPED_STRING_JSON} ,""]`,
  ];
  const keys = options.headerLast ? [...body, header] : [header, ...body];
  if (options.extraKeys) keys.splice(1, 0, options.extraKeys);
  return `{${keys.join(',\n')}}\n`;
}

function parseError(run: () => unknown): SnapshotParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotParseError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return error as SnapshotParseError;
  }
  throw new Error('expected a SnapshotParseError, nothing was thrown');
}

function feed(chunks: Iterable<string>, options?: SnapshotParserOptions): RawSnapshot {
  const parser = new SnapshotParser(options);
  for (const chunk of chunks) parser.write(chunk);
  return parser.end();
}

// ---- A real V8 snapshot ----

describe('real V8 heap snapshot', () => {
  let dir = '';
  let text = '';

  beforeAll(() => {
    // A fresh child process keeps the snapshot small (a few MB) and its contents known.
    dir = mkdtempSync(join(tmpdir(), 'asyncgraph-snapshot-'));
    const file = join(dir, 'child.heapsnapshot');
    const script = `
      const v8 = require('node:v8');
      globalThis.keep = [
        'emoji \\u{1F600} "quoted" back\\\\slash\\nnewline \\u2028 \\u00e9 ' + Date.now(),
        { 'key with "quotes"': 1, ['tab\\there']: 2 },
        Array.from({ length: 2000 }, (_, i) => ({ i, s: 'str' + i })),
      ];
      v8.writeHeapSnapshot(${JSON.stringify(file)});
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`snapshot child failed: ${child.stderr}`);
    text = readFileSync(file, 'utf8');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('matches JSON.parse when fed as one chunk', () => {
    expect(text.length).toBeGreaterThan(100_000);
    const parsed = parseSnapshot(text);
    expectSameAsReference(parsed, text);
    expect(parsed.otherNodeFields.size).toBe(0);
    expectSameAsReference(parseSnapshot(text, { keepAllNodeFields: true }), text);
    expect(parsed.strings.some((s) => s.includes('"quoted" back\\slash\nnewline'))).toBe(true);
  });

  it('matches JSON.parse when fed in random chunk sizes', () => {
    expectSameAsReference(feed(randomChunks(text, 1, 65_536), { keepAllNodeFields: true }), text);
    expectSameAsReference(feed(randomChunks(text, 2, 4_096)), text);
    expectSameAsReference(feed(randomChunks(text, 3, 16), { keepAllNodeFields: true }), text);
  });

  it('matches JSON.parse when fed 64 KB chunks, as from CDP', () => {
    const parser = new SnapshotParser();
    for (const chunk of fixedChunks(text, 65_536)) parser.write(chunk);
    expect(parser.bytesSeen).toBe(text.length);
    expectSameAsReference(parser.end(), text);
  });

  it('reports truncation wherever the input stops', () => {
    const random = prng(7);
    for (let n = 0; n < 20; n++) {
      const cut = Math.floor(random() * text.length);
      parseError(() => parseSnapshot(text.slice(0, cut)));
    }
    const nodesStart = text.indexOf('"nodes":[');
    const error = parseError(() => parseSnapshot(text.slice(0, nodesStart + 1000)));
    expect(error.message).toMatch(/^heap snapshot is truncated: expected \d+ nodes, got \d+$/);
  });
});

// ---- Hand-written snapshots ----

describe('hand-written snapshots', () => {
  it('parses values, escapes and whitespace', () => {
    const text = tinySnapshot();
    const parsed = parseSnapshot(text, { keepAllNodeFields: true });
    expectSameAsReference(parsed, text);
    expect(rows(parsed).nodes).toEqual([9, 0, 1, 100, 2, 0, 0, 3, 1, 3, 4294967295, 1, 0, 1]);
    expect(rows(parsed).edges).toEqual([2, 0, 7, 1, 1, 0, 3, 2, 7]);
    // Columns: edge_count became first-edge offsets, to_node became node ordinals.
    expect(Array.from(parsed.firstEdge)).toEqual([0, 2, 3]);
    expect(Array.from(parsed.edgeTo)).toEqual([1, 0, 1]);
    expect(Array.from(parsed.nodeId)).toEqual([1, 3]);
    expect(Array.from(parsed.nodeSelfSize)).toEqual([100, 4294967295]);
    expect([...parsed.otherNodeFields.keys()]).toEqual(['trace_node_id', 'detachedness']);
    // By default only the fields asyncgraph reads are kept.
    expect(parseSnapshot(text).otherNodeFields.size).toBe(0);
    expect(Array.from(parsed.locations)).toEqual([7, 12, 345, 6]);
    expect(parsed.strings).toEqual([
      '<dummy>',
      'plain',
      'quote " backslash \\ slash / \b\f\n\r\t e\u00e9 emoji \u{1F600} end',
      '',
    ]);
  });

  it('keeps name columns at 16 bits, with rare larger values set aside', () => {
    const narrow = parseSnapshot(tinySnapshot());
    expect(narrow.nodeName).toBeInstanceOf(Uint16Array);
    expect(narrow.edgeName).toBeInstanceOf(Uint16Array);
    expect(narrow.nodeNameOverflow).toBeNull();
    // A node name and an element index past 65534.
    const text = tinySnapshot().replace('3,1,3,4294967295', '3,70000,3,4294967295').replace('1 , 1 ,0', '1 , 4294967295 ,0');
    for (const parsed of [parseSnapshot(text), feed(text.split(''))]) {
      expectSameAsReference(parsed, text);
      expect(parsed.nodeName).toBeInstanceOf(Uint16Array);
      expect(parsed.edgeName).toBeInstanceOf(Uint16Array);
      expect(Array.from(parsed.nodeName)).toEqual([0, 0xffff]);
      expect(parsed.nodeNameOverflow).toEqual({ rows: Uint32Array.of(1), values: Uint32Array.of(70000) });
      expect(parsed.edgeNameOverflow).toEqual({ rows: Uint32Array.of(1), values: Uint32Array.of(4294967295) });
    }
  });

  it('widens a name column to 32 bits when large values are not rare', () => {
    // One node with 10000 element edges, half of them past 65534 (more than the 4096 set aside).
    const count = 10_000;
    const edges = Array.from({ length: count }, (_, k) => `1,${k % 2 ? 65535 + k : k},0`).join(',');
    const text = `{"snapshot":{"meta":${JSON.stringify(META)},"node_count":1,"edge_count":${count}},` +
      `"nodes":[3,0,1,0,${count},0,0],"edges":[${edges}],"locations":[],"strings":["a"]}`;
    const parsed = feed(fixedChunks(text, 4096));
    expectSameAsReference(parsed, text);
    expect(parsed.edgeName).toBeInstanceOf(Uint32Array);
    expect(parsed.edgeNameOverflow).toBeNull();
  });

  it('gives the same result for every split point and for 1-character chunks', () => {
    const text = tinySnapshot();
    const expected = parseSnapshot(text);
    for (let k = 0; k <= text.length; k++) {
      expect(feed([text.slice(0, k), text.slice(k)])).toEqual(expected);
    }
    expect(feed(text.split(''))).toEqual(expected);
  });

  it('handles a surrogate pair and an escaped quote split at chunk boundaries', () => {
    const text = tinySnapshot();
    const pair = text.indexOf('\\uDE00');
    const quote = text.indexOf('\\"');
    // Split between the two halves of the pair, inside the second escape, and right after a backslash.
    const cuts = [pair, pair + 1, pair + 3, quote + 1];
    const chunks: string[] = [];
    let start = 0;
    for (const cut of cuts.sort((a, b) => a - b)) {
      chunks.push(text.slice(start, cut));
      start = cut;
    }
    chunks.push(text.slice(start));
    expect(feed(chunks).strings[2]).toBe('quote " backslash \\ slash / \b\f\n\r\t e\u00e9 emoji \u{1F600} end');
  });

  it('skips unknown keys with nested arrays, objects and literals', () => {
    const extraKeys = [
      `"trace_function_infos":[]`,
      `"trace_tree":[1,2,3,[4,5,[6,[],[]]],{"a":"]}\\"[{"}]`,
      `"samples" : [ ]`,
      `"future":{"x":[1,{"y":"}"}],"z":null}`,
      `"flag":true`,
      `"number":-1.5e3`,
      `"text":"a \\"quoted\\" ] value"`,
      `"nothing":null`,
    ].join(',');
    const text = tinySnapshot({ extraKeys });
    expectSameAsReference(parseSnapshot(text), text);
    expectSameAsReference(feed(text.split('')), text);
  });

  it('accepts the header after the arrays', () => {
    const text = tinySnapshot({ headerLast: true });
    expectSameAsReference(parseSnapshot(text), text);
    expectSameAsReference(feed(text.split('')), text);
  });

  it('accepts a snapshot without locations', () => {
    const text = tinySnapshot().replace(`"locations":[7,12,345,6],\n`, '');
    const parsed = parseSnapshot(text);
    expect(parsed.locations).toEqual(new Uint32Array(0));
    expect(parsed.strings).toHaveLength(4);
  });

  it('reads a negative position in locations (a script with a negative column offset) as 0', () => {
    const text = tinySnapshot().replace(`"locations":[7,12,345,6]`, `"locations":[7,12,-1,6]`);
    expect(Array.from(parseSnapshot(text).locations)).toEqual([7, 12, 0, 6]);
    // The sign and the digits may arrive in different chunks.
    expect(Array.from(feed(text.split('')).locations)).toEqual([7, 12, 0, 6]);
    expect(() => parseSnapshot(tinySnapshot().replace(`"locations":[7,12,345,6]`, `"locations":[7,12,3-4,6]`))).toThrow(/non-negative integer|"," or "\]"/);
    expect(() => parseSnapshot(tinySnapshot().replace(`"nodes":[`, `"nodes":[-`))).toThrow(/non-negative integer/);
  });

  it('grows locations past its initial buffer and trims it', () => {
    const values = Array.from({ length: 4 * 50_000 }, (_, i) => i * 3);
    const text = tinySnapshot().replace(`"locations":[7,12,345,6]`, `"locations":[${values.join(',')}]`);
    const parsed = feed(randomChunks(text, 11, 1000));
    expect(parsed.locations.length).toBe(values.length);
    expect(firstMismatch(parsed.locations, values)).toBe(-1);
  });

  it('parses a large string with escapes spread over many chunks', () => {
    const big = 'line "one"\n\\ \u{1F600} é '.repeat(40_000);
    const text = tinySnapshot().replace(`"plain"`, JSON.stringify(big));
    const parsed = feed(fixedChunks(text, 997));
    expect(parsed.strings[1]).toBe(big);
    const plain = 'x'.repeat(300_000);
    const plainText = tinySnapshot().replace(`"plain"`, JSON.stringify(plain));
    expect(feed(fixedChunks(plainText, 1000)).strings[1]).toBe(plain);
  });

  it('counts bytes and accepts a stream of empty chunks', () => {
    const text = tinySnapshot();
    const parser = new SnapshotParser();
    parser.write('');
    for (const chunk of fixedChunks(text, 10)) {
      parser.write(chunk);
      parser.write('');
    }
    expect(parser.bytesSeen).toBe(text.length);
    expectSameAsReference(parser.end(), text);
  });
});

// ---- Errors ----

describe('errors', () => {
  it('rejects empty and truncated input', () => {
    expect(parseError(() => parseSnapshot('')).message).toBe('heap snapshot is empty');
    const text = tinySnapshot();
    for (let k = 1; k < text.trimEnd().length; k++) {
      const error = parseError(() => parseSnapshot(text.slice(0, k)));
      expect(error.message).toMatch(/^heap snapshot is truncated/);
    }
  });

  it('rejects node and edge counts that do not match the header', () => {
    const fewer = tinySnapshot().replace('"node_count":2', '"node_count":3');
    expect(parseError(() => parseSnapshot(fewer)).message).toBe(
      'heap snapshot is inconsistent: header says 3 nodes, "nodes" has 2',
    );
    const more = tinySnapshot().replace('"edge_count":3', '"edge_count":2');
    expect(parseError(() => parseSnapshot(more)).message).toMatch(/"edges" has more values than the header's edge_count \(2\)/);
    const partialRow = tinySnapshot({ headerLast: true }).replace('3,1,3,4294967295,1,0,1]', '3,1,3]');
    expect(parseError(() => parseSnapshot(partialRow)).message).toMatch(/not a whole number of 7-field nodes/);
  });

  it('rejects edges that do not point at a node, and edge counts that do not add up', () => {
    for (const options of [{}, { headerLast: true }]) {
      const unaligned = tinySnapshot(options).replace('"edges":[2,0,7', '"edges":[2,0,8');
      expect(parseError(() => parseSnapshot(unaligned)).message).toBe(
        'heap snapshot is inconsistent: an edge points to 8, which is not the start of a node',
      );
      const beyond = tinySnapshot(options).replace('"edges":[2,0,7', '"edges":[2,0,14');
      expect(parseError(() => parseSnapshot(beyond)).message).toMatch(/an edge points to 14/);
      const counts = tinySnapshot(options).replace('"nodes":[9,0,1,100,2,', '"nodes":[9,0,1,100,1,');
      expect(parseError(() => parseSnapshot(counts)).message).toBe(
        'heap snapshot is inconsistent: nodes declare 2 edges, the header 3',
      );
    }
    const tooMany = tinySnapshot().replace('"nodes":[9,0,1,100,2,', '"nodes":[9,0,1,100,4,');
    expect(parseError(() => parseSnapshot(tooMany)).message).toBe('heap snapshot is inconsistent: nodes declare 5 edges, the header 3');
  });

  it('rejects a node type that does not fit a byte', () => {
    const text = tinySnapshot().replace('"nodes":[9,', '"nodes":[256,');
    expect(parseError(() => parseSnapshot(text)).message).toBe('heap snapshot is malformed: node type 256 out of range');
  });

  it('rejects a meta without the fields asyncgraph reads', () => {
    const text = tinySnapshot().replace('"name_or_index"', '"name"');
    expect(parseError(() => parseSnapshot(text)).message).toBe(
      'heap snapshot header has an unsupported "meta" (no "name_or_index" edge field)',
    );
  });

  it('rejects missing sections', () => {
    expect(parseError(() => parseSnapshot('{}')).message).toBe('heap snapshot has no "snapshot" header');
    const noStrings = tinySnapshot().replace(/,\n"strings":.*\]/, '');
    expect(parseError(() => parseSnapshot(noStrings)).message).toBe('heap snapshot has no "strings" array');
    const noEdges = tinySnapshot().replace(/,\n"edges":\[[^\]]*\]/, '');
    expect(parseError(() => parseSnapshot(noEdges)).message).toBe('heap snapshot has no "edges" array');
  });

  it('rejects numbers that are not uint32', () => {
    const nodes = '9,0,1,100,2,0,0\n';
    for (const bad of ['-9', '9.5', '9e2', '4294967296', '99999999999999999999999', 'null', '"9"']) {
      const text = tinySnapshot().replace(nodes, nodes.replace('9', bad));
      const error = parseError(() => parseSnapshot(text));
      expect(error.message).toMatch(/^heap snapshot is malformed: .* in "nodes" at offset \d+/);
    }
  });

  it('reads numbers as bytes: a non-ASCII character among them is named at its own offset', () => {
    // U+0131's low byte is "1", U+0660 is ARABIC-INDIC DIGIT ZERO: neither may pass for a digit.
    for (const odd of ['\u0131', '\u0660', 'é', '\u{1F600}']) {
      const text = tinySnapshot().replace('"nodes":[9,', `"nodes":[9,${odd}`);
      const at = text.indexOf(odd);
      for (const parse of [() => parseSnapshot(text), () => feed([text.slice(0, at - 3), text.slice(at - 3)]), () => feed(text.split(''))]) {
        expect(parseError(parse).message).toMatch(new RegExp(`^heap snapshot is malformed: unexpected .* at offset ${at}, `));
      }
    }
  });

  it('reads a number array followed by non-ASCII strings in the same chunk', () => {
    const text = tinySnapshot().replace('"plain"', '"plain é \u{1F600}"');
    expectSameAsReference(parseSnapshot(text), text);
    for (let split = 1; split < text.length; split += 7) expectSameAsReference(feed([text.slice(0, split), text.slice(split)]), text);
  });

  it('rejects malformed JSON', () => {
    const text = tinySnapshot();
    const cases = [
      'hello',
      '[1,2]',
      text.replace('"nodes":[9,', '"nodes":[9 9,'),
      text.replace('"nodes":[9,', '"nodes":[9,,'),
      text.replace('0,1]', '0,1,]'),
      text.replace('"nodes":[', '"nodes":{'),
      text.replace('"strings":["<dummy>",', '"strings":["<dummy>" "x",'),
      text.replace('"strings":[', '"strings":[1,'),
      text.replace('"plain"', String.raw`"bad \x escape"`),
      text.replace('"edges":', '"edges",'),
      text.replace('"snapshot":{"meta":', '"snapshot":{"meta":,'),
      text.replace('"snapshot":{', '"snapshot":['),
      text.replace('"locations":[7,12,345,6]', '"locations":[7,12,345,6],"locations":[]'),
      text.replace('"locations":[7,12,345,6]', '"other":[1}'),
      text.replace('"locations":[7,12,345,6]', '"other":nope'),
      text.trimEnd() + ' {}',
      text.replace(/^\{/, '{,'),
    ];
    for (const bad of cases) {
      parseError(() => parseSnapshot(bad));
      parseError(() => feed(bad.split('')));
    }
  });

  it('rejects a header without usable meta', () => {
    const text = tinySnapshot().replace('"node_fields"', '"renamed_fields"');
    expect(parseError(() => parseSnapshot(text)).message).toMatch(/^heap snapshot header has an unsupported "meta"/);
  });

  it('stops once maxBytes is exceeded, and stays failed', () => {
    const text = tinySnapshot();
    const parser = new SnapshotParser({ maxBytes: 2 * 1024 * 1024 });
    parser.write(text.slice(0, 10));
    parseError(() => parser.write('x'.repeat(2 * 1024 * 1024)));
    expect(parseError(() => parser.end()).message).toBe('heap snapshot exceeds 2 MB');
    expect(parseError(() => parser.write('')).message).toBe('heap snapshot exceeds 2 MB');
    // The limit itself is allowed.
    expectSameAsReference(feed([text], { maxBytes: text.length }), text);
    expect(parseError(() => feed([text], { maxBytes: text.length - 1 })).message).toMatch(/exceeds .* MB$/);
  });

  it('refuses a header whose counts cannot fit in maxBytes', () => {
    const text = tinySnapshot().replace('"node_count":2', '"node_count":100000000');
    const error = parseError(() => feed([text], { maxBytes: 1024 * 1024 }));
    expect(error.message).toBe('heap snapshot header declares more nodes than fit in 1 MB');
  });

  it('refuses to be used after end()', () => {
    const parser = new SnapshotParser();
    parser.write(tinySnapshot());
    parser.end();
    parseError(() => parser.write('{}'));
  });
});
