// Hand-built await graph documents for the renderers' golden tests, and summaries of captured
// ones for assertions: no capture, no I/O.

import { findCycles } from '../../src/awaits/cycles.js';
import { compareNodes } from '../../src/document/order.js';
import type { AwaitGraphDocument, AwaitNode, SourceLocation } from '../../src/schema.js';
import { siblingGroups } from '../../src/document/sibling-groups.js';

/** `server.js:30:21` → a file:///app/ location; `node:internal/x:1:2` stays as it is. */
export function loc(text: string): SourceLocation {
  const match = /^(.*):(\d+):(\d+)$/.exec(text);
  if (!match) throw new Error(`not a location: ${text}`);
  const url = match[1].startsWith('node:') ? match[1] : `file:///app/${match[1]}`;
  return { url, line: Number(match[2]), column: Number(match[3]) };
}

type NodeSpec = Partial<AwaitNode> & Pick<AwaitNode, 'id' | 'kind' | 'name'> & { at?: string; by?: number[] };

export function node(spec: NodeSpec): AwaitNode {
  const { at, by, ...rest } = spec;
  const location = at ? loc(at) : null;
  return {
    location,
    locationSource: location ? 'exact' : 'none',
    awaitedBy: by ?? [],
    ...(location?.url.startsWith('node:') ? { internal: true } : {}),
    ...rest,
  } as AwaitNode;
}

/** A document as buildDocument makes them: nodes in order, cycles and groups computed. */
export function documentOf(nodes: AwaitNode[], target: Partial<AwaitGraphDocument['target']> = {}): AwaitGraphDocument {
  const sorted = [...nodes].sort(compareNodes);
  return {
    schemaVersion: 1,
    tool: { name: 'asyncgraph', version: 'test' },
    target: { pid: 42, nodeVersion: 'v20.0.0', url: 'ws://127.0.0.1:1/x', ...target },
    capturedAt: '2026-01-01T00:00:00.000Z',
    nodes: sorted,
    cycles: findCycles(sorted),
    groups: siblingGroups(sorted),
  };
}

/**
 * A service in one picture: two identical requests under a Promise.all (one located exactly, one
 * inferred), a `.then` chain under a function located by its definition, an await cycle, and an
 * ES module run by Node's loader (internal) whose TypeScript code was mapped through a source map.
 */
export function serviceDocument(): AwaitGraphDocument {
  return documentOf([
    node({ id: 1, kind: 'async-function', name: 'main', at: 'server.js:40:3', state: 'suspended' }),
    node({ id: 2, kind: 'combinator', name: 'Promise.all', combinator: 'all', by: [1] }),
    node({ id: 3, kind: 'async-function', name: 'handleRequest', at: 'server.js:30:21', by: [2], state: 'suspended' }),
    node({ id: 4, kind: 'async-function', name: 'handleRequest', at: 'server.js:30:21', locationSource: 'inferred', by: [2] }),
    node({ id: 5, kind: 'async-function', name: 'query', qualifiedName: 'Db.query', at: 'db.js:12:5', by: [3] }),
    node({ id: 6, kind: 'async-function', name: 'query', qualifiedName: 'Db.query', at: 'db.js:12:5', by: [4] }),
    node({ id: 7, kind: 'promise', name: 'Promise', by: [5] }),
    node({ id: 8, kind: 'promise', name: 'Promise', by: [6] }),
    node({ id: 10, kind: 'async-function', name: 'poll', at: 'jobs.js:5:16', locationSource: 'definition' }),
    node({ id: 11, kind: 'then', name: 'parse "quoted"', thenMethod: 'then', at: 'jobs.js:2:20', locationSource: 'definition', by: [10] }),
    node({ id: 12, kind: 'promise', name: 'Promise', by: [11] }),
    node({ id: 13, kind: 'async-function', name: 'stepA', at: 'cycle.js:3:3', by: [14] }),
    node({ id: 14, kind: 'async-function', name: 'stepB', at: 'cycle.js:8:3', by: [13] }),
    node({ id: 15, kind: 'async-function', name: 'runEntryPointWithESMLoader', at: 'node:internal/modules/run_main:117:5' }),
    node({ id: 16, kind: 'module', name: 'app.mjs', at: 'app.mjs:3:1', by: [15] }),
    node({
      id: 17,
      kind: 'async-function',
      name: 'loadSettings',
      at: 'src/settings.ts:9:3',
      generatedLocation: loc('out/settings.js:7:5'),
      by: [16],
    }),
    node({ id: 18, kind: 'promise', name: 'Promise', by: [17] }),
  ]);
}

/**
 * `frame → verdict[: waker]` for every leaf, by the frames (or combinators, `Promise.all in f`)
 * awaiting it, sorted. The waker is its kind, and with `descriptions` its description too.
 */
export function leafVerdicts(doc: AwaitGraphDocument, { descriptions = false } = {}): string[] {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const lines: string[] = [];
  for (const leaf of doc.nodes) {
    if (!leaf.settlement) continue;
    const awaiters = leaf.awaitedBy.map((id) => byId.get(id)!).map((node) => (node.kind === 'combinator' ? `${node.name} in ${node.awaitedBy.map((id) => byId.get(id)!.name).join(',')}` : node.name));
    const waker = leaf.settlement.wakers[0];
    const said = waker ? `: ${waker.kind}${descriptions ? ` ${waker.description}` : ''}` : '';
    lines.push(`${awaiters.join(',')} → ${leaf.settlement.verdict}${said}`);
  }
  return lines.sort();
}
