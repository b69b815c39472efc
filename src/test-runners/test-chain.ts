// A timed-out test's await chain out of its worker's whole document: the outermost frame in the
// test's file (the test function, or the hook it runs in), with everything it awaits. Pure.

import { keepAwaitedFrom } from '../views/filter.js';
import { FRAME_KINDS, type AwaitGraphDocument, type AwaitNode } from '../schema.js';
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
 * The frame standing for the test. Candidates are the frames in the test's file that no frame
 * of that file awaits (helpers are awaited by the test function). A test that timed out earlier
 * in the same thread may still hang there: roots reported before (`earlier`, rootKey) are left
 * out. When the runner gives the test's line,
 * the first candidate at or after it wins; otherwise the one with the longest chain of awaiters
 * above it (Vitest's runner still awaits the test when its timeout fires; an earlier test's chain
 * is cut off from it). Undefined when no frame of the file is suspended: nothing referenced the
 * test's chain, so the snapshot's garbage collection took it.
 */
export function testRoot(document: AwaitGraphDocument, test: TestIdentity, earlier: ReadonlySet<string> = new Set()): AwaitNode | undefined {
  const url = pathToFileURL(test.file).href;
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  // A module's top level still evaluating (a top-level await) is not a test.
  const inFile = (node: AwaitNode) => FRAME_KINDS.has(node.kind) && node.kind !== 'module' && node.location?.url === url;
  const awaiters = (node: AwaitNode) => awaitersOf(node, byId);
  const all = document.nodes.filter((node) => inFile(node) && !awaiters(node).some(inFile));
  // Never a root reported before: that test's chain, not this one's (this one's may be gone).
  const candidates = all.filter((node) => !earlier.has(rootKey(node)));
  if (test.line !== undefined) {
    const line = test.line;
    const atLine = candidates
      .filter((node) => node.location!.line >= line)
      .sort((a, b) => a.location!.line - b.location!.line || a.location!.column - b.location!.column);
    if (atLine.length > 0) return atLine[0];
  }
  let best: AwaitNode | undefined;
  let bestCount = -1;
  for (const node of candidates) {
    const count = awaiters(node).length;
    if (count > bestCount) [best, bestCount] = [node, count];
  }
  return best;
}

/**
 * Where a test's root frame is suspended: the same in every snapshot while that test hangs. (Not
 * its heap id: each capture ends with HeapProfiler.disable, which forgets V8's object ids.)
 */
export function rootKey(node: AwaitNode): string {
  return `${node.location?.url}:${node.location?.line}:${node.location?.column}`;
}

/**
 * Everything that awaits the node, transitively. A pending promise is never taken for an awaiter
 * (it awaits nothing; what hangs under it in the tree is what may settle it), nor is the promise
 * a holder-linked frame is drawn under (`linkedBy: 'holder'`: it holds that promise's resolve).
 */
function awaitersOf(node: AwaitNode, byId: ReadonlyMap<number, AwaitNode>): AwaitNode[] {
  const found: AwaitNode[] = [];
  const seen = new Set<number>([node.id]);
  const work = [node];
  while (work.length > 0) {
    const current = work.pop()!;
    if (current.linkedBy === 'holder') continue;
    for (const id of current.awaitedBy) {
      const awaiter = byId.get(id);
      if (!awaiter || seen.has(id) || awaiter.kind === 'promise') continue;
      seen.add(id);
      found.push(awaiter);
      work.push(awaiter);
    }
  }
  return found;
}

/**
 * The chain as the tree view draws it, its root named after the test; or why there is none.
 * The root's place is added to `earlier`, for the next timed-out test of the thread.
 * Keep-alive lines and the --location-budget hint are left out: the leaves' wakers say what
 * matters here, and the budget is not an option of the runner integrations.
 */
export function renderTestChain(document: AwaitGraphDocument, test: TestIdentity, earlier: Set<string> = new Set()): string {
  const root = testRoot(document, test, earlier);
  if (!root && testRoot(document, test) !== undefined) {
    // Another test's chain, or this test's at the very place of one reported before (a retry).
    return `asyncgraph: the frames of ${test.file} still suspended are where earlier timed-out tests' chains were reported; none is new for "${test.name}"`;
  }
  if (!root) {
    return (
      `asyncgraph: no frame of ${test.file} is suspended any more: nothing referenced what "${test.name}" awaits, ` +
      'so it could never settle and was garbage-collected before the snapshot'
    );
  }
  earlier.add(rootKey(root));
  const label = `test ${JSON.stringify(test.name)}`;
  const nodes = keepAwaitedFrom(document.nodes, root.id).map((node) =>
    node.id === root.id ? { ...node, name: label, qualifiedName: label } : node,
  );
  const { keepAlive: _keepAlive, ...rest } = document;
  return renderTree({ ...rest, nodes, cycles: document.cycles.filter((cycle) => cycle.every((id) => nodes.some((node) => node.id === id))) }, {
    colors: false,
    cwd: process.cwd(),
    locationNote: false,
  }).trimEnd() + (document.notes ?? []).map((note) => `\nasyncgraph: note: ${note}`).join('');
}
