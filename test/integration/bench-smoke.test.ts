// `npm run bench` at a small size, once: the script starts its targets (chains, and the service
// shape), runs the bare client and asyncgraph, and prints its tables. No timing is asserted (these machines are noisy); only that
// every column got a value.

import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnProcess } from '../helpers/processes.js';

describe('npm run bench', () => {
  it('runs at N=2000 and prints the table', async () => {
    const bench = spawnProcess(process.execPath, [join(REPO_ROOT, 'scripts/bench.js'), '--sizes', '2000', '--runs', '1', '--service', '20']);
    const [code] = await once(bench.child, 'exit');
    expect(code, bench.stderr).toBe(0);
    const lines = bench.stdout.split('\n');
    const header = lines.find((line) => line.startsWith('| ') && line.includes('ratio'));
    expect(header, bench.stdout).toBeDefined();
    const columns = header!.split('|').slice(1, -1).map((cell) => cell.trim());
    expect(columns).toEqual(expect.arrayContaining(['N', 'snapshot MB', 'heap nodes', 'bare s', 'ours s', 'ratio', 'RSS MB', 'RSS/snap']));
    const row = lines.find((line) => /^\|\s+2000 \|/.test(line));
    expect(row, bench.stdout).toBeDefined();
    const cells = row!.split('|').slice(1, -1).map((cell) => cell.trim());
    expect(cells).toHaveLength(columns.length);
    for (const cell of cells) expect(cell).toMatch(/^\d/);
    expect(Number(cells[columns.indexOf('graph nodes')])).toBeGreaterThanOrEqual(4 * 2000);
    expect(bench.stdout).toMatch(/^machine: \d+ × .*node v\d+/m);
    const serviceHeader = lines.find((line) => line.startsWith('| ') && line.includes('tree/json'));
    expect(serviceHeader, bench.stdout).toBeDefined();
    const serviceColumns = serviceHeader!.split('|').slice(1, -1).map((cell) => cell.trim());
    const serviceRow = lines.find((line) => /^\|\s+20 × 3 \|/.test(line));
    expect(serviceRow, bench.stdout).toBeDefined();
    const serviceCells = serviceRow!.split('|').slice(1, -1).map((cell) => cell.trim());
    expect(serviceCells).toHaveLength(serviceColumns.length);
    for (const cell of serviceCells) expect(cell).toMatch(/^\d/);
  }, 120_000);
});
