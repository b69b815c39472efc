// `npm run bench` at a small size, once: the script starts its targets (chains on both shapes,
// and the service shape), runs the bare client and asyncgraph's three commands, and prints its
// tables. No timing is asserted (these machines are noisy); only that every column got a value.

import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnProcess } from '../helpers/processes.js';

/** The cells of a `| a | b |` table line. */
const cellsOf = (line: string) => line.split('|').slice(1, -1).map((cell) => cell.trim());

describe('npm run bench', () => {
  it('runs at N=2000 and prints a table per shape', async () => {
    const bench = spawnProcess(process.execPath, [join(REPO_ROOT, 'scripts/bench.js'), '--sizes', '2000', '--runs', '1', '--service', '20']);
    const [code] = await once(bench.child, 'exit');
    expect(code, bench.stderr).toBe(0);
    const lines = bench.stdout.split('\n');
    // Each chain shape's table follows its title line: header, rule, then the N=2000 row.
    for (const [shape, minGraphNodes] of [
      ['own', 4 * 2000],
      ['shared', 3 * 2000 + 1],
    ] as const) {
      const title = lines.findIndex((line) => line.startsWith(`${shape} shape: `));
      expect(title, bench.stdout).toBeGreaterThanOrEqual(0);
      const columns = cellsOf(lines[title + 1]!);
      expect(columns).toEqual(
        expect.arrayContaining([
          'N', 'snapshot MB', 'heap nodes', 'graph nodes', 'bare s',
          '-o s', '-o ratio', '-o +s', 'json s', 'json ratio', 'json +s', 'tree s', 'tree ratio', 'tree +s',
          'RSS MB -o/json/tree', 'max RSS/snap', 'stall -o s', 'tree lines',
        ]),
      );
      const cells = cellsOf(lines[title + 3]!);
      expect(cells).toHaveLength(columns.length);
      expect(cells[0]).toBe('2000');
      // "+s" may be negative on a noisy machine.
      for (const cell of cells) expect(cell).toMatch(/^[+-]?\d/);
      expect(Number(cells[columns.indexOf('graph nodes')])).toBeGreaterThanOrEqual(minGraphNodes);
      expect(Number(cells[columns.indexOf('tree lines')])).toBeGreaterThan(0);
    }
    expect(bench.stdout).toMatch(/^machine: \d+ × .*node v\d+/m);
    const serviceHeader = lines.find((line) => line.startsWith('| ') && line.includes('tree/json'));
    expect(serviceHeader, bench.stdout).toBeDefined();
    const serviceColumns = cellsOf(serviceHeader!);
    const serviceRow = lines.find((line) => /^\|\s+20 × 3 \|/.test(line));
    expect(serviceRow, bench.stdout).toBeDefined();
    const serviceCells = cellsOf(serviceRow!);
    expect(serviceCells).toHaveLength(serviceColumns.length);
    for (const cell of serviceCells) expect(cell).toMatch(/^\d/);
  }, 240_000);
});
