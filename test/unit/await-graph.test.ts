import { describe, expect, it } from 'vitest';
import { findAwaitGraph } from '../../src/awaits/await-graph.js';
import { HeapGraph } from '../../src/snapshot/heap-graph.js';
import { SnapshotParser } from '../../src/snapshot/snapshot-parser.js';
import { renderTree } from '../../src/render/tree.js';
import { recordedDocument, recordedSnapshotText } from '../helpers/recorded.js';

// Recorded, pruned snapshots of test/recorded/programs under Node 20, 22 and 24
// (scripts/record-snapshots.js). Locations here are definition sites: exact suspension
// points need a live target and are covered by the integration tests.

function treeOf(program: string, major: number): string {
  const doc = recordedDocument(program, major, { withWakeups: false });
  const tree = renderTree(doc, { colors: false, cwd: '/programs' });
  // Drop the header (pid, version) and Node's own frames, whose lines differ per version.
  return tree
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/node:internal\/[\w/]+:\d+:\d+/, 'node:internal'))
    .join('\n');
}

/** The subtree drawn at the line containing `marker`, without the indentation above it. */
function subtree(tree: string, marker: string): string {
  const lines = tree.split('\n');
  const start = lines.findIndex((line) => line.includes(marker));
  if (start < 0) return `(no line with ${marker})`;
  const last = lines[start].includes('└── ');
  const indent = lines[start].indexOf(last ? '└── ' : '├── ');
  const continuation = last ? '    ' : '│   ';
  const out = [lines[start]];
  for (const line of lines.slice(start + 1)) {
    if (line.slice(indent, indent + 4) !== continuation) break;
    out.push(line);
  }
  return out.map((line) => line.slice(indent)).join('\n') + '\n';
}

const MAJORS = [20, 22, 24, 26];

describe.each(MAJORS)('recorded snapshots from Node %i', (major) => {
  it('kitchen-sink: nested awaits, combinators, .then, class method, async generator', () => {
    expect(treeOf('kitchen-sink', major)).toBe(`\
└── main  (defined at kitchen-sink.js:14:20)
    └── Promise.all
        ├── middle  (defined at kitchen-sink.js:5:22)
        │   └── leaf  (defined at kitchen-sink.js:4:20)
        │       └── Promise <pending>
        ├── fanAwait  (defined at kitchen-sink.js:7:24)
        │   └── Promise.all
        │       ├── leaf  (defined at kitchen-sink.js:4:20)
        │       │   └── Promise <pending>
        │       └── middle  (defined at kitchen-sink.js:5:22)
        │           └── leaf  (defined at kitchen-sink.js:4:20)
        │               └── Promise <pending>
        ├── racer  (defined at kitchen-sink.js:8:21)
        │   └── Promise.race
        │       └── leaf  (defined at kitchen-sink.js:4:20)  × 2
        │           └── Promise <pending>
        ├── thenChain  (defined at kitchen-sink.js:9:25)
        │   └── .then(double)  (defined at kitchen-sink.js:9:64)
        │       └── leaf  (defined at kitchen-sink.js:4:20)
        │           └── Promise <pending>
        ├── arrow  (defined at kitchen-sink.js:11:15)
        │   └── Poller.poll  (defined at kitchen-sink.js:10:26)
        │       └── leaf  (defined at kitchen-sink.js:4:20)
        │           └── Promise <pending>
        └── consume  (defined at kitchen-sink.js:13:23)
            └── async* gen  (defined at kitchen-sink.js:12:20)
                └── Promise <pending>
`);
  });

  it('cycle-and-then: an await cycle, .catch/.finally, allSettled, any, static method', () => {
    expect(treeOf('cycle-and-then', major)).toBe(`\
└── Repo.load  (defined at cycle-and-then.js:16:31)
    └── Promise.all
        ├── settled  (defined at cycle-and-then.js:11:23)
        │   └── Promise.allSettled
        │       ├── waiter  (defined at cycle-and-then.js:10:22)
        │       │   └── Promise <pending>
        │       └── Promise <pending>
        ├── anyOf  (defined at cycle-and-then.js:12:21)
        │   └── Promise.any
        │       └── waiter  (defined at cycle-and-then.js:10:22)  × 2
        │           └── Promise <pending>
        └── steps  (defined at cycle-and-then.js:13:21)
            └── .finally(cleanup)  (defined at cycle-and-then.js:14:71)
                └── .catch(onError)  (defined at cycle-and-then.js:14:40)
                    └── waiter  (defined at cycle-and-then.js:10:22)
                        └── Promise <pending>
└── stepA  (defined at cycle-and-then.js:6:21)
    └── stepB  (defined at cycle-and-then.js:7:21)
        └── ↻ stepA (await cycle)
cycle: stepA → stepB → stepA
`);
  });

  it('top-level-await: the module under the ESM loader, awaiting its function', () => {
    const tree = treeOf('top-level-await', major);
    expect(subtree(tree, 'module top-level-await.mjs')).toBe(`\
└── module top-level-await.mjs  (defined at top-level-await.mjs:1:1)
    └── waitForever  (defined at top-level-await.mjs:2:27)
        └── Promise <pending>
`);
    // Everything above the module is the loader's own code.
    const moduleLine = tree.split('\n').findIndex((line) => line.includes('module top-level-await.mjs'));
    const above = tree.split('\n').slice(0, moduleLine);
    for (const line of above) expect(line).toMatch(/node:internal/);
  });
});

/** A heap whose edge-name column cannot be scanned (as with escaped 16-bit names): the object-by-object pass. */
class UnscannableHeap extends HeapGraph {
  override forEachEdgeNamed(): boolean {
    return false;
  }
}

describe('the first pass over the heap', () => {
  it.each(MAJORS)('finds the same graph object by object as from the name column (Node %i)', (major) => {
    for (const program of ['kitchen-sink', 'cycle-and-then', 'top-level-await']) {
      const text = recordedSnapshotText(program, major);
      const parse = () => {
        const parser = new SnapshotParser();
        parser.write(text);
        return parser.end();
      };
      const scanned = findAwaitGraph(new HeapGraph(parse()));
      expect(scanned.length).toBeGreaterThan(0);
      expect(findAwaitGraph(new UnscannableHeap(parse()))).toEqual(scanned);
    }
  });
});
