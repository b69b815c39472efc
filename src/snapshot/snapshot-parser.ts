// Streaming parser for V8's `.heapsnapshot` JSON.
//
// The snapshot arrives as string chunks (CDP `HeapProfiler.addHeapSnapshotChunk`) that split the
// text at arbitrary points, and the whole text can be close to a gigabyte, so it is never
// accumulated nor JSON.parse'd. A hand-written state machine walks each chunk with charCodeAt and
// writes the big numeric sections straight into typed arrays, one per field (see RawSnapshot):
// node rows are split into the few columns asyncgraph reads while they stream in, edge_count
// becomes first-edge prefix sums and to_node becomes a node ordinal in the same pass, so no
// interleaved copy of the rows is ever held. Only the small `snapshot` header is buffered and
// JSON.parse'd; single strings containing escapes are decoded with JSON.parse, and every string
// kept is copied out of its chunk (a slice would keep the whole 100 KB chunk alive).

import { NAME_ESCAPE, type NameOverflow, type RawSnapshot, type SnapshotMeta } from './snapshot-types.js';
import { Buffer } from 'node:buffer';
import { formatMegabytes } from '../units.js';

/** Malformed, truncated or oversized heap snapshot. The message is one line, fit to show users. */
export class SnapshotParseError extends Error {
  override name = 'SnapshotParseError';
}

export interface SnapshotParserOptions {
  /** Fail once more than this many characters have been written. */
  maxBytes?: number;
  /**
   * Also keep the node fields asyncgraph never reads (trace_node_id, detachedness…) in
   * `otherNodeFields`; for tests and tools that write snapshots back out.
   */
  keepAllNodeFields?: boolean;
}

// Character codes.
const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_QUOTE = 34;
const CH_PLUS = 43;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_COLON = 58;
const CH_UPPER_A = 65;
const CH_UPPER_Z = 90;
const CH_LBRACKET = 91;
const CH_BACKSLASH = 92;
const CH_RBRACKET = 93;
const CH_LOWER_A = 97;
const CH_LOWER_Z = 122;
const CH_LBRACE = 123;
const CH_RBRACE = 125;

const MAX_UINT32 = 0xffffffff;
const MAX_UINT8 = 0xff;
const INITIAL_GROWABLE_LENGTH = 1 << 16;
/** Values parsed before they are distributed into the node/edge columns. */
const STAGING_LENGTH = 1 << 16;

const REQUIRED_NODE_FIELDS = ['type', 'name', 'id', 'edge_count'];
/** Node fields with a column of their own in RawSnapshot. */
const KEPT_NODE_FIELDS = [...REQUIRED_NODE_FIELDS, 'self_size'];
const REQUIRED_EDGE_FIELDS = ['type', 'name_or_index', 'to_node'];

// Where we are in the top-level object.
const TOP_EXPECT_OPEN = 0; // before the opening '{'
const TOP_EXPECT_FIRST_KEY = 1; // after '{': a key or '}'
const TOP_EXPECT_KEY = 2; // after ',': a key
const TOP_IN_KEY = 3; // inside a key string
const TOP_EXPECT_COLON = 4;
const TOP_EXPECT_VALUE = 5; // after ':'
const TOP_IN_NUMBERS = 6; // inside nodes / edges / locations
const TOP_IN_STRINGS = 7; // inside the strings array
const TOP_IN_OTHER = 8; // inside the header or a value being skipped
const TOP_AFTER_VALUE = 9; // a ',' or the closing '}'
const TOP_DONE = 10; // after the closing '}': only whitespace may follow

// Where we are inside a numeric array (after its '[').
const NUM_FIRST = 0; // a number or ']'
const NUM_EXPECT_VALUE = 1; // after ',': a number
const NUM_IN_VALUE = 2; // inside a number's digits
const NUM_AFTER_VALUE = 3; // a ',' or ']'

// Where we are inside the strings array (after its '[').
const STR_FIRST = 0; // a string or ']'
const STR_EXPECT_VALUE = 1; // after ',': a string
const STR_IN_VALUE = 2; // inside a string
const STR_AFTER_VALUE = 3; // a ',' or ']'

type Section = 'snapshot' | 'nodes' | 'edges' | 'locations' | 'strings' | 'other';
type NumberSection = 'nodes' | 'edges' | 'locations';

/**
 * A numeric section being read. With the header known (V8 writes it first), nodes and edges are
 * `direct`: values are staged in `data` and distributed into the snapshot's columns whenever it
 * fills, and the header's count bounds them. Otherwise (locations, or arrays before the header)
 * `data` holds every raw value and grows.
 */
interface NumberColumn {
  name: NumberSection;
  data: Uint32Array;
  /** Values in `data`. */
  length: number;
  /** `length` at which `data` must be flushed or grown (less than its size near the header's limit). */
  cap: number;
  /** Values already distributed out of `data` (direct columns). */
  flushed: number;
  /** Exact number of values the header declares (direct columns), else -1. */
  limit: number;
  direct: boolean;
}

