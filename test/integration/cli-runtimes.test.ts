// The CLI itself on every Node major the suite has (users run it with their own node, >= 20.19):
// --help, and an attach to a target on the test's own node.
import { describe, expect, inject, it } from 'vitest';
import { NESTED_EXPECTED, splitTree, treeText } from '../helpers/graph.js';
import { describeRun, fixtureForSuite, runCli } from '../helpers/processes.js';

const nodeTargets = inject('nodeTargets');

describe('the CLI run by each node', () => {
  const target = fixtureForSuite(process.execPath, 'nested.js');

  describe.each(nodeTargets)('node $major', ({ path, major }) => {
    it('--help prints the usage', async () => {
      const run = await runCli(['--help'], { node: path });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stdout, context).toMatch(/^Usage: asyncgraph /);
      expect(run.stderr, context).toBe('');
    });

    it(`attach prints the tree (CLI on node ${major})`, async () => {
      const run = await runCli(['attach', String(target().pid), '--no-color', '--location-budget', '10000'], { node: path });
      const context = describeRun(run);
      expect(run.code, context).toBe(0);
      expect(run.stderr, context).toBe('');
      expect(splitTree(run.stdout).body, context).toBe(treeText(NESTED_EXPECTED.tree));
    });
  });
});
