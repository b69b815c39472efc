// Streaming parser for V8's `.heapsnapshot` JSON.
//
// The snapshot arrives as string chunks (CDP `HeapProfiler.addHeapSnapshotChunk`) that split the
// text at arbitrary points, and the whole text can be close to a gigabyte, so it is never
// accumulated nor JSON.parse'd. A hand-written state machine walks each chunk with charCodeAt and
// writes the big numeric sections straight into Uint32Arrays. Only the small `snapshot` header is
// buffered and JSON.parse'd; single strings containing escapes are decoded with JSON.parse.

import type { RawSnapshot, SnapshotMeta } from './snapshot-types.js';

/** Malformed, truncated or oversized heap snapshot. The message is one line, fit to show users. */
export class SnapshotParseError extends Error {
  override name = 'SnapshotParseError';
}

export interface SnapshotParserOptions {
  /** Fail once more than this many characters have been written. */
  maxBytes?: number;
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
const INITIAL_GROWABLE_LENGTH = 1 << 16;

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

/** A uint32 section being filled: preallocated to its exact size when the header is known, else growable. */
interface NumberColumn {
  name: NumberSection;
  data: Uint32Array;
  length: number;
  /** Size fixed by the header: overflowing it is an error rather than a reallocation. */
  fixed: boolean;
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

function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (Number.isInteger(mb)) return String(mb);
  return mb >= 1 ? mb.toFixed(1) : String(Number(mb.toPrecision(2)));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export class SnapshotParser {
  private readonly maxBytes: number;
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

  // Numeric array state.
  private column: NumberColumn | null = null;
  private numState = NUM_FIRST;
  /** The number being read; kept across chunks. Exact while below 2^53, which covers the uint32 check. */
  private numValue = 0;

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
    const nodes = this.finishColumn(this.nodes, 'nodes', this.nodeCount, meta.node_fields.length);
    const edges = this.finishColumn(this.edges, 'edges', this.edgeCount, meta.edge_fields.length);
    const locations = this.locations ? trimColumn(this.locations) : new Uint32Array(0);
    const locationFields = meta.location_fields?.length ?? 0;
    if (locationFields > 0 && locations.length % locationFields !== 0) {
      this.fail(
        `heap snapshot is malformed: "locations" has ${locations.length} values, ` +
          `not a multiple of its ${locationFields} fields`,
      );
    }
    if (!this.strings) this.fail('heap snapshot has no "strings" array');

    const snapshot: RawSnapshot = {
      meta,
      nodeCount: this.nodeCount,
      edgeCount: this.edgeCount,
      nodes,
      edges,
      locations,
      strings: this.strings,
    };
    this.ended = true;
    this.nodes = this.edges = this.locations = this.column = null;
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
      const got = Math.floor(column.length / fields);
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
      let data: Uint32Array;
      try {
        data = new Uint32Array(values);
      } catch {
        this.fail(`heap snapshot header declares too many ${name} to allocate (${values} values)`);
      }
      return { name, data, length: 0, fixed: true };
    }
    // Unknown size: nodes/edges before the header (not expected), or locations.
    return { name, data: new Uint32Array(INITIAL_GROWABLE_LENGTH), length: 0, fixed: false };
  }

  /** Reads numbers until the chunk or the array ends; returns the index to continue at. */
  private scanNumbers(chunk: string, i: number): number {
    const column = this.column!;
    // Hot loop: work on locals, store them back when leaving.
    let data = column.data;
    let length = column.length;
    let state = this.numState;
    let value = this.numValue;
    const end = chunk.length;
    for (; i < end; i++) {
      let c = chunk.charCodeAt(i);
      if (c >= CH_0 && c <= CH_9) {
        if (state === NUM_AFTER_VALUE) this.unexpected(chunk, i, '"," or "]"');
        if (state !== NUM_IN_VALUE) {
          value = 0;
          state = NUM_IN_VALUE;
        }
        // Tight loop over the digits: this is where most of the snapshot's characters are.
        do {
          value = value * 10 + (c - CH_0);
          if (++i === end) break;
          c = chunk.charCodeAt(i);
        } while (c >= CH_0 && c <= CH_9);
        if (i === end) break; // the number may continue in the next chunk
      }
      if (state === NUM_IN_VALUE) {
        // Any non-digit ends the number; store it, then handle the character.
        if (value > MAX_UINT32) {
          this.fail(
            `heap snapshot is malformed: number too large for uint32 in "${column.name}" at offset ${this.chunkOffset + i}`,
          );
        }
        if (length === data.length) data = this.growColumn(column, i);
        data[length++] = value;
        state = NUM_AFTER_VALUE;
      }
      if (c === CH_COMMA) {
        if (state !== NUM_AFTER_VALUE) this.unexpected(chunk, i, 'a number');
        state = NUM_EXPECT_VALUE;
      } else if (c === CH_RBRACKET) {
        if (state === NUM_EXPECT_VALUE) this.unexpected(chunk, i, 'a number');
        column.data = data;
        column.length = length;
        this.column = null;
        this.storeColumn(column);
        this.state = TOP_AFTER_VALUE;
        return i + 1;
      } else if (!isWhitespace(c)) {
        this.unexpected(chunk, i, 'a non-negative integer');
      }
    }
    column.data = data;
    column.length = length;
    this.numState = state;
    this.numValue = value;
    return i;
  }

  /** Called when a column is full: doubles a growable one, rejects overflowing a header-sized one. */
  private growColumn(column: NumberColumn, i: number): Uint32Array {
    if (column.fixed) {
      const declared = column.name === 'nodes' ? this.nodeCount : this.edgeCount;
      this.fail(
        `heap snapshot is inconsistent: "${column.name}" has more values than the header's ` +
          `${column.name === 'nodes' ? 'node_count' : 'edge_count'} (${declared}) allows, ` +
          `at offset ${this.chunkOffset + i}`,
      );
    }
    const grown = new Uint32Array(Math.max(INITIAL_GROWABLE_LENGTH, column.data.length * 2));
    grown.set(column.data);
    column.data = grown;
    return grown;
  }

  private storeColumn(column: NumberColumn): void {
    if (column.name === 'nodes') this.nodes = column;
    else if (column.name === 'edges') this.edges = column;
    else this.locations = column;
  }

  /** Checks a completed nodes/edges column against the header and returns its exact-size array. */
  private finishColumn(column: NumberColumn | null, name: 'nodes' | 'edges', count: number, fields: number): Uint32Array {
    if (!column) this.fail(`heap snapshot has no "${name}" array`);
    const expected = count * fields;
    if (column.length !== expected) {
      const got =
        column.length % fields === 0
          ? `${column.length / fields}`
          : `${column.length} values, not a whole number of ${fields}-field ${name}`;
      this.fail(`heap snapshot is inconsistent: header says ${count} ${name}, "${name}" has ${got}`);
    }
    return trimColumn(column);
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
        strings.push(this.stringValue);
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

/** Parses a whole snapshot given as one string or a sequence of chunks. */
export function parseSnapshot(text: string | Iterable<string>): RawSnapshot {
  const parser = new SnapshotParser();
  if (typeof text === 'string') parser.write(text);
  else for (const chunk of text) parser.write(chunk);
  return parser.end();
}
