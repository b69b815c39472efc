// A timed-out test's await chain out of its worker's whole document: the outermost frame in the
// test's file (the test function, or the hook it runs in), with everything it awaits. Pure.

import { keepAwaitedFrom } from '../graph/filter.js';
import { FRAME_KINDS } from '../graph/order.js';
import type { AwaitGraphDocument, AwaitNode } from '../graph/types.js';
import { renderTree } from '../render/tree.js';
import { pathToFileURL } from 'node:url';

export interface TestIdentity {
  name: string;
  /** The test file's absolute path. */
  file: string;
  /** The 1-based line of the `test(` call, when the runner knows it. */
  line?: number;
}

/**
 * The frame standing for the test: of the frames in its file that no other frame of that file
 * awaits (directly or through steps between), the first at or after the test's line (the test
 * runs one at a time per file; a frame before it belongs to an earlier test still hanging), else
 * the last one. Undefined when no frame of the file is suspended: nothing references the
 * test's chain any more, so the snapshot's garbage collection took it.
 */
export function testRoot(document: AwaitGraphDocument, test: TestIdentity): AwaitNode | undefined {
  const url = pathToFileURL(test.file).href;
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  const inFile = (node: AwaitNode) => FRAME_KINDS.has(node.kind) && node.location?.url === url;
  const awaitedFromFile = (node: AwaitNode) => {
    const seen = new Set<number>();
    const work = [...node.awaitedBy];
    while (work.length > 0) {
      const id = work.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const awaiter = byId.get(id);
      if (!awaiter) continue;
      if (inFile(awaiter)) return true;
      work.push(...awaiter.awaitedBy);
    }
    return false;
  };
  const outermost = document.nodes.filter((node) => inFile(node) && !awaitedFromFile(node));
  outermost.sort((a, b) => a.location!.line - b.location!.line || a.location!.column - b.location!.column);
  const line = test.line;
  return (line !== undefined ? outermost.find((node) => node.location!.line >= line) : undefined) ?? outermost.at(-1);
}

/**
 * The chain as the tree view draws it, its root named after the test; or why there is none.
 * Keep-alive lines and the --location-budget hint are left out: the leaves' wakers say what
 * matters here, and the budget is not an option of the runner integrations.
 */
export function renderTestChain(document: AwaitGraphDocument, test: TestIdentity): string {
  const root = testRoot(document, test);
  if (!root) {
    return (
      `asyncgraph: no frame of ${test.file} is suspended any more: nothing referenced what "${test.name}" awaits, ` +
      'so it could never settle and was garbage-collected before the snapshot'
    );
  }
  const label = `test ${JSON.stringify(test.name)}`;
  const nodes = keepAwaitedFrom(document.nodes, root.id).map((node) =>
    node.id === root.id ? { ...node, name: label, qualifiedName: label } : node,
  );
  const { keepAlive: _keepAlive, ...rest } = document;
  return renderTree({ ...rest, nodes, cycles: document.cycles.filter((cycle) => cycle.every((id) => nodes.some((node) => node.id === id))) }, {
    colors: false,
    cwd: process.cwd(),
    locationNote: false,
  }).trimEnd();
}
