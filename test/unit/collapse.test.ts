import { describe, expect, it } from 'vitest';
import { foldGroups, withGroups } from '../../src/views/collapse.js';
import { buildDocument } from '../../src/document/document.js';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import type { AwaitNode } from '../../src/schema.js';
import { renderJson } from '../../src/render/json.js';
import { renderTree } from '../../src/render/tree.js';
import { documentOf, node, serviceDocument } from '../helpers/documents.js';
import { siblingGroups, subtreeSignatures } from '../../src/document/sibling-groups.js';

/** main → Promise.all → `count` × (handle → fetchRow → Promise), ids from 1. */
function server(count: number): AwaitNode[] {
  const nodes = [
    node({ id: 1, kind: 'async-function', name: 'main', at: 'server.js:26:3' }),
    node({ id: 2, kind: 'combinator', name: 'Promise.all', combinator: 'all', by: [1] }),
  ];
  for (let i = 0; i < count; i++) {
    const base = 10 + i * 3;
    nodes.push(
      node({ id: base, kind: 'async-function', name: 'handle', at: 'server.js:15:15', by: [2] }),
      node({ id: base + 1, kind: 'async-function', name: 'fetchRow', at: 'server.js:10:15', by: [base] }),
      node({ id: base + 2, kind: 'promise', name: 'Promise', by: [base + 1] }),
    );
  }
  return nodes;
}

const tree = (nodes: AwaitNode[], collapse?: boolean) =>
  renderTree(documentOf(nodes), { colors: false, cwd: '/app', ...(collapse === false ? { collapse } : {}) });

