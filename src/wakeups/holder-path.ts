import type { HeapReader } from '../snapshot/heap-reader.js';
import type { StepsUp } from './search-tree.js';

// A holder's path down to the resolving function it holds, as the search found it, and its text
// in source terms (`pool.waiters[0]`, `pending.get(…).resolve`, `flush → resolve`). Map keys and
// unusual property names are program data: never printed (docs/safety.md), like values.

/** One step down a found path: `from` holds `to` through `edge`. */
export interface PathStep {
  from: number;
  edge: number;
  to: number;
  /** The edge taken this many times in a row, down a linked list (list-links.ts); else 1. */
  repeat: number;
}

/**
 * Levels of a search (retainer steps, a linked list's run counting as one), at most; and the
 * shortest run of one link a path writes with its count.
 */
export const MAX_SEARCH_DEPTH = 400;

/** The steps from a hit down to the resolving function it holds. */
export function pathDown(top: number, parent: StepsUp): PathStep[] {
  const steps: PathStep[] = [];
  let at = top;
  for (let guard = 0; guard < MAX_SEARCH_DEPTH; guard++) {
    const step = parent.get(at);
    if (!step) break;
    steps.push({ from: at, edge: step.edge, to: step.child, repeat: step.repeat });
    at = step.child;
  }
  return steps;
}

/**
 * The path from a holder down to the resolving function in source terms: variables, property
 * names, indexes, Map keys; a closure's captured variable as `fn → name`.
 */
export function describePath(reader: HeapReader, steps: PathStep[]): string {
  const heap = reader.heap;
  let text = '';
  for (let i = 0; i < steps.length; i++) {
    const { from, edge, to } = steps[i];
    const type = heap.edgeType(edge);
    const name = heap.edgeName(edge);
    if (i === steps.length - 1 && to !== undefined && !text && type === reader.contextEdge) {
      text = String(name);
      continue;
    }
    if (type === reader.contextEdge) {
      text = text ? `${text} → ${String(name)}` : String(name);
    } else if (type === reader.elementEdge) {
      text += `[${String(name)}]`;
    } else if (type === reader.propertyEdge) {
      const key = String(name);
      if (key === '_events' && i === 0) continue;
      text += linkRun(propertyText(key, text === ''), propertyText(key, false), steps[i].repeat);
    } else if (name === 'table') {
      // Map/Set: the next step is a slot of the table.
      const slot = steps[i + 1];
      const kind = reader.className(from);
      if (slot && kind === 'Map') {
        // Map keys are program data: never printed (docs/safety.md), like values.
        text += '.get(…)';
        i++;
      } else if (slot) {
        text += kind === 'Set' ? ' (a Set entry)' : '.get(…)';
        i++;
      }
    } else if (type === reader.shortcutEdge) {
      text += ' (bound)';
    } else if (name === 'parameters_and_registers') {
      text += ' (a local)';
    } else if (name === 'context' || name === 'elements' || name === 'properties' || name === 'previous') {
      // Into a closure's scope, an array's elements, an object's property store: the next step names it.
      if (name === 'elements' && steps[i + 1]) {
        text += `[${String(heap.edgeName(steps[i + 1].edge))}]`;
        i++;
      }
    }
  }
  return text;
}

/**
 * A path for people: a run of the same property (`_list.head.next.next.next…`, a linked list 28
 * deep) as one step with its count (`_list.head.next×28`). The waker's `path` keeps it whole.
 */
export function shortPath(path: string): string {
  return path.replace(/((\.[A-Za-z_$#][\w$]*)\2{2,})/g, (run: string, _all: string, step: string) => `${step}×${run.length / step.length}`);
}

/**
 * A property taken `times` times in a row (a list's link): whole, as every other path is, below
 * the depth a search reached before it climbed lists in one step; from there, with its count
 * (`.next×1999`), so 2000 waiters of one queue add no megabytes of `.next` to the JSON.
 */
function linkRun(first: string, link: string, times: number): string {
  if (times === 1) return first;
  return times < MAX_SEARCH_DEPTH ? first + link.repeat(times - 1) : `${first}×${times}`;
}

/** A symbol-named property as the snapshot names it (`<symbol kEvents>`) in source terms: `Symbol(kEvents)`. */
export function symbolName(name: string): string {
  const match = /^<symbol (.*)>$/.exec(name);
  return match ? `Symbol(${match[1]})` : name;
}

function propertyText(key: string, first: boolean): string {
  const symbol = /^<symbol (.*)>$/.exec(key);
  if (symbol) return `[${symbol[1]}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return first ? key : `.${key}`;
  if (/^#[A-Za-z_$][\w$]*$/.test(key)) return first ? key : `.${key}`;
  if (/^\d+$/.test(key)) return `[${key}]`;
  // Any other key is likely data (`waiters[\`session:${token}\`]`): never printed, like values.
  return '[…]';
}
