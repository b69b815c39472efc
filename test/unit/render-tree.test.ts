import { describe, expect, it } from 'vitest';
import { buildDocument } from '../../src/document/document.js';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import { locationNote, renderTree } from '../../src/render/tree.js';
import { renderJson } from '../../src/render/json.js';
import { lookupOrder } from '../../src/capture/locations.js';

let nextId = 1;
function node(kind: FoundNode['kind'], name: string, line: number | null, awaitedBy: FoundNode[] = [], extra: Partial<FoundNode> = {}): FoundNode {
  return {
    id: nextId++,
    heapNode: 0,
    kind,
    name,
    definition: line === null ? null : { scriptId: extra.definition?.scriptId ?? 1, line: line - 1, column: 0 },
    awaitedBy: awaitedBy.map((n) => n.id),
    ...extra,
  };
}

function doc(nodes: FoundNode[]) {
  return buildDocument({
    nodes,
    scriptUrls: new Map([['1', 'file:///app/main.js'], ['2', 'node:internal/timers']]),
    exact: new Map(),
    target: { pid: 42, nodeVersion: 'v20.0.0', url: 'ws://x' },
    capturedAt: new Date(0),
    toolVersion: 'test',
  });
}

describe('renderTree', () => {
  it('draws a shared dependency once and refers to it afterwards', () => {
    const main = node('async-function', 'main', 10);
    const all = node('combinator', 'Promise.all', null, [main], { combinator: 'all' });
    const a = node('async-function', 'a', 3, [all]);
    const b = node('async-function', 'b', 4, [all]);
    const shared = node('async-function', 'shared', 1, [a, b]);
    const leaf = node('promise', 'Promise', null, [shared]);
    expect(renderTree(doc([main, all, a, b, shared, leaf]), { colors: false, cwd: '/app' })).toBe(`\
pid 42, node v20.0.0 — 4 suspended frames, 1 pending promise
└── main  (defined at main.js:10:1)
    └── Promise.all
        ├── a  (defined at main.js:3:1)
        │   └── shared  (defined at main.js:1:1)
        │       └── Promise <pending>
        └── b  (defined at main.js:4:1)
            └── shared  (defined at main.js:1:1)  (shown above)
`);
  });

  it('draws a cycle nobody else awaits, and names it', () => {
    const stepA = node('async-function', 'stepA', 1);
    const stepB = node('async-function', 'stepB', 2, [stepA]);
    stepA.awaitedBy.push(stepB.id);
    const out = renderTree(doc([stepA, stepB]), { colors: false, cwd: '/app' });
    expect(out).toBe(`\
pid 42, node v20.0.0 — 2 suspended frames, 0 pending promises, 1 await cycle
└── stepA  (defined at main.js:1:1)
    └── stepB  (defined at main.js:2:1)
        └── ↻ stepA (await cycle)
cycle: stepA → stepB → stepA
`);
    expect(doc([stepA, stepB]).cycles).toEqual([[stepA.id, stepB.id]]);
  });

  it('handles a deep chain without recursion', () => {
    const chain: FoundNode[] = [node('async-function', 'f0', 1)];
    for (let i = 1; i < 20_000; i++) chain.push(node('async-function', `f${i}`, 1, [chain[i - 1]]));
    const lines = renderTree(doc(chain), { colors: false }).split('\n');
    expect(lines).toHaveLength(20_002);
    expect(lines[20_000]).toContain('f19999');
  });

  it('says so when there is nothing to show', () => {
    expect(renderTree(doc([]), { colors: false })).toContain('(no suspended async functions or pending awaits)');
  });

  it('colours only when asked, dimming Node internals', () => {
    const internal = node('async-function', 'listOnTimeout', 5, [], { definition: { scriptId: 2, line: 4, column: 0 } });
    const plain = renderTree(doc([internal]), { colors: false });
    expect(plain).not.toMatch(/\x1b\[/);
    expect(plain).toContain('listOnTimeout  (defined at node:internal/timers:5:1)');
    const coloured = renderTree(doc([internal]), { colors: true });
    expect(coloured).toContain('\x1b[2mlistOnTimeout');
    expect(doc([internal]).nodes[0].internal).toBe(true);
  });
});

describe('JSON document', () => {
  it('has schema version 1, fixed key order and sorted awaitedBy', () => {
    const main = node('async-function', 'main', 10);
    const other = node('async-function', 'other', 12);
    const leaf = node('async-function', 'leaf', 2, [other, main], { qualifiedName: 'Repo.leaf' });
    const json = JSON.parse(renderJson(doc([main, other, leaf])));
    expect(json.schemaVersion).toBe(1);
    expect(Object.keys(json)).toEqual(['schemaVersion', 'tool', 'target', 'capturedAt', 'nodes', 'cycles', 'groups']);
    expect(json.nodes.map((n: { name: string }) => n.name)).toEqual(['leaf', 'main', 'other']);
    expect(Object.keys(json.nodes[0])).toEqual(['id', 'kind', 'name', 'qualifiedName', 'location', 'locationSource', 'awaitedBy']);
    expect(json.nodes[0].awaitedBy).toEqual([main.id, other.id]);
    expect(json.nodes[0].location).toEqual({ url: 'file:///app/main.js', line: 2, column: 1 });
    expect(json.nodes[0].locationSource).toBe('definition');
  });
});

describe('lookupOrder', () => {
  it('puts leaves first and one frame of each function before repeats', () => {
    const main = node('async-function', 'main', 10);
    const all = node('combinator', 'Promise.all', null, [main], { combinator: 'all' });
    const worker1 = node('async-function', 'worker', 5, [all]);
    const worker2 = node('async-function', 'worker', 5, [all]);
    const wait1 = node('async-function', 'wait', 1, [worker1]);
    const wait2 = node('async-function', 'wait', 1, [worker2]);
    const pending = node('promise', 'Promise', null, [wait1]);
    const order = lookupOrder([main, all, worker1, worker2, wait1, wait2, pending]).map((n) => n.id);
    // first of each function: leaf `wait` before non-leaves `main`, `worker`; then repeats
    expect(order).toEqual([wait1.id, main.id, worker1.id, wait2.id, worker2.id]);
  });
});

describe('locationNote', () => {
  const stats = { snapshotBytes: 1, heapNodes: 1, locationBudgetMs: 1000, locationLookupMs: 900, exactLocations: 3, definitionLocations: 0 };
  /** Frames placed exactly, by inference and at their definition, and a .then step (never counted). */
  const withFrames = (exact: number, inferred: number, definition: number, extra: Partial<typeof stats> = {}) => {
    const sources = [...Array(exact).fill('exact'), ...Array(inferred).fill('inferred'), ...Array(definition).fill('definition')];
    const frames = sources.map((_, i) => node('async-function', `f${i}`, i + 1));
    const step = node('then', 'onDone', 40, [frames[0]]);
    const built = { ...doc([...frames, step]), stats: { ...stats, ...extra } };
    built.nodes.forEach((n, i) => (n.locationSource = i < sources.length ? sources[i] : 'definition'));
    return built;
  };

  it('says how many frames were placed without a lookup, and what budget would cover them all', () => {
    // 300 ms a lookup, 8 frames, 20 % to spare: 2880 → 3000.
    expect(locationNote(withFrames(3, 4, 1))).toBe(
      'note: 5 of 8 frames not located exactly (4 inferred from the source, 1 at their definition); --location-budget 3000 buys exact locations, at the cost of target time',
    );
    expect(renderTree(withFrames(3, 4, 1), { colors: false, cwd: '/app' }).trimEnd().split('\n').at(-1)).toMatch(/^note: 5 of 8 frames/);
  });

  it('counts an inferred frame at the place V8 gave a twin of it as located', () => {
    const twins = [node('async-function', 'handle', 7), node('async-function', 'handle', 7)];
    const built = { ...doc(twins), stats };
    built.nodes[0].locationSource = 'exact';
    built.nodes[1].locationSource = 'inferred';
    expect(locationNote(built)).toBeUndefined();
  });

  it('names no number when no lookup was made, and says nothing when every frame is exact', () => {
    expect(locationNote(withFrames(0, 2, 0, { exactLocations: 0, locationLookupMs: 0 }))).toMatch(/^note: 2 of 2 frames .*; a larger --location-budget buys/);
    expect(locationNote(withFrames(3, 0, 0))).toBeUndefined();
  });
});

describe('observer steps', () => {
  it('draws a .catch that only observes an awaited promise on that promise, not as a root', () => {
    const query = node('async-function', 'query', 23);
    const observer = node('then', '(anonymous)', 27, [], { thenMethod: 'catch' });
    const leaf = node('promise', 'Promise', null, [query, observer]);
    expect(renderTree(doc([query, observer, leaf]), { colors: false, cwd: '/app' })).toBe(`\
pid 42, node v20.0.0 — 1 suspended frame, 1 pending promise
└── query  (defined at main.js:23:1)
    └── Promise <pending>  (also observed by .catch((anonymous)))
`);
  });

  it('keeps a step that is the only consumer of its promise as a root', () => {
    const step = node('then', 'onDone', 5, [], { thenMethod: 'then' });
    const leaf = node('promise', 'Promise', null, [step]);
    expect(renderTree(doc([step, leaf]), { colors: false, cwd: '/app' })).toContain('└── .then(onDone)');
  });
});

describe('keep-alive lines', () => {
  const signal = (id: number, name: string) => ({ id, kind: 'signal' as const, className: 'Signal', description: `${name} handler`, state: 'unref()ed', active: false, wakes: [] });
  const socket = (id: number, port: number) => ({
    id,
    kind: 'socket' as const,
    className: 'Socket',
    description: `TCP socket 127.0.0.1:${port} → 127.0.0.1:8080`,
    state: 'reading',
    active: true,
    wakes: [],
  });
  const withHandles = (keepAlive: unknown[]) => ({ ...doc([]), keepAlive }) as Parameters<typeof renderTree>[0];

  it('counts a service’s signal handlers, and names two or three of them', () => {
    const many = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2', 'SIGQUIT'].map((name, i) => signal(i + 1, name));
    expect(renderTree(withHandles(many), { colors: false, cwd: '/app' })).toContain(
      '(and 5 that do not keep it alive: 5 signal handlers (SIGINT, SIGTERM, SIGHUP, …))',
    );
    expect(renderTree(withHandles(many.slice(0, 2)), { colors: false, cwd: '/app' })).toContain(
      '(and 2 that do not keep it alive: SIGINT handler, unref()ed; SIGTERM handler, unref()ed)',
    );
  });

  it('draws sockets that differ only in their own port as one line with a count', () => {
    const out = renderTree(withHandles([socket(1, 40001), socket(2, 40002), socket(3, 40003)]), { colors: false, cwd: '/app' });
    expect(out).toContain('\n  TCP socket 127.0.0.1:… → 127.0.0.1:8080, reading  × 3\n');
  });
});
