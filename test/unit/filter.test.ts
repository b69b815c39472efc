import { describe, expect, it } from 'vitest';
import { filterDocument, hideInternals, keepDepth, keepPathsThrough } from '../../src/views/filter.js';
import { renderTree } from '../../src/render/tree.js';
import { renderJson } from '../../src/render/json.js';
import { hiddenDeadlockLines } from '../../src/cli/wakeup-options.js';
import { documentOf, node, serviceDocument } from '../helpers/documents.js';

const tree = (doc: ReturnType<typeof serviceDocument>) => renderTree(doc, { colors: false, cwd: '/app' });

describe('filterDocument', () => {
  it('returns the document itself when nothing is asked', () => {
    const doc = serviceDocument();
    expect(filterDocument(doc, {})).toBe(doc);
  });

  it('--no-internals hides node:internal frames and joins the awaits through them', () => {
    const doc = filterDocument(serviceDocument(), { noInternals: true });
    expect(doc.nodes.some((n) => n.internal)).toBe(false);
    expect(doc.nodes.find((n) => n.kind === 'module')!.awaitedBy).toEqual([]);
    expect(doc.filter).toEqual({ noInternals: true, hiddenNodes: 1, captured: { nodes: 17, suspendedFrames: 11, pendingPromises: 4 } });
    // internal → internal → user: the user frame is awaited by the nearest visible awaiter
    const chained = hideInternals(
      documentOf([
        node({ id: 1, kind: 'async-function', name: 'main', at: 'a.js:1:1' }),
        node({ id: 2, kind: 'async-function', name: 'x', at: 'node:internal/a:1:1', by: [1] }),
        node({ id: 3, kind: 'async-function', name: 'y', at: 'node:internal/b:1:1', by: [2] }),
        node({ id: 4, kind: 'async-function', name: 'work', at: 'a.js:5:1', by: [3, 1] }),
      ]).nodes,
    );
    expect(chained.map((n) => [n.name, n.awaitedBy])).toEqual([
      ['main', []],
      ['work', [1]],
    ]);
  });

  it('--filter keeps the paths through matching frames: what awaits them and what they await', () => {
    const doc = filterDocument(serviceDocument(), { text: 'QUERY' });
    expect(tree(doc)).toBe(`\
pid 42, node v20.0.0 — --filter QUERY shows 5 of 11 suspended frames, 2 of 4 pending promises
└── main  server.js:40:3
    └── Promise.all
        └── handleRequest  server.js:30:21  × 2
            └── Db.query  db.js:12:5
                └── Promise <pending>
`);
    expect(doc.filter).toEqual({ text: 'QUERY', hiddenNodes: 9, matched: 2, captured: { nodes: 17, suspendedFrames: 11, pendingPromises: 4 } });
    // Locations match too: the file, or the file and line.
    expect(keepPathsThrough(serviceDocument().nodes, 'settings.ts:9').map((n) => n.id).sort((a, b) => a - b)).toEqual([15, 16, 17, 18]);
    expect(keepPathsThrough(serviceDocument().nodes, '/app/out/settings.js').map((n) => n.id)).toContain(17);
    expect(keepPathsThrough(serviceDocument().nodes, 'nothing like it')).toEqual([]);
  });

  it('--depth keeps the first N levels and marks where it cut', () => {
    const doc = filterDocument(serviceDocument(), { depth: 2 });
    expect(tree(doc)).toBe(`\
pid 42, node v20.0.0 — --depth 2 shows 6 of 11 suspended frames, 0 of 4 pending promises, 1 await cycle
└── poll  (defined at jobs.js:5:16)
    └── .then(parse "quoted")  (defined at jobs.js:2:20)  …
└── main  server.js:40:3
    └── Promise.all  …
└── runEntryPointWithESMLoader  node:internal/modules/run_main:117:5
    └── module app.mjs  app.mjs:3:1  …
└── stepA  cycle.js:3:3
    └── stepB  cycle.js:8:3
        └── ↻ stepA (await cycle)
cycle: stepA → stepB → stepA
`);
    expect(keepDepth(serviceDocument().nodes, 1).map((n) => n.name).sort()).toEqual(['main', 'poll', 'runEntryPointWithESMLoader', 'stepA']);
  });

  it('applies them together, recomputing cycles and groups, and the JSON says what was done', () => {
    const doc = filterDocument(serviceDocument(), { noInternals: true, text: 'step', depth: 1 });
    expect(doc.nodes.map((n) => n.name)).toEqual(['stepA']);
    expect(doc.cycles).toEqual([]);
    expect(doc.groups).toEqual([]);
    const json = JSON.parse(renderJson(doc));
    expect(Object.keys(json)).toEqual(['schemaVersion', 'tool', 'target', 'capturedAt', 'nodes', 'cycles', 'groups', 'filter']);
    expect(json.filter).toEqual({
      noInternals: true,
      text: 'step',
      depth: 1,
      hiddenNodes: 16,
      matched: 2,
      captured: { nodes: 17, suspendedFrames: 11, pendingPromises: 4 },
    });
    expect(json.nodes[0].truncated).toBe(true);
    expect(tree(doc).split('\n')[0]).toBe('pid 42, node v20.0.0 — --no-internals --filter step --depth 1 shows 1 of 11 suspended frames, 0 of 4 pending promises');
  });

  it('--filter that matches nothing says so, out of how many', () => {
    const doc = filterDocument(serviceDocument(), { text: 'no such thing' });
    expect(doc.filter?.matched).toBe(0);
    expect(tree(doc)).toBe(`\
pid 42, node v20.0.0 — --filter "no such thing" shows 0 of 11 suspended frames, 0 of 4 pending promises
(--filter "no such thing" matched nothing among 11 suspended frames and 4 pending promises)
`);
  });

  it('keep-alive lines name the frames a handle wakes even when the filters hid them', () => {
    const whole = serviceDocument();
    whole.keepAlive = [
      { id: 900, kind: 'timer', className: 'Timeout', description: 'interval 1h', state: 'armed', active: true, wakes: [7, 8] },
      { id: 901, kind: 'timer', className: 'Timeout', description: 'timer 5s', state: 'armed', active: true, wakes: [12] },
    ];
    const doc = filterDocument(whole, { text: 'poll' });
    const named = renderTree(doc, { colors: false, cwd: '/app', unfiltered: whole }).split('\n');
    expect(named.filter((line) => line.includes('→ wakes'))).toEqual([
      '  interval 1h  → wakes Db.query (filtered out)',
      '  timer 5s  → wakes poll',
    ]);
    // Without the whole capture at hand (a filtered document alone): never a bare `?`.
    const alone = tree(doc).split('\n');
    expect(alone).toContain('  interval 1h  → wakes (filtered out)');
  });

  it('--fail-on deadlock says why when the view hides the deadlock', () => {
    const whole = serviceDocument();
    const never = { verdict: 'never' as const, reason: 'no resolve function is alive', wakers: [] };
    whole.nodes = whole.nodes.map((n) => (n.id === 12 ? { ...n, settlement: never, neverSettles: true as const } : n.id === 11 || n.id === 10 ? { ...n, neverSettles: true as const } : n));
    const shown = filterDocument(whole, { text: 'query' });
    expect(hiddenDeadlockLines(whole, shown)).toEqual([
      'asyncgraph: --fail-on deadlock: 1 deadlock, hidden by --filter query:',
      '  poll → Promise <pending>: never settles: no resolve function is alive',
    ]);
    expect(hiddenDeadlockLines(whole, filterDocument(whole, { text: 'poll' }))).toEqual([]);
    expect(hiddenDeadlockLines(whole, whole)).toEqual([]);
  });
});