/** Where node fields go (offsets in a row, -1 if absent), and how far the rows are distributed. */
interface NodeLayout {
  fields: number;
  typeAt: number;
  nameAt: number;
  idAt: number;
  selfSizeAt: number;
  edgeCountAt: number;
  /** Rows distributed so far, and the edges they declare. */
  row: number;
  edgeSum: number;
  type: Uint8Array;
  name: NameColumn;
  id: Uint32Array;
  selfSize: Uint32Array;
  firstEdge: Uint32Array;
  /** Other fields kept (keepAllNodeFields): name, offset, column. */
  other: { name: string; at: number; column: Uint32Array }[];
}

interface EdgeLayout {
  fields: number;
  typeAt: number;
  nameAt: number;
  toAt: number;
  row: number;
  /** Node field count and count: to_node must be a multiple below their product. */
  nodeFields: number;
  nodeValues: number;
  type: Uint8Array;
  name: NameColumn;
  to: Uint32Array;
}

/**
 * A name column being filled, row by row: 16 bits per value, values from NAME_ESCAPE up set
 * aside (overflow) while they are rare, 32 bits from the moment they are not (a heap with more
 * than 65k strings). A few huge arrays (element indexes) then cost a few entries, not 2 bytes
 * more for every edge.
 */
interface NameColumn {
  values: Uint16Array | Uint32Array;
  wide: boolean;
  rows: number[];
  big: number[];
  /** Overflow entries beyond which the column widens. */
  limit: number;
}

function nameColumn(count: number): NameColumn {
  return { values: new Uint16Array(count), wide: false, rows: [], big: [], limit: Math.max(4096, count >>> 6) };
}

/** Stores a value from NAME_ESCAPE up in a 16-bit column. */
function putOverflow(column: NameColumn, row: number, value: number): void {
  column.values[row] = NAME_ESCAPE;
  column.rows.push(row);
  column.big.push(value);
  if (column.rows.length > column.limit) {
    const wide = new Uint32Array(column.values.length);
    wide.set(column.values);
    column.rows.forEach((at, k) => (wide[at] = column.big[k]));
    column.values = wide;
    column.wide = true;
    column.rows = [];
    column.big = [];
  }
}

function finishNameColumn(column: NameColumn): { values: Uint16Array | Uint32Array; overflow: NameOverflow | null } {
  const overflow =
    column.wide || column.rows.length === 0 ? null : { rows: Uint32Array.from(column.rows), values: Uint32Array.from(column.big) };
  return { values: column.values, overflow };
}

function isWhitespace(c: number): boolean {
  return c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB;
}

/** Characters that can continue a JSON literal (number, true, false, null). */
function isLiteralChar(c: number): boolean {
  return (
    (c >= CH_0 && c <= CH_9) ||
    (c >= CH_LOWER_A && c <= CH_LOWER_Z) ||
    (c >= CH_UPPER_A && c <= CH_UPPER_Z) ||
    c === CH_MINUS ||
    c === CH_PLUS ||
    c === CH_DOT
  );
}

