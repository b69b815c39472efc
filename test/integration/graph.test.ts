// The awaited-by graph of each fixture, on every Node.js major the suite targets: the exact tree
// text of `attach --no-color`, and the same graph in `attach --json`. (What wakes each leaf, after
// `←`, and the keep-alive lines are covered in depth by wakeup.test.ts: here the harness's
// `held` array holds every resolver and its stdin keeps each fixture alive.)
//
// Each fixture is started once per Node major (with --inspect-port=0, so the CLI opens its
// inspector with SIGUSR1 on a free port) and every capture is followed by expectAlive: the
// target must still answer after we detached.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  attachDocument,
  attachTree,
  CAPTURE_FLAGS,
  canonicalDocument,
  documentEdges,
  label,
  parseDocument,
  sourceAt,
  subtreeFrom,
  treeEdges,
  treeText,
  NESTED_EXPECTED,
  type AwaitGraphDocument,
} from '../helpers/graph.js';
import { describeRun, expectAlive, fixtureForSuite, runCli, type FixtureTarget } from '../helpers/processes.js';

interface GraphCase {
  fixture: string;
  /** Counts in the header line; omitted when internal frames make them version-dependent. */
  counts?: string;
  /** The tree below the header (for `internalAbove`: from the module line on, un-indented). */
  tree: string[];
  /** canonicalDocument lines, any order. */
  json: string[];
  /** Node's own (internal) frames await the first line of `tree` (ESM entry points). */
  internalAbove?: RegExp;
}

