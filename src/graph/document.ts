import type { FoundNode } from './await-graph.js';
import { findCycles } from './cycles.js';
import { compareNodes } from './order.js';
import {
  SCHEMA_VERSION,
  type AwaitGraphDocument,
  type AwaitNode,
  type CaptureStats,
  type SourceLocation,
  type TargetInfo,
} from './types.js';

/** Exact suspension point from V8, 0-based. */
export interface ExactPoint {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
  state?: string;
}

export interface DocumentInput {
  nodes: FoundNode[];
  /** scriptId → URL, from Debugger.scriptParsed. */
  scriptUrls: Map<string, string>;
  exact: Map<number, ExactPoint>;
  target: TargetInfo;
  capturedAt: Date;
  toolVersion: string;
  stats?: Omit<CaptureStats, 'exactLocations' | 'definitionLocations'>;
}

/** Turns what the capture found into the versioned document every output format renders. */
export function buildDocument(input: DocumentInput): AwaitGraphDocument {
  const nodes = input.nodes.map((found) => toAwaitNode(found, input)).sort(compareNodes);
  const stats = input.stats && {
    ...input.stats,
    exactLocations: nodes.filter((node) => node.locationSource === 'exact').length,
    definitionLocations: nodes.filter((node) => node.locationSource === 'definition').length,
  };
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'asyncgraph', version: input.toolVersion },
    target: input.target,
    capturedAt: input.capturedAt.toISOString(),
    nodes,
    cycles: findCycles(nodes),
    ...(stats ? { stats } : {}),
  };
}

function toAwaitNode(found: FoundNode, input: DocumentInput): AwaitNode {
  let location: SourceLocation | null = null;
  let locationSource: AwaitNode['locationSource'] = 'none';
  let state: string | undefined;
  const exact = input.exact.get(found.id);
  const exactUrl = exact && input.scriptUrls.get(exact.scriptId);
  if (exact && exactUrl) {
    location = { url: exactUrl, line: exact.lineNumber + 1, column: exact.columnNumber + 1 };
    locationSource = 'exact';
    state = exact.state;
  } else if (found.definition) {
    const url = input.scriptUrls.get(String(found.definition.scriptId));
    if (url) {
      location = { url, line: found.definition.line + 1, column: found.definition.column + 1 };
      locationSource = 'definition';
    }
  }
  // Keys in one fixed order, so JSON output diffs cleanly between captures.
  const node: AwaitNode = {
    id: found.id,
    kind: found.kind,
    name: found.kind === 'module' && location ? moduleName(location.url) : found.name,
    ...(found.qualifiedName ? { qualifiedName: found.qualifiedName } : {}),
    ...(found.combinator ? { combinator: found.combinator } : {}),
    ...(found.thenMethod ? { thenMethod: found.thenMethod } : {}),
    ...(state ? { state } : {}),
    ...(location && isInternalUrl(location.url) ? { internal: true } : {}),
    location,
    locationSource,
    awaitedBy: [...found.awaitedBy].sort((a, b) => a - b),
  };
  return node;
}

/** Node's own code: `node:internal/…`, `node:fs`… */
export function isInternalUrl(url: string): boolean {
  return url.startsWith('node:');
}

/** A module is named after its file: the last path segment of its URL. */
function moduleName(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || url;
}