function describeChar(chunk: string, i: number): string {
  return JSON.stringify(chunk.charAt(i));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export class SnapshotParser {
  private readonly maxBytes: number;
  private readonly keepAllNodeFields: boolean;
  private bytes = 0;
  /** Total characters of the chunks before the current one: turns chunk indexes into offsets. */
  private chunkOffset = 0;
  private error: SnapshotParseError | null = null;
  private ended = false;

  private state = TOP_EXPECT_OPEN;
  private section: Section = 'other';
  private readonly seenKeys = new Set<string>();

  // Header.
  private meta: SnapshotMeta | null = null;
  private nodeCount = 0;
  private edgeCount = 0;

  // Sections.
  private nodes: NumberColumn | null = null;
  private edges: NumberColumn | null = null;
  private locations: NumberColumn | null = null;
  private strings: string[] | null = null;
  /** The node/edge columns, allocated from the header's counts when their section starts. */
  private nodeLayout: NodeLayout | null = null;
  private edgeLayout: EdgeLayout | null = null;

  // Numeric array state.
  private column: NumberColumn | null = null;
  private numState = NUM_FIRST;
  /** The number being read; kept across chunks. Exact while below 2^53, which covers the uint32 check. */
  private numValue = 0;
  /** The number being read had a minus sign (only in "locations"). */
  private numNegative = false;

  // Strings array state.
  private strArrayState = STR_FIRST;

  // String token state (keys and the strings array).
  /** Raw (still escaped) pieces of a string that spans chunks. */
  private strParts: string[] = [];
  private strHasEscape = false;
  /** The previous chunk ended with a backslash: the first char of this one is escaped. */
  private strPendingEscape = false;
  /** The last completed string, decoded. */
  private stringValue = '';
  /**
   * Index of the next backslash in the current chunk, -1 if there is none left, -2 if unknown.
   * Caching it keeps backslash lookups linear over a chunk with many strings and few escapes.
   */
  private nextBackslash = -2;

  // Generic value state (the header and skipped values).
  /** Closing brackets of the open containers, innermost last. */
  private readonly valueStack: number[] = [];
  private valueInString = false;
  private valueEscape = false;
  private valueInLiteral = false;
  /** Raw text of the value, when it must be parsed or validated (header, top-level literals). */
  private captureParts: string[] | null = null;

  constructor(options: SnapshotParserOptions = {}) {
    this.maxBytes = options.maxBytes ?? Infinity;
    this.keepAllNodeFields = options.keepAllNodeFields ?? false;
  }

  /** Characters written so far. */
  get bytesSeen(): number {
    return this.bytes;
  }

  write(chunk: string): void {
    if (this.error) throw this.error;
    if (this.ended) this.fail('heap snapshot parser: write() after end()');
    this.chunkOffset = this.bytes;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.fail(`heap snapshot exceeds ${formatMegabytes(this.maxBytes)} MB`);
    }
    this.nextBackslash = -2;

    const end = chunk.length;
    let i = 0;
    while (i < end) {
      switch (this.state) {
        case TOP_IN_NUMBERS:
          i = this.scanNumbers(chunk, i);
          break;
        case TOP_IN_STRINGS:
          i = this.scanStringArray(chunk, i);
          break;
        case TOP_IN_OTHER:
          i = this.scanValue(chunk, i);
          break;
        case TOP_IN_KEY: {
          const next = this.scanString(chunk, i);
          if (next < 0) return;
          this.acceptKey(this.stringValue, i);
          this.state = TOP_EXPECT_COLON;
          i = next;
          break;
        }
        default: {
          // The remaining states each consume one structural character.
          const c = chunk.charCodeAt(i);
          if (isWhitespace(c)) {
            i++;
            break;
          }
          this.topLevelChar(c, chunk, i);
          // A value that is not an array is handed to scanValue with its first character.
          if (this.state !== TOP_IN_OTHER) i++;
        }
      }
    }
  }

  end(): RawSnapshot {
    if (this.error) throw this.error;
    if (this.ended) this.fail('heap snapshot parser: end() called twice');
    if (this.state !== TOP_DONE) this.fail(this.truncationMessage());

    const meta = this.meta;
    if (!meta) this.fail('heap snapshot has no "snapshot" header');
    const nodes = this.finishNodes();
    const edges = this.finishEdges();
    const locations = this.locations ? trimColumn(this.locations) : new Uint32Array(0);
    const locationFields = meta.location_fields?.length ?? 0;
    if (locationFields > 0 && locations.length % locationFields !== 0) {
      this.fail(
        `heap snapshot is malformed: "locations" has ${locations.length} values, ` +
          `not a multiple of its ${locationFields} fields`,
      );
    }
    if (!this.strings) this.fail('heap snapshot has no "strings" array');

    const nodeName = finishNameColumn(nodes.name);
    const edgeName = finishNameColumn(edges.name);
    const otherNodeFields = new Map<string, Uint32Array>();
    for (const { name, column } of nodes.other) otherNodeFields.set(name, column);
    const snapshot: RawSnapshot = {
      meta,
      nodeCount: this.nodeCount,
      edgeCount: this.edgeCount,
      nodeType: nodes.type,
      nodeName: nodeName.values,
      nodeNameOverflow: nodeName.overflow,
      nodeId: nodes.id,
      nodeSelfSize: nodes.selfSize,
      firstEdge: nodes.firstEdge,
      otherNodeFields,
      edgeType: edges.type,
      edgeName: edgeName.values,
      edgeNameOverflow: edgeName.overflow,
      edgeTo: edges.to,
      locations,
      strings: this.strings,
    };
    this.ended = true;
    this.nodes = this.edges = this.locations = this.column = null;
    this.nodeLayout = null;
    this.edgeLayout = null;
    this.strings = null;
    return snapshot;
  }

  // ---- Top level ----

  /** Handles one non-whitespace character in a structural top-level state. */
  private topLevelChar(c: number, chunk: string, i: number): void {
    switch (this.state) {
      case TOP_EXPECT_OPEN:
        if (c !== CH_LBRACE) this.unexpected(chunk, i, 'the start of a JSON object');
        this.state = TOP_EXPECT_FIRST_KEY;
        return;
      case TOP_EXPECT_FIRST_KEY:
      case TOP_EXPECT_KEY:
        if (c === CH_QUOTE) {
          this.beginString();
          this.state = TOP_IN_KEY;
        } else if (c === CH_RBRACE && this.state === TOP_EXPECT_FIRST_KEY) {
          this.state = TOP_DONE;
        } else {
          this.unexpected(chunk, i, 'a key');
        }
        return;
      case TOP_EXPECT_COLON:
        if (c !== CH_COLON) this.unexpected(chunk, i, '":"');
        this.state = TOP_EXPECT_VALUE;
        return;
      case TOP_EXPECT_VALUE:
        this.beginSectionValue(c, chunk, i);
        return;
      case TOP_AFTER_VALUE:
        if (c === CH_COMMA) this.state = TOP_EXPECT_KEY;
        else if (c === CH_RBRACE) this.state = TOP_DONE;
        else this.unexpected(chunk, i, '"," or "}"');
        return;
      case TOP_DONE:
        this.fail(`heap snapshot is malformed: unexpected data after the end at offset ${this.chunkOffset + i}`);
    }
  }

  private acceptKey(key: string, i: number): void {
    if (this.seenKeys.has(key)) {
      this.fail(`heap snapshot is malformed: duplicate key ${JSON.stringify(key)} at offset ${this.chunkOffset + i}`);
    }
    this.seenKeys.add(key);
    this.section =
      key === 'snapshot' || key === 'nodes' || key === 'edges' || key === 'locations' || key === 'strings'
        ? key
        : 'other';
  }

  /** First character of a top-level value: picks the section's scanner. */
  private beginSectionValue(c: number, chunk: string, i: number): void {
    const section = this.section;
    if (section === 'nodes' || section === 'edges' || section === 'locations' || section === 'strings') {
      if (c !== CH_LBRACKET) this.fail(`heap snapshot is malformed: "${section}" is not an array`);
      if (section === 'strings') {
        this.strings = [];
        this.strArrayState = STR_FIRST;
        this.state = TOP_IN_STRINGS;
      } else {
        this.column = this.openColumn(section);
        this.numState = NUM_FIRST;
        this.state = TOP_IN_NUMBERS;
      }
      return;
    }
    if (section === 'snapshot' && c !== CH_LBRACE) {
      this.fail('heap snapshot is malformed: "snapshot" header is not an object');
    }
    if (c === CH_RBRACE || c === CH_RBRACKET || c === CH_COMMA || c === CH_COLON) {
      this.unexpected(chunk, i, 'a value');
    }
    // Keep the header's text to JSON.parse it, and a skipped literal's text to validate it.
    this.captureParts = section === 'snapshot' || isLiteralChar(c) ? [] : null;
    this.valueStack.length = 0;
    this.valueInString = this.valueEscape = this.valueInLiteral = false;
    this.state = TOP_IN_OTHER;
  }

  private truncationMessage(): string {
    if (this.bytes === 0) return 'heap snapshot is empty';
    const column = this.column;
    if (this.state === TOP_IN_NUMBERS && column && this.meta && column.name !== 'locations') {
      const fields = column.name === 'nodes' ? this.meta.node_fields.length : this.meta.edge_fields.length;
      const expected = column.name === 'nodes' ? this.nodeCount : this.edgeCount;
      const got = Math.floor((column.flushed + column.length) / fields);
      return `heap snapshot is truncated: expected ${expected} ${column.name}, got ${got}`;
    }
    const where =
      this.state === TOP_IN_NUMBERS || this.state === TOP_IN_STRINGS || this.state === TOP_IN_OTHER
        ? ` inside "${this.section}"`
        : '';
    return `heap snapshot is truncated: input ended${where} after ${this.bytes} characters`;
  }

  // ---- Numeric sections ----

  private openColumn(name: NumberSection): NumberColumn {
    const meta = this.meta;
    if (meta && name !== 'locations') {
      const values =
        name === 'nodes' ? this.nodeCount * meta.node_fields.length : this.edgeCount * meta.edge_fields.length;
      // Each value takes at least two characters ("0,"): refuse a header that cannot fit the limit
      // before allocating for it.
      if (values > (this.maxBytes + 1) / 2) {
        this.fail(`heap snapshot header declares more ${name} than fit in ${formatMegabytes(this.maxBytes)} MB`);
      }
      try {
        if (name === 'nodes') this.nodeLayout = this.allocateNodes(meta);
        else this.edgeLayout = this.allocateEdges(meta);
      } catch (error) {
        if (error instanceof SnapshotParseError) throw error;
        this.fail(`heap snapshot header declares too many ${name} to allocate (${values} values)`);
      }
      const data = new Uint32Array(STAGING_LENGTH);
      return { name, data, length: 0, cap: Math.min(data.length, values), flushed: 0, limit: values, direct: true };
    }
    // Unknown size: nodes/edges before the header (not expected), or locations.
    const data = new Uint32Array(INITIAL_GROWABLE_LENGTH);
    return { name, data, length: 0, cap: data.length, flushed: 0, limit: -1, direct: false };
  }

  private allocateNodes(meta: SnapshotMeta): NodeLayout {
    const fields = meta.node_fields;
    const count = this.nodeCount;
    const other = this.keepAllNodeFields
      ? fields
          .map((name, at) => ({ name, at, column: new Uint32Array(0) }))
          .filter(({ name }) => !KEPT_NODE_FIELDS.includes(name))
          .map((field) => ({ ...field, column: new Uint32Array(count) }))
      : [];
    return {
      fields: fields.length,
      typeAt: fields.indexOf('type'),
      nameAt: fields.indexOf('name'),
      idAt: fields.indexOf('id'),
      selfSizeAt: fields.indexOf('self_size'),
      edgeCountAt: fields.indexOf('edge_count'),
      row: 0,
      edgeSum: 0,
      type: new Uint8Array(count),
      name: nameColumn(count),
      id: new Uint32Array(count),
      selfSize: new Uint32Array(count),
      firstEdge: new Uint32Array(count + 1),
      other,
    };
  }

  private allocateEdges(meta: SnapshotMeta): EdgeLayout {
    const fields = meta.edge_fields;
    const count = this.edgeCount;
    const nodeFields = meta.node_fields.length;
    return {
      fields: fields.length,
      typeAt: fields.indexOf('type'),
      nameAt: fields.indexOf('name_or_index'),
      toAt: fields.indexOf('to_node'),
      row: 0,
      nodeFields,
      nodeValues: this.nodeCount * nodeFields,
      type: new Uint8Array(count),
      name: nameColumn(count),
      to: new Uint32Array(count),
    };
  }

  /** Reads numbers until the chunk or the array ends; returns the index to continue at. */
  private scanNumbers(chunk: string, from: number): number {
    const column = this.column!;
    // The rest of the chunk is read as UTF-8 bytes: on V8 a typed array's element reads about
    // twice as fast as a string's charCodeAt (docs/performance.md), and numbers are most of a
    // snapshot. Byte k is character from + k up to the first non-ASCII character; in a number
    // array that character is an error anyway, reported at its offset.
    const bytes = this.bytesOf(chunk, from);
    const end = bytes.length;
    // Hot loop: work on locals, store them back when leaving. `i` counts bytes from `from`.
    let data = column.data;
    let length = column.length;
    let cap = column.cap;
    let state = this.numState;
    let value = this.numValue;
    let negative = this.numNegative;
    let i = 0;
    for (; i < end; i++) {
      let c = bytes[i];
      if (c >= CH_0 && c <= CH_9) {
        if (state === NUM_AFTER_VALUE) this.unexpected(chunk, from + i, '"," or "]"');
        if (state !== NUM_IN_VALUE) {
          value = 0;
          state = NUM_IN_VALUE;
        }
        // Tight loop over the digits: this is where most of the snapshot's characters are.
        do {
          value = value * 10 + (c - CH_0);
          if (++i === end) break;
          c = bytes[i];
        } while (c >= CH_0 && c <= CH_9);
        if (i === end) break; // the number may continue in the next chunk
      }
      if (state === NUM_IN_VALUE) {
        // Any non-digit ends the number; store it, then handle the character.
        if (value > MAX_UINT32) {
          this.fail(
            `heap snapshot is malformed: number too large for uint32 in "${column.name}" at offset ${this.chunkOffset + from + i}`,
          );
        }
        if (length === cap) {
          column.length = length;
          this.makeRoom(column, from + i);
          data = column.data;
          length = column.length;
          cap = column.cap;
        }
        data[length++] = negative ? 0 : value;
        negative = false;
        state = NUM_AFTER_VALUE;
      }
      if (c === CH_COMMA) {
        if (state !== NUM_AFTER_VALUE) this.unexpected(chunk, from + i, 'a number');
        state = NUM_EXPECT_VALUE;
      } else if (c === CH_RBRACKET) {
        if (state === NUM_EXPECT_VALUE) this.unexpected(chunk, from + i, 'a number');
        column.length = length;
        if (column.direct) this.flush(column);
        this.column = null;
        this.storeColumn(column);
        this.state = TOP_AFTER_VALUE;
        return from + i + 1;
      } else if (c === CH_MINUS && column.name === 'locations' && state !== NUM_AFTER_VALUE) {
        // A position on a script's first line is written with the script's column offset added
        // (Script::GetPositionInfo): negative for vm's columnOffset < 0, which Vitest's module
        // runner uses to hide the wrapper it puts before each module's code. Stored as 0.
        negative = true;
        value = 0;
        state = NUM_IN_VALUE;
      } else if (!isWhitespace(c)) {
        this.unexpected(chunk, from + i, 'a non-negative integer');
      }
    }
    column.length = length;
    this.numState = state;
    this.numValue = value;
    this.numNegative = negative;
    return from + i;
  }

  /** Scratch space for bytesOf, grown as chunks need. */
  private scratch: Buffer = Buffer.allocUnsafe(0);

  /** chunk[from…] as UTF-8 bytes, in scratch space that the next call reuses. */
  private bytesOf(chunk: string, from: number): Uint8Array {
    const rest = from === 0 ? chunk : chunk.slice(from);
    // Three bytes at most per UTF-16 unit.
    if (this.scratch.length < rest.length * 3) this.scratch = Buffer.allocUnsafe(rest.length * 3);
    const written = this.scratch.write(rest, 0, 'utf8');
    return this.scratch.subarray(0, written);
  }

  /**
   * Called when `data` is full: distributes a direct column's staged values (rejecting one more
   * value than the header allows), or doubles a growable one.
   */
  private makeRoom(column: NumberColumn, i: number): void {
    if (column.direct) {
      if (column.flushed + column.length >= column.limit) {
        const declared = column.name === 'nodes' ? this.nodeCount : this.edgeCount;
        this.fail(
          `heap snapshot is inconsistent: "${column.name}" has more values than the header's ` +
            `${column.name === 'nodes' ? 'node_count' : 'edge_count'} (${declared}) allows, ` +
            `at offset ${this.chunkOffset + i}`,
        );
      }
      this.flush(column);
      return;
    }
    const grown = new Uint32Array(Math.max(INITIAL_GROWABLE_LENGTH, column.data.length * 2));
    grown.set(column.data);
    column.data = grown;
    column.cap = grown.length;
  }

  /**
   * Moves a direct column's complete staged rows into the node or edge columns; the values of
   * an incomplete last row move to the front of `data`.
   */
  private flush(column: NumberColumn): void {
    const fields = column.name === 'nodes' ? this.nodeLayout!.fields : this.edgeLayout!.fields;
    const rows = Math.floor(column.length / fields);
    if (column.name === 'nodes') this.distributeNodes(this.nodeLayout!, column.data, rows);
    else this.distributeEdges(this.edgeLayout!, column.data, rows);
    const used = rows * fields;
    column.data.copyWithin(0, used, column.length);
    column.flushed += used;
    column.length -= used;
    column.cap = Math.min(column.data.length, column.limit - column.flushed);
  }

  /** Copies `rows` whole node rows from the start of `values` into the node columns. */
  private distributeNodes(layout: NodeLayout, values: Uint32Array, rows: number): void {
    const { fields, typeAt, nameAt, idAt, selfSizeAt, edgeCountAt, type, id, selfSize, firstEdge } = layout;
    const first = layout.row;
    let names = layout.name.values;
    let wide = layout.name.wide;
    let edgeSum = layout.edgeSum;
    for (let r = 0, at = 0, row = first; r < rows; r++, at += fields, row++) {
      const t = values[at + typeAt];
      if (t > MAX_UINT8) this.fail(`heap snapshot is malformed: node type ${t} out of range`);
      type[row] = t;
      const n = values[at + nameAt];
      if (n < NAME_ESCAPE || wide) names[row] = n;
      else {
        putOverflow(layout.name, row, n);
        names = layout.name.values;
        wide = layout.name.wide;
      }
      id[row] = values[at + idAt];
      if (selfSizeAt >= 0) selfSize[row] = values[at + selfSizeAt];
      edgeSum += values[at + edgeCountAt];
      firstEdge[row + 1] = edgeSum;
    }
    // Checked against the header at the end; here only so that the offsets above were exact.
    if (edgeSum > MAX_UINT32) this.fail('heap snapshot is inconsistent: nodes declare more than 2^32 edges');
    for (const { at, column } of layout.other) {
      for (let r = 0; r < rows; r++) column[first + r] = values[r * fields + at];
    }
    layout.row = first + rows;
    layout.edgeSum = edgeSum;
  }

  /** Copies `rows` whole edge rows from the start of `values` into the edge columns. */
  private distributeEdges(layout: EdgeLayout, values: Uint32Array, rows: number): void {
    const { fields, typeAt, nameAt, toAt, type, to, nodeFields, nodeValues } = layout;
    let names = layout.name.values;
    let wide = layout.name.wide;
    for (let r = 0, at = 0, row = layout.row; r < rows; r++, at += fields, row++) {
      const t = values[at + typeAt];
      if (t > MAX_UINT8) this.fail(`heap snapshot is malformed: edge type ${t} out of range`);
      type[row] = t;
      const n = values[at + nameAt];
      if (n < NAME_ESCAPE || wide) names[row] = n;
      else {
        putOverflow(layout.name, row, n);
        names = layout.name.values;
        wide = layout.name.wide;
      }
      const target = values[at + toAt];
      const node = (target / nodeFields) >>> 0;
      if (node * nodeFields !== target || target >= nodeValues) {
        this.fail(`heap snapshot is inconsistent: an edge points to ${target}, which is not the start of a node`);
      }
      to[row] = node;
    }
    layout.row += rows;
  }

  private storeColumn(column: NumberColumn): void {
    if (column.name === 'nodes') this.nodes = column;
    else if (column.name === 'edges') this.edges = column;
    else this.locations = column;
  }

  /** Checks a completed nodes/edges column against the header; the number of values it had. */
  private checkColumn(column: NumberColumn | null, name: 'nodes' | 'edges', count: number, fields: number): NumberColumn {
    if (!column) this.fail(`heap snapshot has no "${name}" array`);
    const expected = count * fields;
    const length = column.flushed + column.length;
    if (length !== expected) {
      const got =
        length % fields === 0 ? `${length / fields}` : `${length} values, not a whole number of ${fields}-field ${name}`;
      this.fail(`heap snapshot is inconsistent: header says ${count} ${name}, "${name}" has ${got}`);
    }
    return column;
  }

  private finishNodes(): NodeLayout {
    const meta = this.meta!;
    const column = this.checkColumn(this.nodes, 'nodes', this.nodeCount, meta.node_fields.length);
    if (!column.direct) {
      // The array came before the header: distribute its raw values now.
      this.nodeLayout = this.allocateNodes(meta);
      this.distributeNodes(this.nodeLayout, column.data, this.nodeCount);
    }
    const layout = this.nodeLayout!;
    if (layout.edgeSum !== this.edgeCount) {
      this.fail(`heap snapshot is inconsistent: nodes declare ${layout.edgeSum} edges, the header ${this.edgeCount}`);
    }
    return layout;
  }

  private finishEdges(): EdgeLayout {
    const meta = this.meta!;
    const column = this.checkColumn(this.edges, 'edges', this.edgeCount, meta.edge_fields.length);
    if (!column.direct) {
      this.edgeLayout = this.allocateEdges(meta);
      this.distributeEdges(this.edgeLayout, column.data, this.edgeCount);
    }
    return this.edgeLayout!;
  }

  // ---- Strings ----

  /** Reads the strings array until the chunk or the array ends; returns the index to continue at. */
  private scanStringArray(chunk: string, i: number): number {
    const strings = this.strings!;
    const end = chunk.length;
    while (i < end) {
      if (this.strArrayState === STR_IN_VALUE) {
        const next = this.scanString(chunk, i);
        if (next < 0) return end;
        strings.push(ownCopy(this.stringValue));
        this.strArrayState = STR_AFTER_VALUE;
        i = next;
        continue;
      }
      const c = chunk.charCodeAt(i);
      const state = this.strArrayState;
      if (isWhitespace(c)) {
        i++;
      } else if (c === CH_QUOTE && state !== STR_AFTER_VALUE) {
        this.beginString();
        this.strArrayState = STR_IN_VALUE;
        i++;
      } else if (c === CH_COMMA && state === STR_AFTER_VALUE) {
        this.strArrayState = STR_EXPECT_VALUE;
        i++;
      } else if (c === CH_RBRACKET && state !== STR_EXPECT_VALUE) {
        this.state = TOP_AFTER_VALUE;
        return i + 1;
      } else {
        this.unexpected(chunk, i, state === STR_AFTER_VALUE ? '"," or "]"' : 'a string');
      }
    }
    return i;
  }

  private beginString(): void {
    if (this.strParts.length !== 0) this.strParts = [];
    this.strHasEscape = false;
    this.strPendingEscape = false;
  }

  /**
   * Reads string contents (after the opening quote). Returns the index after the closing quote,
   * with the decoded string in `stringValue`, or -1 if the chunk ended inside the string.
   */
  private scanString(chunk: string, i: number): number {
    const start = i;
    const end = chunk.length;
    if (this.strPendingEscape) {
      // Callers only call with i < end, so the escaped character is here.
      this.strPendingEscape = false;
      i++;
    }
    for (;;) {
      const quote = chunk.indexOf('"', i);
      let backslash = this.nextBackslash;
      if (backslash !== -1 && backslash < i) backslash = this.nextBackslash = chunk.indexOf('\\', i);
      if (backslash !== -1 && (quote === -1 || backslash < quote)) {
        // Skip the escaped character, so an escaped quote does not end the string.
        // Longer escapes (\uXXXX) contain no quote or backslash and need no tracking.
        this.strHasEscape = true;
        i = backslash + 2;
        if (i > end) {
          this.strPendingEscape = true;
          break;
        }
        continue;
      }
      if (quote === -1) break;
      let raw = chunk.slice(start, quote);
      if (this.strParts.length > 0) {
        this.strParts.push(raw);
        raw = this.strParts.join('');
        this.strParts = [];
      }
      this.stringValue = this.strHasEscape ? this.decodeString(raw, quote) : raw;
      return quote + 1;
    }
    if (start < end) this.strParts.push(chunk.slice(start));
    return -1;
  }

  private decodeString(raw: string, i: number): string {
    try {
      return JSON.parse('"' + raw + '"') as string;
    } catch {
      this.fail(`heap snapshot is malformed: invalid string escape before offset ${this.chunkOffset + i}`);
    }
  }

  // ---- Header and skipped values ----

  /**
   * Walks one JSON value (the header, or an unknown key's value) without building it, tracking
   * bracket nesting and strings. Returns the index after the value, or the chunk length.
   */
  private scanValue(chunk: string, i: number): number {
    const start = i;
    const end = chunk.length;
    const stack = this.valueStack;
    let done = false;
    for (; i < end; i++) {
      const c = chunk.charCodeAt(i);
      if (this.valueInString) {
        if (this.valueEscape) this.valueEscape = false;
        else if (c === CH_BACKSLASH) this.valueEscape = true;
        else if (c === CH_QUOTE) {
          this.valueInString = false;
          if (stack.length === 0) {
            i++;
            done = true;
            break;
          }
        }
        continue;
      }
      if (this.valueInLiteral) {
        if (isLiteralChar(c)) continue;
        this.valueInLiteral = false;
        if (stack.length === 0) {
          // The delimiter belongs to the top-level object.
          done = true;
          break;
        }
      }
      if (c === CH_QUOTE) {
        this.valueInString = true;
      } else if (c === CH_LBRACE) {
        stack.push(CH_RBRACE);
      } else if (c === CH_LBRACKET) {
        stack.push(CH_RBRACKET);
      } else if (c === CH_RBRACE || c === CH_RBRACKET) {
        if (stack.pop() !== c) this.unexpected(chunk, i, 'a value');
        if (stack.length === 0) {
          i++;
          done = true;
          break;
        }
      } else if (isLiteralChar(c)) {
        this.valueInLiteral = true;
      } else if (!isWhitespace(c) && !(stack.length > 0 && (c === CH_COMMA || c === CH_COLON))) {
        this.unexpected(chunk, i, 'a value');
      }
    }
    const capture = this.captureParts;
    if (capture) capture.push(chunk.slice(start, i));
    if (done) {
      this.captureParts = null;
      if (capture) this.acceptCapturedValue(capture.join(''));
      this.state = TOP_AFTER_VALUE;
    }
    return i;
  }

  private acceptCapturedValue(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (this.section === 'snapshot') this.fail('heap snapshot is malformed: "snapshot" header is not valid JSON');
      this.fail(`heap snapshot is malformed: invalid value ${JSON.stringify(text.slice(0, 40))}`);
    }
    if (this.section === 'snapshot') this.acceptHeader(value);
  }

  private acceptHeader(header: unknown): void {
    const h = header as { meta?: unknown; node_count?: unknown; edge_count?: unknown };
    const meta = h.meta as Partial<SnapshotMeta> | undefined;
    if (typeof meta !== 'object' || meta === null) this.fail('heap snapshot header has no "meta"');
    const nodeTypes = meta.node_types;
    const edgeTypes = meta.edge_types;
    if (
      !isStringArray(meta.node_fields) ||
      meta.node_fields.length === 0 ||
      !isStringArray(meta.edge_fields) ||
      meta.edge_fields.length === 0 ||
      !Array.isArray(nodeTypes) ||
      !isStringArray(nodeTypes[0]) ||
      !Array.isArray(edgeTypes) ||
      !isStringArray(edgeTypes[0]) ||
      (meta.location_fields !== undefined && !isStringArray(meta.location_fields))
    ) {
      this.fail('heap snapshot header has an unsupported "meta" (field lists missing)');
    }
    for (const field of REQUIRED_NODE_FIELDS) {
      if (!meta.node_fields.includes(field)) this.fail(`heap snapshot header has an unsupported "meta" (no "${field}" node field)`);
    }
    for (const field of REQUIRED_EDGE_FIELDS) {
      if (!meta.edge_fields.includes(field)) this.fail(`heap snapshot header has an unsupported "meta" (no "${field}" edge field)`);
    }
    if (nodeTypes[0].length > MAX_UINT8 + 1 || edgeTypes[0].length > MAX_UINT8 + 1) {
      this.fail('heap snapshot header has an unsupported "meta" (more than 256 node or edge types)');
    }
    if (!isCount(h.node_count) || !isCount(h.edge_count)) {
      this.fail('heap snapshot header has no valid node_count/edge_count');
    }
    this.meta = meta as SnapshotMeta;
    this.nodeCount = h.node_count;
    this.edgeCount = h.edge_count;
  }

  // ---- Errors ----

  private unexpected(chunk: string, i: number, expected: string): never {
    const where = this.state === TOP_IN_NUMBERS || this.state === TOP_IN_STRINGS || this.state === TOP_IN_OTHER
      ? ` in "${this.section}"`
      : '';
    this.fail(
      `heap snapshot is malformed: unexpected ${describeChar(chunk, i)}${where} at offset ${this.chunkOffset + i}, ` +
        `expected ${expected}`,
    );
  }

  /** Throws, and makes every later call throw the same error. */
  private fail(message: string): never {
    this.error = new SnapshotParseError(message);
    throw this.error;
  }
}

/** The column's values as an exact-size array (copies only if it was over-allocated). */
function trimColumn(column: NumberColumn): Uint32Array {
  return column.length === column.data.length ? column.data : column.data.slice(0, column.length);
}

/**
 * The string with storage of its own. A `slice` of a chunk is a view that keeps the whole chunk
 * alive; concatenating and slicing again makes V8 flatten it into a new string of its length.
 * Short slices (under 13 characters) are copies already.
 */
function ownCopy(value: string): string {
  return value.length < 13 ? value : (' ' + value).slice(1);
}

/** Parses a whole snapshot given as one string or a sequence of chunks. */
export function parseSnapshot(text: string | Iterable<string>, options?: SnapshotParserOptions): RawSnapshot {
  const parser = new SnapshotParser(options);
  if (typeof text === 'string') parser.write(text);
  else for (const chunk of text) parser.write(chunk);
  return parser.end();
}