const CASES: GraphCase[] = [
  {
    fixture: 'nested.js',
    ...NESTED_EXPECTED,
    json: [
      'async-function outer fixtures/nested.js:18:3 exact ← (root)',
      'async-function middle fixtures/nested.js:14:3 exact ← outer',
      'async-function inner fixtures/nested.js:10:3 exact ← middle',
      'promise Promise - none ← inner',
    ],
  },
  {
    fixture: 'combinators.js',
    counts: '11 suspended frames, 8 pending promises',
    tree: [
      '└── waitAll  fixtures/combinators.js:32:3',
      '    └── Promise.all',
      '        ├── fetchA  fixtures/combinators.js:23:27',
      '        │   └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      '        └── fetchB  fixtures/combinators.js:24:27',
      '            └── Promise <pending>  ← held in held[1].resolve (fixtures/lib/harness.cjs)',
      '└── waitAllSettled  fixtures/combinators.js:36:3',
      '    └── Promise.allSettled',
      '        ├── fetchC  fixtures/combinators.js:25:27',
      '        │   └── Promise <pending>  ← held in held[2].resolve (fixtures/lib/harness.cjs)',
      '        └── Promise <pending>  ← held in held[3].resolve (fixtures/lib/harness.cjs)',
      '└── waitAny  fixtures/combinators.js:40:3',
      '    └── Promise.any',
      '        ├── fetchD  fixtures/combinators.js:26:27',
      '        │   └── Promise <pending>  ← held in held[4].resolve (fixtures/lib/harness.cjs)',
      '        └── fetchE  fixtures/combinators.js:27:27',
      '            └── Promise <pending>  ← held in held[5].resolve (fixtures/lib/harness.cjs)',
      '└── waitRace  fixtures/combinators.js:44:3',
      '    └── Promise.race',
      '        ├── fetchF  fixtures/combinators.js:28:27',
      '        │   └── Promise <pending>  ← held in held[6].resolve (fixtures/lib/harness.cjs)',
      '        └── fetchG  fixtures/combinators.js:29:27',
      '            └── Promise <pending>  ← held in held[7].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function waitAll fixtures/combinators.js:32:3 exact ← (root)',
      'async-function waitAllSettled fixtures/combinators.js:36:3 exact ← (root)',
      'async-function waitAny fixtures/combinators.js:40:3 exact ← (root)',
      'async-function waitRace fixtures/combinators.js:44:3 exact ← (root)',
      'combinator Promise.all [all] - none ← waitAll',
      'combinator Promise.allSettled [allSettled] - none ← waitAllSettled',
      'combinator Promise.any [any] - none ← waitAny',
      'combinator Promise.race [race] - none ← waitRace',
      'async-function fetchA fixtures/combinators.js:23:27 exact ← Promise.all',
      'async-function fetchB fixtures/combinators.js:24:27 exact ← Promise.all',
      'async-function fetchC fixtures/combinators.js:25:27 exact ← Promise.allSettled',
      'async-function fetchD fixtures/combinators.js:26:27 exact ← Promise.any',
      'async-function fetchE fixtures/combinators.js:27:27 exact ← Promise.any',
      'async-function fetchF fixtures/combinators.js:28:27 exact ← Promise.race',
      'async-function fetchG fixtures/combinators.js:29:27 exact ← Promise.race',
      'promise Promise - none ← fetchA',
      'promise Promise - none ← fetchB',
      'promise Promise - none ← fetchC',
      'promise Promise - none ← Promise.allSettled',
      'promise Promise - none ← fetchD',
      'promise Promise - none ← fetchE',
      'promise Promise - none ← fetchF',
      'promise Promise - none ← fetchG',
    ],
  },
  {
    fixture: 'async-generator.js',
    counts: '2 suspended frames, 1 pending promise',
    tree: [
      // V8 places a frame suspended in `for await` at the loop variable.
      '└── consume  fixtures/async-generator.js:15:20',
      '    └── async* ticks  fixtures/async-generator.js:10:3',
      '        └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function consume fixtures/async-generator.js:15:20 exact ← (root)',
      'async-generator ticks fixtures/async-generator.js:10:3 exact ← consume',
      'promise Promise - none ← async* ticks',
    ],
  },
  {
    fixture: 'classes.js',
    counts: '2 suspended frames, 1 pending promise',
    tree: [
      '└── Poller.poll  fixtures/classes.js:16:5',
      '    └── Store.open  fixtures/classes.js:10:5',
      '        └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function poll (Poller.poll) fixtures/classes.js:16:5 exact ← (root)',
      'async-function open (Store.open) fixtures/classes.js:10:5 exact ← Poller.poll',
      'promise Promise - none ← Store.open',
    ],
  },
  {
    fixture: 'arrows.js',
    counts: '2 suspended frames, 1 pending promise',
    tree: [
      '└── (anonymous)  fixtures/arrows.js:14:3',
      '    └── fetchUser  fixtures/arrows.js:9:3',
      '        └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function (anonymous) fixtures/arrows.js:14:3 exact ← (root)',
      'async-function fetchUser fixtures/arrows.js:9:3 exact ← (anonymous)',
      'promise Promise - none ← fetchUser',
    ],
  },
  {
    fixture: 'then-chains.js',
    counts: '1 suspended frame, 1 pending promise',
    tree: [
      // .then steps show where their handler is defined (V8: at its parameter list).
      '└── start  fixtures/then-chains.js:25:3',
      '    └── .finally(cleanup)  (defined at fixtures/then-chains.js:22:28)',
      '        └── .catch(reportError)  (defined at fixtures/then-chains.js:19:30)',
      '            └── .then(parseConfig)  (defined at fixtures/then-chains.js:16:29)',
      '                └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function start fixtures/then-chains.js:25:3 exact ← (root)',
      'then cleanup [finally] fixtures/then-chains.js:22:28 definition ← start',
      'then reportError [catch] fixtures/then-chains.js:19:30 definition ← .finally(cleanup)',
      'then parseConfig [then] fixtures/then-chains.js:16:29 definition ← .catch(reportError)',
      'promise Promise - none ← .then(parseConfig)',
    ],
  },
  {
    fixture: 'then-handlers.js',
    counts: '3 suspended frames, 3 pending promises',
    tree: [
      '└── load  fixtures/then-handlers.js:37:3',
      '    └── .then(onLoaded)  (defined at fixtures/then-handlers.js:16:20)',
      '        └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      '└── save  fixtures/then-handlers.js:41:3',
      '    └── .catch(onRejected)  (defined at fixtures/then-handlers.js:24:55)',
      '        └── Promise <pending>  ← held in held[1].resolve (fixtures/lib/harness.cjs)',
      '└── store  fixtures/then-handlers.js:45:3',
      '    └── .then(bound write)  (defined at fixtures/then-handlers.js:29:8)',
      '        └── Promise <pending>  ← held in held[2].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function load fixtures/then-handlers.js:37:3 exact ← (root)',
      'async-function save fixtures/then-handlers.js:41:3 exact ← (root)',
      'async-function store fixtures/then-handlers.js:45:3 exact ← (root)',
      'then onLoaded [then] fixtures/then-handlers.js:16:20 definition ← load',
      'then onRejected [catch] fixtures/then-handlers.js:24:55 definition ← save',
      'then bound write [then] fixtures/then-handlers.js:29:8 definition ← store',
      'promise Promise - none ← .then(onLoaded)',
      'promise Promise - none ← .catch(onRejected)',
      'promise Promise - none ← .then(bound write)',
    ],
  },
  {
    fixture: 'esm-tla.mjs',
    internalAbove: /^(?:│   |    )*└── module esm-tla\.mjs {2}/,
    tree: [
      '└── module esm-tla.mjs  fixtures/esm-tla.mjs:17:1',
      '    └── loadSettings  fixtures/esm-tla.mjs:13:3',
      '        └── Promise <pending>  ← held in held[0].resolve (fixtures/lib/harness.cjs)',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'module esm-tla.mjs fixtures/esm-tla.mjs:17:1 exact ← <internal>',
      'async-function loadSettings fixtures/esm-tla.mjs:13:3 exact ← module esm-tla.mjs',
      'promise Promise - none ← loadSettings',
    ],
  },
  {
    fixture: 'cycle.js',
    counts: '2 suspended frames, 0 pending promises, 1 await cycle',
    tree: [
      '└── stepA  fixtures/cycle.js:15:3  ✖ deadlock',
      '    └── stepB  fixtures/cycle.js:20:3  ✖ deadlock',
      '        └── ↻ stepA (await cycle)',
      'cycle: stepA → stepB → stepA',
      'keeping the event loop alive:',
      '  stdin, reading',
    ],
    json: [
      'async-function stepA fixtures/cycle.js:15:3 exact ← stepB',
      'async-function stepB fixtures/cycle.js:20:3 exact ← stepA',
    ],
  },
];