describe('collapse in the tree', () => {
  it('prints ten thousand identical chains once, with × 10000', () => {
    // How long it takes at scale is measured by `npm run bench`, not asserted here (a loaded CI
    // machine makes any time bound flaky).
    const out = tree(server(10_000));
    expect(out).toBe(`\
pid 42, node v20.0.0 — 20001 suspended frames, 10000 pending promises
└── main  server.js:26:3
    └── Promise.all
        └── handle  server.js:15:15  × 10000
            └── fetchRow  server.js:10:15
                └── Promise <pending>
`);
  });

  it('can be turned off', () => {
    expect(tree(server(3), false).split('\n').filter((line) => line.includes('handle'))).toHaveLength(3);
  });

  it('groups identical roots, and nested groups inside a group', () => {
    const nodes = [
      ...[1, 2, 3].map((id) => node({ id, kind: 'async-function', name: 'poll', at: 'jobs.js:4:3' })),
      ...[1, 2, 3].flatMap((parent) => [
        node({ id: parent * 10, kind: 'combinator', name: 'Promise.all', combinator: 'all', by: [parent] }),
        node({ id: parent * 10 + 1, kind: 'async-function', name: 'tick', at: 'jobs.js:1:20', by: [parent * 10] }),
        node({ id: parent * 10 + 2, kind: 'async-function', name: 'tick', at: 'jobs.js:1:20', by: [parent * 10] }),
      ]),
    ];
    expect(tree(nodes)).toBe(`\
pid 42, node v20.0.0 — 9 suspended frames, 0 pending promises
└── poll  jobs.js:4:3  × 3
    └── Promise.all
        └── tick  jobs.js:1:20  × 2
`);
  });

  it('groups leaves that name the same first waker and more, however many more: `(+more)`', () => {
    const socket = { kind: 'socket' as const, description: 'TCP socket' };
    const more = (k: number) => ({ kind: 'variable' as const, description: `held in handlers[${k}]` });
    const nodes = [1, 2, 3].flatMap((request) => [
      node({ id: request * 10, kind: 'async-function', name: 'loadFeed', at: 'feed.js:3:20' }),
      node({
        id: request * 10 + 1,
        kind: 'promise',
        name: 'Promise',
        by: [request * 10],
        settlement: { verdict: 'can-settle', reason: '', wakers: [socket, ...[1, 2, request === 3 ? 0 : 3].filter(Boolean).map(more)] },
      }),
    ]);
    expect(tree(nodes)).toBe(`\
pid 42, node v20.0.0 — 3 suspended frames, 3 pending promises
└── loadFeed  feed.js:3:20  × 3
    └── Promise <pending>  ← TCP socket (+more)
`);
    // Drawn alone, a leaf says how many.
    expect(tree(nodes.slice(4))).toContain('← TCP socket (+2 more)');
  });

  it('tells apart subtrees that differ anywhere below, and never groups a shared node with another, nor cycles', () => {
    const nodes = [
      node({ id: 1, kind: 'combinator', name: 'Promise.all', combinator: 'all' }),
      node({ id: 2, kind: 'async-function', name: 'handle', at: 'a.js:5:3', by: [1] }),
      node({ id: 3, kind: 'async-function', name: 'handle', at: 'a.js:5:3', by: [1] }),
      node({ id: 4, kind: 'async-function', name: 'handle', at: 'a.js:5:3', by: [1] }),
      node({ id: 5, kind: 'async-function', name: 'read', at: 'a.js:1:3', by: [2] }),
      node({ id: 6, kind: 'async-function', name: 'read', at: 'a.js:2:3', by: [3] }),
      // awaited by two handles: drawn once, then "(shown above)"
      node({ id: 7, kind: 'async-function', name: 'shared', at: 'a.js:9:3', by: [4, 8] }),
      node({ id: 8, kind: 'async-function', name: 'other', at: 'a.js:7:3' }),
    ];
    expect(tree(nodes)).toBe(`\
pid 42, node v20.0.0 — 7 suspended frames, 0 pending promises
└── other  a.js:7:3
    └── shared  a.js:9:3
└── Promise.all
    ├── handle  a.js:5:3
    │   └── read  a.js:1:3
    ├── handle  a.js:5:3
    │   └── read  a.js:2:3
    └── handle  a.js:5:3
        └── shared  a.js:9:3  (shown above)
`);
    const signatures = subtreeSignatures(documentOf(nodes).nodes);
    // A shared node is equal only to itself; what awaits it is alike only down to the same node.
    expect([...signatures.values()].filter((value) => value === signatures.get(7))).toHaveLength(1);
    expect(new Set([2, 3, 4].map((id) => signatures.get(id))).size).toBe(3);
    const cycle = documentOf([
      node({ id: 1, kind: 'async-function', name: 'stepA', at: 'c.js:1:1', by: [2] }),
      node({ id: 2, kind: 'async-function', name: 'stepB', at: 'c.js:2:1', by: [1] }),
    ]);
    expect([...subtreeSignatures(cycle.nodes).values()].every((value) => value < 0)).toBe(true);
  });

  it('folds chains that meet: separate roots alike down to the one promise they all await', () => {
    const nodes = [node({ id: 1, kind: 'promise', name: 'Promise', by: [] })];
    for (let i = 0; i < 2000; i++) {
      const base = 10 + i * 3;
      nodes.push(
        node({ id: base, kind: 'async-function', name: 'handle', at: 'svc.js:20:19' }),
        node({ id: base + 1, kind: 'async-function', name: 'loadProfile', at: 'svc.js:15:19', by: [base] }),
        node({ id: base + 2, kind: 'async-function', name: 'queryUpstream', at: 'svc.js:11:10', by: [base + 1] }),
      );
      nodes[0].awaitedBy.push(base + 2);
    }
    expect(tree(nodes)).toBe(`\
pid 42, node v20.0.0 — 6000 suspended frames, 1 pending promise
└── handle  svc.js:20:19  × 2000
    └── loadProfile  svc.js:15:19
        └── queryUpstream  svc.js:11:10
            └── Promise <pending>
`);
    // Two chains that differ above the meeting point stay apart; the second refers to the first.
    const two = [
      node({ id: 1, kind: 'promise', name: 'Promise', by: [3, 5] }),
      node({ id: 2, kind: 'async-function', name: 'handle', at: 'svc.js:20:19' }),
      node({ id: 3, kind: 'async-function', name: 'queryUpstream', at: 'svc.js:11:10', by: [2] }),
      node({ id: 4, kind: 'async-function', name: 'cron', at: 'svc.js:30:3' }),
      node({ id: 5, kind: 'async-function', name: 'queryUpstream', at: 'svc.js:11:10', by: [4] }),
    ];
    expect(tree(two)).toContain('└── cron  svc.js:30:3\n    └── queryUpstream  svc.js:11:10\n        └── Promise <pending>  (shown above)\n');
    // The JSON keeps every node and lists the group; DOT/mermaid keep the shared promise once.
    expect(siblingGroups(documentOf(nodes).nodes)[0]).toMatchObject({ awaiter: null });
    expect(siblingGroups(documentOf(nodes).nodes)[0].members).toHaveLength(2000);
    const folded = foldGroups(documentOf(nodes).nodes);
    expect(folded.nodes.map((n) => n.name).sort()).toEqual(['Promise', 'handle', 'loadProfile', 'queryUpstream']);
  });

  it('groups a frame located exactly with twins whose location was inferred, and shows the exact one', () => {
    const nodes = [
      node({ id: 1, kind: 'combinator', name: 'Promise.all', combinator: 'all' }),
      node({ id: 2, kind: 'async-function', name: 'handle', at: 'a.js:5:3', locationSource: 'inferred', by: [1] }),
      node({ id: 3, kind: 'async-function', name: 'handle', at: 'a.js:5:3', state: 'suspended', by: [1] }),
      node({ id: 4, kind: 'async-function', name: 'handle', at: 'a.js:2:20', locationSource: 'definition', by: [1] }),
    ];
    expect(tree(nodes)).toBe(`\
pid 42, node v20.0.0 — 3 suspended frames, 0 pending promises
└── Promise.all
    ├── handle  (defined at a.js:2:20)
    └── handle  a.js:5:3  × 2
`);
  });
});

