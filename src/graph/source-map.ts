// Source maps (version 3) for the positions a capture reports, so code that runs transformed
// shows its original file and line. Vitest runs every test file and everything it imports through
// Vite's transform (exports hoisted to the top: lines shift), with the map inline as a data: URL;
// tsc, esbuild and others write `//# sourceMappingURL=file.js.map` next to their output.
//
// Pure: reading a map from disk is the caller's `loadMap` (see src/capture-process.ts).

import type { FoundNode } from './await-graph.js';
import type { ExactPoint } from './document.js';

export interface OriginalPosition {
  /** Absolute URL of the original source. */
  url: string;
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
}

/** One decoded mapping segment: generated column → source index, line, column (all 0-based). */
type Segment = [generatedColumn: number, source: number, line: number, column: number];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((char, index) => [char, index]));

export class SourceMap {
  private readonly lines: Segment[][];
  private readonly sources: string[];

  private constructor(lines: Segment[][], sources: string[]) {
    this.lines = lines;
    this.sources = sources;
  }

  /**
   * Parses a map's JSON. Source URLs are resolved against `sourceRoot` and then `baseUrl` (the
   * map's own URL, or for an inline map the generated script's). Null for anything that is not
   * a usable version 3 map (index maps with `sections` included).
   */
  static parse(json: string, baseUrl: string): SourceMap | null {
    let raw: { version?: unknown; sources?: unknown; sourceRoot?: unknown; mappings?: unknown };
    try {
      raw = JSON.parse(json) as typeof raw;
    } catch {
      return null;
    }
    if (raw.version !== 3 || !Array.isArray(raw.sources) || typeof raw.mappings !== 'string') return null;
    const root = typeof raw.sourceRoot === 'string' && raw.sourceRoot !== '' ? raw.sourceRoot.replace(/\/?$/, '/') : '';
    const sources = raw.sources.map((source) => resolveUrl(root + (typeof source === 'string' ? source : ''), baseUrl));
    const lines = decodeMappings(raw.mappings, sources.length);
    return lines ? new SourceMap(lines, sources) : null;
  }

  /** The original position of a generated one (0-based), or null where the map says nothing. */
  lookup(line: number, column: number): OriginalPosition | null {
    const segments = this.lines[line];
    if (!segments || segments.length === 0) return null;
    // The last segment starting at or before the column.
    let low = 0;
    let high = segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (segments[mid][0] <= column) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0) return null;
    // As source-map libraries do (greatest lower bound): the segment's own original position.
    const [, source, originalLine, originalColumn] = segments[found];
    const url = this.sources[source];
    if (!url) return null;
    return { url, line: originalLine, column: originalColumn };
  }
}

function resolveUrl(source: string, baseUrl: string): string {
  try {
    return new URL(source, baseUrl).href;
  } catch {
    return source;
  }
}

/** The `mappings` string, per generated line; null when it is malformed. */
function decodeMappings(mappings: string, sourceCount: number): Segment[][] | null {
  const lines: Segment[][] = [];
  let line: Segment[] = [];
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let generatedColumn = 0;
  let i = 0;
  const fields: number[] = [];
  const endSegment = () => {
    if (fields.length === 0) return true;
    generatedColumn += fields[0];
    if (fields.length >= 4) {
      source += fields[1];
      originalLine += fields[2];
      originalColumn += fields[3];
      if (source < 0 || source >= sourceCount || originalLine < 0 || originalColumn < 0) return false;
      line.push([generatedColumn, source, originalLine, originalColumn]);
    } else if (fields.length !== 1) {
      return false;
    }
    fields.length = 0;
    return true;
  };
  while (i <= mappings.length) {
    const char = mappings[i];
    if (char === undefined || char === ';' || char === ',') {
      if (!endSegment()) return null;
      if (char !== ',') {
        line.sort((a, b) => a[0] - b[0]);
        lines.push(line);
        line = [];
        generatedColumn = 0;
      }
      i++;
      continue;
    }
    // One base64 VLQ number.
    let value = 0;
    let shift = 0;
    for (;;) {
      const digit = BASE64_VALUE.get(mappings[i++] ?? '');
      if (digit === undefined) return null;
      value += (digit & 31) * 2 ** shift;
      shift += 5;
      if ((digit & 32) === 0) break;
      if (shift > 50) return null;
    }
    fields.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
  }
  return lines;
}

/** The map of a data: URL (base64 or percent-encoded JSON); null for other URLs. */
export function decodeDataUrl(url: string): string | null {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(url);
  if (!match) return null;
  try {
    return match[2] ? Buffer.from(match[3], 'base64').toString('utf8') : decodeURIComponent(match[3]);
  } catch {
    return null;
  }
}

export interface MappableCapture {
  nodes: FoundNode[];
  scripts: Map<string, { url: string; sourceMapURL?: string }>;
  exact: Map<number, ExactPoint>;
}

/**
 * Maps every position of a capture (exact suspension points and function definitions) through
 * its script's source map, where the script has one and it covers the position. Returns the
 * positions and a scriptId → URL table for `buildDocument`: mapped positions point at new ids
 * (above any real one) naming the original sources. Unmapped positions are left as they are.
 * `loadMap(url)` returns the JSON of a map that is not inline, or null.
 */
export function applySourceMaps(
  capture: MappableCapture,
  loadMap: (mapUrl: string) => string | null = () => null,
): { nodes: FoundNode[]; exact: Map<number, ExactPoint>; scriptUrls: Map<string, string> } {
  const scriptUrls = new Map([...capture.scripts].map(([id, script]) => [id, script.url]));
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (scriptId: string): SourceMap | null => {
    if (maps.has(scriptId)) return maps.get(scriptId)!;
    let map: SourceMap | null = null;
    const script = capture.scripts.get(scriptId);
    if (script?.sourceMapURL) {
      const inline = decodeDataUrl(script.sourceMapURL);
      if (inline !== null) {
        map = SourceMap.parse(inline, script.url);
      } else {
        const mapUrl = resolveUrl(script.sourceMapURL, script.url);
        const json = loadMap(mapUrl);
        map = json === null ? null : SourceMap.parse(json, mapUrl);
      }
    }
    maps.set(scriptId, map);
    return map;
  };
  const syntheticIds = new Map<string, string>();
  let nextId = 2_000_000_000;
  const idFor = (url: string) => {
    let id = syntheticIds.get(url);
    if (id === undefined) {
      id = String(nextId++);
      syntheticIds.set(url, id);
      scriptUrls.set(id, url);
    }
    return id;
  };

  const exact = new Map<number, ExactPoint>();
  for (const [nodeId, point] of capture.exact) {
    const original = mapOf(point.scriptId)?.lookup(point.lineNumber, point.columnNumber);
    exact.set(
      nodeId,
      original ? { ...point, scriptId: idFor(original.url), lineNumber: original.line, columnNumber: original.column } : point,
    );
  }
  const nodes = capture.nodes.map((node) => {
    if (!node.definition) return node;
    const original = mapOf(String(node.definition.scriptId))?.lookup(node.definition.line, node.definition.column);
    if (!original) return node;
    return { ...node, definition: { scriptId: Number(idFor(original.url)), line: original.line, column: original.column } };
  });
  return { nodes, exact, scriptUrls };
}
