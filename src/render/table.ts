// `--format table`: one row per awaited-by edge, like `python -m asyncio ps` — what each frame
// is, where it is suspended, and who awaits it. Pure.

import { displayName } from '../document/order.js';
import { readingOrder } from './graph-common.js';
import type { AwaitGraphDocument, AwaitNode } from '../schema.js';
import { nodeLocationText, visibleText, type LocationStyle } from './location.js';

export type TableOptions = LocationStyle;

const HEADINGS = ['FUNCTION', 'LOCATION', 'AWAITER', 'AWAITER LOCATION'];

/**
 * Rows in the tree's reading order (each node where the tree first draws it, then its awaiters);
 * a root gets one row with `-` as its awaiter. Identical rows (the same function at the same
 * place awaited by the same function at the same place, as in ten thousand identical requests)
 * are printed once, and a COUNT column says how many there are. Locations inferred from the
 * source (past the location budget) are marked `(inferred)`.
 */
export function renderTable(doc: AwaitGraphDocument, options: TableOptions = {}): string {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const order = readingOrder(doc.nodes);
  const rank = new Map(order.map((node, index) => [node.id, index]));
  const where = (node: AwaitNode | undefined) => (node ? nodeLocationText(node, options) || '-' : '-');
  const rows: { cells: string[]; count: number }[] = [];
  const index = new Map<string, number>();
  // Rows that differ only in whether a location was read from V8 or inferred are the same row;
  // each cell shows the exact location if any of them has it.
  const add = (cells: string[]) => {
    const key = cells.map((cell) => visibleText(cell).replace(/ \(inferred\)$/, '')).join('\u0000');
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, rows.length);
      rows.push({ cells, count: 1 });
      return;
    }
    const row = rows[at];
    row.count++;
    row.cells = row.cells.map((cell, i) => (cell.endsWith(' (inferred)') ? cells[i] : cell));
  };
  for (const node of order) {
    if (node.awaitedBy.length === 0) {
      add([displayName(node), where(node), '-', '-']);
      continue;
    }
    const awaiters = [...node.awaitedBy].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || a - b);
    for (const id of awaiters) {
      const awaiter = byId.get(id);
      add([displayName(node), where(node), awaiter ? displayName(awaiter) : `? (${id})`, where(awaiter)]);
    }
  }
  const counted = rows.some((row) => row.count > 1);
  const table = [
    counted ? [...HEADINGS, 'COUNT'] : HEADINGS,
    ...rows.map((row) => (counted ? [...row.cells, row.count > 1 ? `× ${row.count}` : ''] : row.cells)),
  ];
  return formatColumns(table);
}

/** Left-aligned columns two spaces apart, widths by visible text; no trailing spaces. */
function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...visibleText(cell)].length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...visibleText(cell)].length)))
          .join('  ')
          .replace(/ +$/, ''),
      )
      .join('\n') + '\n'
  );
}