describe('groups in the document', () => {
  it('buildDocument lists every group of two or more identical siblings; nodes are all kept', () => {
    let id = 1;
    const found = (kind: FoundNode['kind'], name: string, awaitedBy: number[], line: number | null): FoundNode => ({
      id: id++,
      heapNode: 0,
      kind,
      name,
      definition: line === null ? null : { scriptId: 1, line, column: 0 },
      awaitedBy,
    });
    const main = found('async-function', 'main', [], 20);
    const all = found('combinator', 'Promise.all', [main.id], null);
    const handles = [0, 1, 2].map(() => found('async-function', 'handle', [all.id], 10));
    const leaves = handles.map((handle) => found('promise', 'Promise', [handle.id], null));
    const doc = buildDocument({
      nodes: [main, all, ...handles, ...leaves],
      scriptUrls: new Map([['1', 'file:///app/main.js']]),
      exact: new Map(),
      target: { pid: 1, nodeVersion: null, url: 'ws://x' },
      capturedAt: new Date(0),
      toolVersion: 'test',
    });
    expect(doc.nodes).toHaveLength(8);
    expect(doc.groups).toEqual([{ id: 1, awaiter: all.id, members: handles.map((h) => h.id) }]);
    expect(Object.keys(JSON.parse(renderJson(doc)))).toEqual(['schemaVersion', 'tool', 'target', 'capturedAt', 'nodes', 'cycles', 'groups']);
  });

  it('numbers groups by their first member, roots with a null awaiter', () => {
    expect(serviceDocument().groups).toEqual([{ id: 1, awaiter: 2, members: [3, 4] }]);
    const roots = documentOf([1, 2].map((id) => node({ id, kind: 'async-function', name: 'poll', at: 'a.js:1:1' })));
    expect(roots.groups).toEqual([{ id: 1, awaiter: null, members: [1, 2] }]);
    expect(siblingGroups([])).toEqual([]);
  });

  it('withGroups recomputes them in place and keeps fields it does not know', () => {
    const doc = { ...serviceDocument(), groups: [], extra: { kept: true } } as ReturnType<typeof serviceDocument>;
    const again = withGroups(doc);
    expect(again.groups).toEqual(serviceDocument().groups);
    expect(Object.keys(again)).toEqual(Object.keys(doc));
  });

  it('foldGroups keeps one member per group (the exact one) and drops the others with their subtrees', () => {
    const { nodes, counts } = foldGroups(server(4));
    expect(nodes.map((n) => n.id)).toEqual([1, 2, 10, 11, 12]);
    expect([...counts]).toEqual([[10, 4]]);
  });
});

