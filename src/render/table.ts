// `--format table`: one row per awaited-by edge, like `python -m asyncio ps` — what each frame
// is, where it is suspended, and who awaits it. Pure.

import { displayName } from '../document/order.js';
import { readingPositions } from './graph-common.js';
import { awaitsByPositionOf } from '../awaits/await-edges.js';
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
  const nodes = doc.nodes;
  const { position } = awaitsByPositionOf(nodes);
  const order = readingPositions(nodes);
  const rank = new Int32Array(nodes.length).fill(-1);
  order.forEach((at, index) => (rank[at] = index));
  const rankOf = (id: number) => {
    const at = position.get(id);
    return at === -1 ? Infinity : rank[at];
  };
  // A node's two cells (name, location), made once per node; nodes at one place mostly share
  // their location object, whose text is made once.
  const placeTexts = new Map<string, Map<object, string>>();
  const where = (node: AwaitNode) => {
    if (!node.location) return '-';
    let bySource = placeTexts.get(node.locationSource);
    if (!bySource) placeTexts.set(node.locationSource, (bySource = new Map()));
    let text = bySource.get(node.location);
    if (text === undefined) bySource.set(node.location, (text = nodeLocationText(node, options) || '-'));
    return text;
  };
  const names: string[] = [];
  const places: string[] = [];
  const pairs = new CellPairs();
  const pairAt = new Int32Array(nodes.length);
  for (let at = 0; at < nodes.length; at++) {
    names.push(displayName(nodes[at]));
    places.push(where(nodes[at]));
    pairAt[at] = pairs.of(names[at], places[at]);
  }
  const rows: { cells: string[]; count: number }[] = [];
  // Rows that differ only in whether a location was read from V8 or inferred are the same row
  // (keyed by the numbers of their two cell pairs); each cell shows the exact location if any of
  // them has it.
  const index = new Map<number, number>();
  const add = (pair: number, name: string, place: string, awaiterPair: number, awaiterName: string, awaiterPlace: string) => {
    const key = pair * PAIR_LIMIT + awaiterPair;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, rows.length);
      rows.push({ cells: [name, place, awaiterName, awaiterPlace], count: 1 });
      return;
    }
    const row = rows[at];
    row.count++;
    const cells = row.cells;
    if (cells[0].endsWith(' (inferred)')) cells[0] = name;
    if (cells[1].endsWith(' (inferred)')) cells[1] = place;
    if (cells[2].endsWith(' (inferred)')) cells[2] = awaiterName;
    if (cells[3].endsWith(' (inferred)')) cells[3] = awaiterPlace;
  };
  const rootPair = pairs.of('-', '-');
  for (const at of order) {
    const node = nodes[at];
    if (node.awaitedBy.length === 0) {
      add(pairAt[at], names[at], places[at], rootPair, '-', '-');
      continue;
    }
    const awaiters = node.awaitedBy.length === 1 ? node.awaitedBy : [...node.awaitedBy].sort((a, b) => rankOf(a) - rankOf(b) || a - b);
    for (const id of awaiters) {
      const awaiter = position.get(id);
      if (awaiter !== -1) add(pairAt[at], names[at], places[at], pairAt[awaiter], names[awaiter], places[awaiter]);
      else add(pairAt[at], names[at], places[at], pairs.of(`? (${id})`, '-'), `? (${id})`, '-');
    }
  }
  const counted = rows.some((row) => row.count > 1);
  const table = [
    counted ? [...HEADINGS, 'COUNT'] : HEADINGS,
    ...rows.map((row) => (counted ? [...row.cells, row.count > 1 ? `× ${row.count}` : ''] : row.cells)),
  ];
  return formatColumns(table);
}

/** Row keys are two pair numbers in one (fewer pairs than this: at most two per node). */
const PAIR_LIMIT = 2 ** 26;

/** A number per (name, location) pair of cells, equal for cells that read the same (not counting `(inferred)`). */
class CellPairs {
  /** By the cells as printed, then by what they read. */
  private readonly printed = new Map<string, Map<string, number>>();
  private readonly numbers = new Map<string, number>();
  private readonly keys = new Map<string, string>();

  of(name: string, place: string): number {
    let byPlace = this.printed.get(name);
    if (!byPlace) this.printed.set(name, (byPlace = new Map()));
    let number = byPlace.get(place);
    if (number !== undefined) return number;
    const key = `${this.keyOf(name)}\u0000${this.keyOf(place)}`;
    number = this.numbers.get(key);
    if (number === undefined) this.numbers.set(key, (number = this.numbers.size));
    byPlace.set(place, number);
    return number;
  }

  private keyOf(cell: string): string {
    let key = this.keys.get(cell);
    if (key === undefined) this.keys.set(cell, (key = visibleText(cell).replace(/ \(inferred\)$/, '')));
    return key;
  }
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