const SUSPENDABLE = new Set(['async-function', 'async-generator', 'module']);
const INTERNAL_TREE_LINE = /^(?:│   |    )*(?:├── |└── ).+ {2}node:internal\/[\w/.-]+:\d+:\d+$/;

const nodeTargets = inject('nodeTargets');

function sorted(lines: string[]): string {
  return [...lines].sort().join('\n');
}

/** The awaited-by edges the expected tree draws (both ends non-internal). */
function expectedEdges(c: GraphCase): string[] {
  return treeEdges(treeText(c.tree));
}

function checkDocument(c: GraphCase, doc: AwaitGraphDocument, target: FixtureTarget, major: number, context: string) {
  expect(doc.schemaVersion, context).toBe(1);
  expect(doc.tool.name, context).toBe('asyncgraph');
  expect(doc.target.pid, context).toBe(target.pid);
  expect(doc.target.nodeVersion, context).toMatch(new RegExp(`^v${major}\\.\\d+\\.\\d+`));
  expect(canonicalDocument(doc, { foldInternal: !!c.internalAbove }), context).toBe(sorted(c.json));

  for (const node of doc.nodes) {
    if (SUSPENDABLE.has(node.kind)) {
      expect(node.locationSource, `${label(node)}: exact location\n${context}`).toBe('exact');
      expect(node.state, `${label(node)}: state\n${context}`).toBe('suspended');
    }
    if (node.kind === 'combinator') expect(node.name, context).toBe(`Promise.${node.combinator}`);
    expect(!!node.internal, `${label(node)}: internal flag\n${context}`).toBe(!!node.location?.url.startsWith('node:'));
    // Every exact location in a fixture points at the `await` (or the `for await` loop).
    if (node.locationSource === 'exact' && node.location?.url.includes('/fixtures/')) {
      const at = sourceAt(`fixtures/${c.fixture}`, node.location.line, node.location.column);
      const line = sourceAt(`fixtures/${c.fixture}`, node.location.line, 1);
      expect(at.startsWith('await ') || /\bfor await\b/.test(line), `${label(node)} at "${at}"\n${context}`).toBe(true);
    }
  }

  // The edges of the JSON are the ones the tree draws.
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const visibleEdges = documentEdges({
    ...doc,
    nodes: doc.nodes
      .filter((node) => !node.internal)
      .map((node) => ({ ...node, awaitedBy: node.awaitedBy.filter((id) => !byId.get(id)?.internal) })),
  });
  expect(visibleEdges, context).toEqual(expectedEdges(c));

  if (c.internalAbove) {
    // The module is awaited by Node's ESM loader: a chain of internal async functions up to a root.
    const module = doc.nodes.find((node) => node.kind === 'module');
    expect(module, context).toBeDefined();
    let frontier = module!.awaitedBy.map((id) => byId.get(id)!);
    expect(frontier.length, `the loader awaits the module\n${context}`).toBeGreaterThan(0);
    const seen = new Set<number>();
    let reachedRoot = false;
    while (frontier.length > 0) {
      const next = [];
      for (const node of frontier) {
        if (seen.has(node.id)) continue;
        seen.add(node.id);
        expect(node.internal, `${label(node)} above the module is internal\n${context}`).toBe(true);
        expect(node.location?.url, context).toMatch(/^node:internal\//);
        if (node.awaitedBy.length === 0) reachedRoot = true;
        next.push(...node.awaitedBy.map((id) => byId.get(id)!));
      }
      frontier = next;
    }
    expect(reachedRoot, context).toBe(true);
    expect(doc.nodes.filter((node) => node.internal).length, context).toBe(seen.size);
  }

  if (c.fixture === 'cycle.js') {
    expect(doc.cycles.length, context).toBe(1);
    expect(doc.cycles[0].map((id) => label(byId.get(id)!)), context).toEqual(['stepA', 'stepB']);
  } else {
    expect(doc.cycles, context).toEqual([]);
  }
}

describe.each(nodeTargets)('node $major', ({ major, path }) => {
  for (const c of CASES) {
    // Fixtures run side by side (up to maxConcurrency), the captures of one fixture one at a time.
    describe.concurrent(c.fixture, () => {
      const target = fixtureForSuite(path, c.fixture);

      it.sequential('attach prints the expected tree', async () => {
        const { body, context } = await attachTree(target(), major, c.counts);
        if (c.internalAbove) {
          const { above, subtree } = subtreeFrom(body, c.internalAbove);
          expect(above.length, `internal loader frames above the module\n${context}`).toBeGreaterThan(0);
          for (const line of above) expect(line, context).toMatch(INTERNAL_TREE_LINE);
          expect(subtree, context).toBe(treeText(c.tree));
        } else {
          expect(body, context).toBe(treeText(c.tree));
        }
        // The inspector SIGUSR1 opened is on a random port, never the default one.
        expect(target().stderr, context).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:(?!9229\/)\d+\//);
      });

      it.sequential('attach --json has the same graph', async () => {
        const { doc, context } = await attachDocument(target());
        checkDocument(c, doc, target(), major, context);
      });
    });
  }

  describe.concurrent('snapshot command', () => {
    const target = fixtureForSuite(path, 'nested.js');
    let dir: string | undefined;
    const nested = CASES.find((c) => c.fixture === 'nested.js')!;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'asyncgraph-test-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.sequential('snapshot --pid prints the JSON document', async () => {
      const run = await runCli(['snapshot', '--pid', String(target().pid), ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      checkDocument(nested, parseDocument(run.stdout), target(), major, context);
      await expectAlive(target());
    });

    it.sequential('snapshot --pid -o writes it to a file', async () => {
      const file = join(dir!, 'graph.json');
      const run = await runCli(['snapshot', '--pid', String(target().pid), '-o', file, ...CAPTURE_FLAGS]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stdout, context).toBe('');
      expect(existsSync(file), context).toBe(true);
      checkDocument(nested, parseDocument(readFileSync(file, 'utf8')), target(), major, context);
      await expectAlive(target());
    });
  });
});
