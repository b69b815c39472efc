// Output for a person: TypeScript through source maps (a .map file and an inline map), inferred
// await locations past the location budget, identical chains collapsed, and every --format, on
// real targets. The TypeScript fixtures run on every Node major the suite targets; the rest on the
// first one (what they test does not depend on V8).

import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { displayLocation, parseDocument, sourceAt, splitTree, treeText, type AwaitGraphDocument } from '../helpers/graph.js';
import { describeRun, expectAlive, fixtureForSuite, runCli } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');
const graphviz = spawnSync('dot', ['-V']).error === undefined;

interface TsCase {
  fixture: string;
  source: string;
  generated: string;
  tree: string[];
}

const TS_CASES: TsCase[] = [
  {
    fixture: 'ts/out/service.js',
    source: 'fixtures/ts/src/service.ts',
    generated: 'fixtures/ts/out/service.js',
    tree: [
      '└── main  fixtures/ts/src/service.ts:35:3',
      '    └── Promise.all',
      '        └── Api.handle  fixtures/ts/src/service.ts:28:24  × 2',
      '            └── Repository.find  fixtures/ts/src/service.ts:19:22',
      '                └── Promise <pending>',
    ],
  },
  {
    fixture: 'ts/out/inline-worker.js',
    source: 'fixtures/ts/src/inline-worker.ts',
    generated: 'fixtures/ts/out/inline-worker.js',
    tree: [
      '└── work  fixtures/ts/src/inline-worker.ts:29:17',
      '    └── nextJob  fixtures/ts/src/inline-worker.ts:24:10',
      '        └── Promise <pending>',
    ],
  },
];

// Room for the exact lookups on a loaded machine (see graph.test.ts); `0` means none at all.
const EXACT = ['--location-budget', '10000'];
const INFERRED = ['--location-budget', '0'];

const FRAME_KINDS = new Set(['async-function', 'async-generator', 'module']);

/**
 * The forest lines of `attach` output below the header, without what other features add and these
 * tests are not about: what holds a pending promise (`  ← held in …`) and the lines after the
 * forest (what keeps the event loop alive).
 */
function forest(stdout: string): string {
  const lines = splitTree(stdout).body.split('\n');
  return treeText(lines.filter((line) => /^(?:[│ ] {3})*[├└]── /.test(line)).map((line) => line.replace(/ {2}← .*$/, '')));
}

/** Every frame's location, original and generated, points at an `await` in the respective file. */
function checkTsDocument(c: TsCase, doc: AwaitGraphDocument, source: 'exact' | 'inferred', context: string) {
  const frames = doc.nodes.filter((node) => FRAME_KINDS.has(node.kind));
  expect(frames.length, context).toBeGreaterThan(0);
  for (const frame of frames) {
    expect(frame.locationSource, context).toBe(source);
    expect(displayLocation(frame.location).startsWith(`${c.source}:`), context).toBe(true);
    expect(sourceAt(c.source, frame.location!.line, frame.location!.column), context).toMatch(/^await /);
    expect(frame.generatedLocation, context).toBeDefined();
    const generated = displayLocation(frame.generatedLocation!);
    expect(generated.startsWith(`${c.generated}:`), context).toBe(true);
    expect(sourceAt(c.generated, frame.generatedLocation!.line, frame.generatedLocation!.column), context).toMatch(/^await /);
    // The lines really differ: the map was needed.
    expect(frame.generatedLocation!.line, context).not.toBe(frame.location!.line);
  }
}

describe.each(nodeTargets)('node $major: TypeScript through source maps', ({ path }) => {
  for (const c of TS_CASES) {
    describe.concurrent(c.fixture, () => {
      const target = fixtureForSuite(path, c.fixture);

      it.sequential('attach shows .ts lines, exact', async () => {
        const run = await runCli(['attach', String(target().pid), '--no-color', ...EXACT]);
        const context = describeRun(run);
        expect(run.code, context).toBe(0);
        expect(forest(run.stdout), context).toBe(treeText(c.tree));
        const json = await runCli(['attach', String(target().pid), '--json', ...EXACT]);
        expect(json.code, describeRun(json)).toBe(0);
        checkTsDocument(c, parseDocument(json.stdout), 'exact', describeRun(json));
        await expectAlive(target());
      });

      it.sequential('with no location budget, reads the same .ts lines from the source (each function has one await)', async () => {
        const run = await runCli(['attach', String(target().pid), '--no-color', ...INFERRED]);
        const context = describeRun(run);
        expect(run.code, context).toBe(0);
        // A single await is the only place its function can be suspended: exact, with no lookup.
        expect(forest(run.stdout), context).toBe(treeText(c.tree));
        const json = await runCli(['attach', String(target().pid), '--json', ...INFERRED]);
        expect(json.code, describeRun(json)).toBe(0);
        const doc = parseDocument(json.stdout);
        checkTsDocument(c, doc, 'exact', describeRun(json));
        expect(doc.stats?.locationLookups, describeRun(json)).toBe(0);
        expect(doc.stats?.exactLocations, describeRun(json)).toBe(doc.nodes.filter((n) => FRAME_KINDS.has(n.kind)).length);
        await expectAlive(target());
      });
    });
  }
});

