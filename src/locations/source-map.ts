// Source maps for the positions a capture reports, so code that runs transformed shows its
// original file and line. Vitest runs every test file and everything it imports through Vite's
// transform (exports hoisted to the top: lines shift), with the map inline as a data: URL; tsc,
// tsx and esbuild write `//# sourceMappingURL=file.js.map` next to their output or inline it.
//
// Decoding is @jridgewell/trace-mapping's. Pure: reading a map from disk is the caller's
// `loadMap` (see src/capture/script-sources.ts).

import { AnyMap, originalPositionFor, type TraceMap } from '@jridgewell/trace-mapping';

export interface OriginalPosition {
  /** Absolute URL of the original source. */
  url: string;
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
}

/** What `mappings` may contain: base64 digits and separators. Anything else is a broken map. */
const MAPPINGS_TEXT = /^[A-Za-z0-9+/,;]*$/;

export class SourceMap {
  private constructor(private readonly map: TraceMap) {}

  /**
   * Parses a map's JSON (version 3, index maps with `sections` included). Source URLs are
   * resolved against `sourceRoot` and then `baseUrl` (the map's own URL, or for an inline map the
   * generated script's). Null for anything that is not a usable map.
   */
  static parse(json: string, baseUrl: string): SourceMap | null {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return null;
    }
    if (!isUsableMap(raw)) return null;
    try {
      return new SourceMap(new AnyMap(raw as ConstructorParameters<typeof AnyMap>[0], baseUrl));
    } catch {
      return null;
    }
  }

  /** The original position of a generated one (0-based), or null where the map says nothing. */
  lookup(line: number, column: number): OriginalPosition | null {
    // trace-mapping: 1-based lines, 0-based columns; the segment at or before the column.
    const found = originalPositionFor(this.map, { line: line + 1, column });
    if (typeof found.source !== 'string' || found.line === null || found.column === null) return null;
    if (found.line < 1 || found.column < 0) return null;
    return { url: found.source, line: found.line - 1, column: found.column };
  }
}

function isUsableMap(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const map = raw as { version?: unknown; sources?: unknown; mappings?: unknown; sections?: unknown };
  if (map.version !== 3) return false;
  if (Array.isArray(map.sections)) {
    return map.sections.every(
      (section: { map?: unknown } | null) => typeof section === 'object' && section !== null && isUsableMap(section.map),
    );
  }
  return Array.isArray(map.sources) && typeof map.mappings === 'string' && MAPPINGS_TEXT.test(map.mappings);
}

function resolveUrl(source: string, baseUrl: string): string {
  try {
    return new URL(source, baseUrl).href;
  } catch {
    return source;
  }
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

export interface MappableScript {
  url: string;
  /** From Debugger.scriptParsed: a data: URL (inline map), or a URL relative to the script. */
  sourceMapURL?: string;
}

/** Maps a 0-based generated position of a script to its original one, or null. */
export type PositionMapper = (scriptId: string, line: number, column: number) => OriginalPosition | null;

/**
 * A PositionMapper over the scripts of one capture. Each script's map is read at most once, on
 * first use: inline maps from their data: URL, others through `loadMap(absoluteMapUrl)`, which
 * returns the map's JSON or null. A script without a map, with a map that cannot be read or
 * parsed, or a position the map does not cover, maps to null (the generated position stands).
 */
export function createSourceMapper(
  scripts: ReadonlyMap<string, MappableScript>,
  loadMap: (mapUrl: string) => string | null = () => null,
  /** Told (once per script) of a source map a script names that cannot be read or parsed. */
  onUnusable?: (mapUrl: string) => void,
): PositionMapper {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (scriptId: string): SourceMap | null => {
    const cached = maps.get(scriptId);
    if (cached !== undefined) return cached;
    let map: SourceMap | null = null;
    const script = scripts.get(scriptId);
    if (script?.sourceMapURL) {
      const inline = decodeDataUrl(script.sourceMapURL);
      if (inline !== null) {
        map = SourceMap.parse(inline, script.url);
      } else {
        const mapUrl = resolveUrl(script.sourceMapURL, script.url);
        let json: string | null = null;
        try {
          json = loadMap(mapUrl);
        } catch {
          json = null;
        }
        map = json === null ? null : SourceMap.parse(json, mapUrl);
        if (map === null) onUnusable?.(mapUrl);
      }
      if (inline !== null && map === null) onUnusable?.('an inline data: URL');
    }
    maps.set(scriptId, map);
    return map;
  };
  return (scriptId, line, column) => mapOf(scriptId)?.lookup(line, column) ?? null;
}