describe('siblingGroups against its definition on random graphs', () => {
  /** Deterministic pseudo-random numbers (a test that fails can be replayed). */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  /** Forests of few shapes (so twins are common), with shared nodes, cycles and dangling awaiters. */
  function randomNodes(seed: number): AwaitNode[] {
    const next = random(seed);
    const count = 2 + Math.floor(next() * 40);
    const nodes: AwaitNode[] = [];
    for (let id = 1; id <= count; id++) {
      const by: number[] = [];
      const roll = next();
      if (roll < 0.75 && id > 1) by.push(1 + Math.floor(next() * (id - 1)));
      if (roll > 0.93) by.push(1 + Math.floor(next() * count)); // anywhere: sharing or a cycle
      if (roll > 0.98) by.push(999); // an awaiter that is not in the list
      const name = ['a', 'b'][Math.floor(next() * 2)];
      nodes.push(node({ id, kind: 'async-function', name, at: `x.js:${1 + Math.floor(next() * 2)}:1`, by }));
    }
    return nodes;
  }

  /** The definition: a subtree's text, or null when it is not a plain tree. */
  function referenceGroups(nodes: AwaitNode[]) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const kids = (id: number) => nodes.filter((n) => n.awaitedBy.includes(id));
    const memo = new Map<number, string | null>();
    const text = (n: AwaitNode, path: Set<number>): string | null => {
      if (path.has(n.id)) return null;
      if (memo.has(n.id)) return memo.get(n.id)!;
      path.add(n.id);
      const below = kids(n.id).map((kid) => text(kid, path));
      path.delete(n.id);
      const plain = n.awaitedBy.every((id) => byId.has(id)) && below.every((t) => t !== null);
      // A node on a cycle is never plain: it reaches itself.
      const onCycle = reaches(n.id, n.id);
      // A shared node is equal only to itself.
      const self = n.awaitedBy.length > 1 ? `#${n.id}` : `${n.name}@${n.location!.line}(${(below as string[]).sort().join(',')})`;
      const value = plain && !onCycle ? self : null;
      memo.set(n.id, value);
      return value;
    };
    const reaches = (from: number, target: number): boolean => {
      const seen = new Set<number>();
      const work = kids(from).map((k) => k.id);
      while (work.length > 0) {
        const id = work.pop()!;
        if (id === target) return true;
        if (seen.has(id)) continue;
        seen.add(id);
        work.push(...kids(id).map((k) => k.id));
      }
      return false;
    };
    const groups: { awaiter: number | null; members: number[]; first: number }[] = [];
    const collect = (awaiter: number | null, siblings: AwaitNode[]) => {
      const byText = new Map<string, AwaitNode[]>();
      for (const sibling of siblings) {
        const t = text(sibling, new Set());
        if (t === null) continue;
        byText.set(t, [...(byText.get(t) ?? []), sibling]);
      }
      for (const members of byText.values()) {
        if (members.length > 1) groups.push({ awaiter, members: members.map((m) => m.id).sort((a, b) => a - b), first: nodes.indexOf(members[0]) });
      }
    };
    collect(null, nodes.filter((n) => n.awaitedBy.length === 0));
    for (const n of nodes) collect(n.id, kids(n.id));
    return groups.sort((a, b) => a.first - b.first).map(({ awaiter, members }, i) => ({ id: i + 1, awaiter, members }));
  }

  it('finds exactly the groups of identical plain subtrees, numbered by first member', () => {
    let grouped = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const nodes = randomNodes(seed);
      const expected = referenceGroups(nodes);
      grouped += expected.length;
      expect(siblingGroups(nodes), `seed ${seed}`).toEqual(expected);
    }
    expect(grouped).toBeGreaterThan(100); // the generator does make twins
  });
});