describe.runIf(nodeTargets.length > 0)('collapse and formats', () => {
  const { path } = nodeTargets[0];

  describe.concurrent('collapse.js: 500 identical chains, 200 identical roots', () => {
    const target = fixtureForSuite(path, 'collapse.js');

    it.sequential('prints each chain once, with its count', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', ...INFERRED], { timeoutMs: 40_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(splitTree(run.stdout).header, context).toMatch(/\b1201 suspended frames, 700 pending promises$/);
      expect(forest(run.stdout), context).toBe(
        treeText([
          '└── poll  fixtures/collapse.js:20:3  × 200',
          '    └── Promise <pending>',
          '└── main  fixtures/collapse.js:26:3',
          '    └── Promise.all',
          '        └── handle  fixtures/collapse.js:15:15 (inferred)  × 500',
          '            └── fetchRow  fixtures/collapse.js:10:15',
          '                └── Promise <pending>',
        ]),
      );
      await expectAlive(target());
    });

    it.sequential('with the default budget too (exact and inferred twins are one group)', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color'], { timeoutMs: 40_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const lines = forest(run.stdout).trimEnd().split('\n');
      expect(lines.length, context).toBeLessThanOrEqual(7);
      expect(run.stdout.split('\n').length, context).toBeLessThan(20);
      expect(lines.some((line) => /^ {8}└── handle {2}fixtures\/collapse\.js:15:15(?: \(inferred\))? {2}× 500$/.test(line)), context).toBe(true);
      expect(lines.some((line) => /^└── poll {2}fixtures\/collapse\.js:20:3(?: \(inferred\))? {2}× 200$/.test(line)), context).toBe(true);
    });

    it.sequential('JSON keeps every node, plus the groups', async () => {
      const run = await runCli(['attach', String(target().pid), '--json', ...INFERRED], { timeoutMs: 40_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      const doc = parseDocument(run.stdout);
      // main, Promise.all, 500 × (handle, fetchRow, Promise), 200 × (poll, Promise)
      expect(doc.nodes.length, context).toBe(1902);
      const sizes = (doc.groups ?? []).map((group) => group.members.length).sort((a, b) => a - b);
      expect(sizes, context).toEqual([200, 500]);
      const all = doc.nodes.find((node) => node.kind === 'combinator')!;
      expect(doc.groups!.find((group) => group.members.length === 500)!.awaiter, context).toBe(all.id);
      expect(doc.groups!.find((group) => group.members.length === 200)!.awaiter, context).toBeNull();
    });

    it.sequential('table merges the identical rows', async () => {
      const run = await runCli(['attach', String(target().pid), '--format', 'table', ...INFERRED], { timeoutMs: 40_000 });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stdout.split('\n')[0], context).toMatch(/^FUNCTION +LOCATION +AWAITER +AWAITER LOCATION +COUNT$/);
      expect(run.stdout, context).toMatch(/^handle +fixtures\/collapse\.js:15:15 \(inferred\) +Promise\.all +- +× 500$/m);
      expect(run.stdout.trimEnd().split('\n').length, context).toBe(8);
    });
  });

  describe.concurrent('formats and filters on demo-service.js', () => {
    const target = fixtureForSuite(path, 'demo-service.js');

    it.sequential('--format dot is valid Graphviz input', async () => {
      const run = await runCli(['attach', String(target().pid), '--format', 'dot', ...EXACT]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stdout, context).toMatch(/^digraph asyncgraph \{\n/);
      expect(run.stdout, context).toContain('label="handleRequest\\nfixtures/demo-service.js:59:21\\n× 2"');
      if (graphviz) {
        const svg = spawnSync('dot', ['-Tsvg'], { input: run.stdout, encoding: 'utf8', timeout: 20_000 });
        expect(svg.status, `${svg.stderr}\n${context}`).toBe(0);
        expect(svg.stdout).toContain('<svg');
      }
    });

    it.sequential('--format mermaid and --format table', async () => {
      const mermaid = await runCli(['attach', String(target().pid), '--format', 'mermaid', ...EXACT]);
      expect(mermaid.code, describeRun(mermaid)).toBe(0);
      expect(mermaid.stdout, describeRun(mermaid)).toMatch(/^flowchart TD\n/);
      expect(mermaid.stdout, describeRun(mermaid)).toContain('["handleRequest<br/>fixtures/demo-service.js:59:21<br/>× 2"]');
      const table = await runCli(['attach', String(target().pid), '--format', 'table', ...EXACT]);
      expect(table.code, describeRun(table)).toBe(0);
      expect(table.stdout, describeRun(table)).toMatch(/^Pool\.acquire +fixtures\/demo-service\.js:19:5 +query +fixtures\/demo-service\.js:32:3 +× 4$/m);
    });

    it.sequential('--filter and --depth; snapshot --format tree; hyperlinks when forced', async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', '--filter', 'loadOrders', '--depth', '6', ...EXACT]);
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(forest(run.stdout), context).toBe(
        treeText([
          '└── main  fixtures/demo-service.js:65:3',
          '    └── Promise.all',
          '        └── handleRequest  fixtures/demo-service.js:59:21  × 2',
          '            └── loadDashboard  fixtures/demo-service.js:54:26',
          '                └── Promise.all',
          '                    └── loadOrders  fixtures/demo-service.js:49:18  …',
        ]),
      );
      // The header says what the view hides: what it shows of what the process has.
      expect(splitTree(run.stdout).header, context).toMatch(/ — idle in event loop, --filter loadOrders --depth 6 shows 7 of 15 suspended frames, 0 of 4 pending promises$/);
      const none = await runCli(['attach', String(target().pid), '--no-color', '--filter', 'no such frame', ...EXACT]);
      expect(none.code, describeRun(none)).toBe(0);
      expect(splitTree(none.stdout).header, describeRun(none)).toMatch(/ — idle in event loop, --filter "no such frame" shows 0 of 15 suspended frames, 0 of 4 pending promises$/);
      expect(splitTree(none.stdout).body.split('\n')[0], describeRun(none)).toBe('(--filter "no such frame" matched nothing among 15 suspended frames and 4 pending promises)');
      // A format without a header says it on stderr.
      const table = await runCli(['attach', String(target().pid), '--format', 'table', '--filter', 'nomatch', ...EXACT]);
      expect(table.stdout, describeRun(table)).toBe('FUNCTION  LOCATION  AWAITER  AWAITER LOCATION\n');
      expect(table.stderr, describeRun(table)).toContain('asyncgraph: note: --filter nomatch matched nothing among 15 suspended frames and 4 pending promises\n');
      const snapshot = await runCli(['snapshot', '--pid', String(target().pid), '--format', 'tree', '--depth', '1', '--no-color', ...EXACT]);
      expect(snapshot.code, describeRun(snapshot)).toBe(0);
      expect(forest(snapshot.stdout), describeRun(snapshot)).toBe(treeText(['└── main  fixtures/demo-service.js:65:3  …']));
      // Paths are relative to the target's working directory, wherever asyncgraph runs.
      const elsewhere = await runCli(['attach', String(target().pid), '--depth', '1', '--no-color', ...EXACT], { cwd: tmpdir() });
      expect(forest(elsewhere.stdout), describeRun(elsewhere)).toBe(treeText(['└── main  fixtures/demo-service.js:65:3  …']));
      const linked = await runCli(['attach', String(target().pid), '--depth', '1', ...EXACT], { env: { FORCE_HYPERLINK: '1' } });
      expect(linked.stdout, describeRun(linked)).toContain(`\x1b]8;;file://`);
      expect(linked.stdout, describeRun(linked)).toContain('/fixtures/demo-service.js\x1b\\fixtures/demo-service.js:65:3\x1b]8;;\x1b\\');
    });
  });

  describe('usage', () => {
    it('every command has --help with examples', async () => {
      for (const args of [['--help'], ['attach', '--help'], ['snapshot', '--help'], ['run', '--help']]) {
        const run = await runCli(args);
        expect(run.code, describeRun(run)).toBe(0);
        expect(run.stdout, describeRun(run)).toMatch(/\nExamples:\n {2}asyncgraph /);
      }
      const attach = await runCli(['attach', '--help']);
      for (const option of ['--format <format>', '--depth <n>', '--filter <text>', '--no-internals', '--no-hyperlinks']) {
        expect(attach.stdout).toContain(option);
      }
    });

    it('refuses contradicting or bad view options', async () => {
      for (const args of [
        ['attach', '1', '--json', '--format', 'dot'],
        ['attach', '1', '--format', 'svg'],
        ['attach', '1', '--depth', '0'],
        ['attach', '1', '--children', '--format', 'table'],
      ]) {
        const run = await runCli(args);
        expect(run.code, describeRun(run)).toBe(2);
      }
    });
  });
});
