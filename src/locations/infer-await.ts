// Inferred suspension points. An exact `await` location costs a heap scan in the target per frame
// (src/capture/locations.ts), so past the location budget frames only know where their function
// is defined. From the function's source (parsed with acorn) the await can often be named anyway:
// it is the function's only `await`/`yield`, or the only one whose expression calls what the frame
// is awaiting (`await pool.acquire()` when the frame awaits `Pool.acquire`, `await Promise.all(…)`
// when it awaits a `Promise.all`). Otherwise there is no answer, and the definition stands.
//
// Pure: the caller fetches the source (Debugger.getScriptSource, src/capture/script-sources.ts).

import type { FoundNode } from '../awaits/await-graph.js';
import type { AwaitNodeKind, CombinatorKind, ThenMethod } from '../schema.js';
import type { IdIndex } from '../snapshot/id-index.js';
import { awaitsByPosition } from '../awaits/await-edges.js';
import { calleeName, isFunction, memberName, parsedScript, walk, type AnyNode, type ParsedScript, type ScriptParses, type ScriptPosition } from './parsed-script.js';
import { needsName } from './transpiled-names.js';

/**
 * A suspension point, 0-based as V8 gives positions: exact (read from the target by
 * src/capture/locations.ts) or inferred here from the source.
 */
export interface ExactPoint {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
  state?: string;
}

/** What a suspended frame awaits: enough of a graph node to recognise the call that made it. */
export interface AwaitedThing {
  kind: AwaitNodeKind;
  name: string;
  combinator?: CombinatorKind;
  thenMethod?: ThenMethod;
}

export interface InferQuery {
  /** `module`: the top level of a module suspended in a top-level await. */
  kind: 'async-function' | 'async-generator' | 'module';
  /** The function's definition as the heap snapshot has it (V8: its parameter list). Unused for modules. */
  definition: ScriptPosition | null;
  /** What the frame awaits (the nodes it is awaitedBy of); empty when nothing is known. */
  awaiting: readonly AwaitedThing[];
  /** An ES5 state machine (tslib's __generator) whose `definition` is its body: the state it resumes at. */
  stateMachine?: { resumeLabel?: number };
}

interface Candidate {
  /** Offset V8 reports for a frame suspended here. */
  at: number;
  /** The expression whose promise is awaited there (null for a bare `yield`). */
  expression: AnyNode | null;
  /** `yield` without `*`: where an async generator waits for its consumer's next `next()`. */
  plainYield: boolean;
}

/**
 * The position (0-based) of the await a frame is suspended at, as V8 would report it: the
 * `await`/`yield` keyword, or for `for await (const x of …)` the loop variable. Null when the
 * function cannot be found or the choice is ambiguous.
 */
export function inferAwait(script: ParsedScript, query: InferQuery): ScriptPosition | null {
  let scope: AnyNode | null;
  if (query.kind === 'module') {
    scope = script.root;
  } else {
    const offset = query.definition && script.offsetOf(query.definition);
    scope = offset === null || offset === undefined ? null : script.functionAt(offset);
  }
  if (!scope) return null;
  if (query.stateMachine) {
    const at = query.stateMachine.resumeLabel === undefined ? null : stateMachineYield(scope, query.stateMachine.resumeLabel);
    return at === null ? null : script.positionOf(at);
  }
  const all = candidatesIn(scope);
  // A frame that awaits something is at an await (or yield*, for await); one awaiting nothing we
  // know of, in an async generator, most likely waits at a yield for its consumer.
  const preferred =
    query.awaiting.length > 0 || query.kind !== 'async-generator'
      ? all.filter((candidate) => !candidate.plainYield)
      : all.filter((candidate) => candidate.plainYield);
  const pool = preferred.length > 0 ? preferred : all;
  if (pool.length === 1) return script.positionOf(pool[0].at);
  const matching = pool.filter((candidate) => candidate.expression && query.awaiting.some((thing) => calls(candidate.expression!, thing)));
  if (matching.length === 1) return script.positionOf(matching[0].at);
  return null;
}

/**
 * Inferred points for every suspendable frame with no exact point, whose script source is known.
 * `sources` maps scriptId → source text; each script is parsed at most once.
 */
export function inferLocations(
  nodes: readonly FoundNode[],
  exact: ReadonlyMap<number, ExactPoint>,
  sources: ReadonlyMap<string, string>,
  parsed: ScriptParses = new Map(),
): PointsByNode {
  const points: (ExactPoint | undefined)[] = new Array(nodes.length);
  // Frames of one function awaiting the same kinds of things get the same answer (one shared
  // point): a server's ten thousand stuck requests are inferred once. Frames of one function
  // mostly share their definition object; equal definitions share one table of answers.
  const answersByDefinition = new Map<object, Map<string, ExactPoint | null>>();
  const answersByPlace = new Map<string, Map<string, ExactPoint | null>>();
  const { childStart, childList, position } = awaitsByPosition(nodes);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node.kind !== 'async-function' && node.kind !== 'async-generator' && node.kind !== 'module') continue;
    const definition = node.definition;
    if (!definition || exact.has(node.id)) continue;
    let answers = answersByDefinition.get(definition);
    if (!answers) {
      const place = `${definition.scriptId}:${definition.line}:${definition.column}`;
      answers = answersByPlace.get(place);
      if (!answers) answersByPlace.set(place, (answers = new Map()));
      answersByDefinition.set(definition, answers);
    }
    let key: string = node.stateMachine ? `${node.kind}@${node.stateMachine.resumeLabel}` : node.kind;
    for (let k = childStart[i]; k < childStart[i + 1]; k++) {
      const thing = nodes[childList[k]];
      key += `\u0000${thing.kind}:${thing.name}:${thing.combinator ?? ''}:${thing.thenMethod ?? ''}`;
    }
    let point = answers.get(key);
    if (point === undefined) {
      point = inferPoint(node, childList.subarray(childStart[i], childStart[i + 1]), nodes, sources, parsed);
      answers.set(key, point);
    }
    if (point) points[i] = point;
  }
  return new PointsByNode(nodes, position, points);
}

/** Points by node id, as a Map would give them (get, has, size, entries in node order). */
export interface NodePoints extends Iterable<[number, ExactPoint]> {
  get(id: number): ExactPoint | undefined;
  has(id: number): boolean;
  readonly size: number;
}

/**
 * NodePoints kept by node position: no Map of a million entries (at 300k chains its inserts were
 * most of inference's time). `at` reads by position, for a caller walking the same node list.
 */
export class PointsByNode implements NodePoints {
  constructor(
    readonly nodes: readonly { id: number }[],
    private readonly position: IdIndex,
    private readonly points: readonly (ExactPoint | undefined)[],
  ) {}

  at(index: number): ExactPoint | undefined {
    return this.points[index];
  }

  get(id: number): ExactPoint | undefined {
    const at = this.position.get(id);
    return at === -1 ? undefined : this.points[at];
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  get size(): number {
    let count = 0;
    for (const point of this.points) if (point) count++;
    return count;
  }

  *[Symbol.iterator](): Iterator<[number, ExactPoint]> {
    for (let i = 0; i < this.points.length; i++) {
      const point = this.points[i];
      if (point) yield [this.nodes[i].id, point];
    }
  }
}

/** inferLocations for one frame (not memoized): null without source or answer. */
function inferPoint(
  node: FoundNode,
  children: Int32Array,
  nodes: readonly FoundNode[],
  sources: ReadonlyMap<string, string>,
  parsed: ScriptParses,
): ExactPoint | null {
  const scriptId = String(node.definition!.scriptId);
  const script = parsedScript(scriptId, sources, parsed);
  if (!script) return null;
  const awaiting: AwaitedThing[] = Array.from(children, (at) => nodes[at]);
  const at = inferAwait(script, {
    kind: node.kind as InferQuery['kind'],
    definition: node.definition,
    awaiting,
    ...(node.stateMachine ? { stateMachine: node.stateMachine } : {}),
  });
  return at ? { scriptId, lineNumber: at.line, columnNumber: at.column } : null;
}

/**
 * Scripts whose source inference needs: those defining frames without an exact point, and those
 * defining transpiled functions still to be named (nameTranspiledFunctions).
 */
export function scriptsToInfer(nodes: readonly FoundNode[], exact: ReadonlyMap<number, ExactPoint>): string[] {
  const ids = new Set<string>();
  for (const node of nodes) {
    if (node.kind !== 'async-function' && node.kind !== 'async-generator' && node.kind !== 'module') continue;
    if ((!exact.has(node.id) || needsName(node)) && node.definition) ids.add(String(node.definition.scriptId));
  }
  return [...ids];
}

/** The suspension points of one function body (or module top level), not of functions inside it. */
function candidatesIn(scope: AnyNode): Candidate[] {
  const found: Candidate[] = [];
  const body = isFunction(scope) ? (scope.body as AnyNode) : scope;
  // walk() visits a nested function's node but not its body: its awaits are its own frame's.
  walk(body, isFunction, (node) => {
    switch (node.type) {
      case 'AwaitExpression':
        found.push({ at: node.start, expression: node.argument as AnyNode, plainYield: false });
        break;
      case 'YieldExpression':
        found.push({ at: node.start, expression: (node.argument as AnyNode | null) ?? null, plainYield: !node.delegate });
        break;
      case 'ForOfStatement':
        if (node.await) {
          // V8 suspends `for await` at its loop variable.
          const left = node.left as AnyNode;
          const binding = left.type === 'VariableDeclaration' ? ((left.declarations as AnyNode[])[0].id as AnyNode) : left;
          found.push({ at: binding.start, expression: node.right as AnyNode, plainYield: false });
        }
        break;
    }
  });
  return found.sort((a, b) => a.at - b.at);
}

/**
 * Where a state machine's body (`switch (_a.label) { case 0: return [4, x]; case 1: … }`, 4 being
 * tslib's yield instruction) waits when it resumes at `label`: tslib's step increments the label
 * past the `[4, x]` the body returned, so it is the last one before `case label:`. The offset of
 * that instruction's array; null when the body has no such case.
 */
function stateMachineYield(body: AnyNode, label: number): number | null {
  let found: number | null = null;
  walk(body.body as AnyNode, isFunction, (node) => {
    if (found !== null || node.type !== 'SwitchStatement') return;
    const cases = node.cases as AnyNode[];
    const resume = cases.find((clause) => {
      const test = clause.test as AnyNode | null;
      return test?.type === 'Literal' && test.value === label;
    });
    if (!resume) return;
    let last: number | null = null;
    walk(node, isFunction, (inner) => {
      if (inner.type !== 'ReturnStatement' || inner.start >= resume.start) return;
      const argument = inner.argument as AnyNode | null;
      const op = argument?.type === 'ArrayExpression' ? ((argument.elements as (AnyNode | null)[])[0] ?? null) : null;
      if (op?.type === 'Literal' && op.value === 4 && (last === null || inner.start > last)) last = argument!.start;
    });
    found = last;
  });
  return found;
}

/** Whether `expression` contains the call that makes a promise like `thing`. */
function calls(expression: AnyNode, thing: AwaitedThing): boolean {
  let hit = false;
  walk(expression, null, (node) => {
    if (hit) return;
    if (thing.kind === 'module') {
      // `await import(…)`, or a loader evaluating it: `module.evaluate()` (vm.Module, Node's ESM loader).
      hit =
        node.type === 'ImportExpression' ||
        (node.type === 'CallExpression' && (node.callee as AnyNode).type === 'MemberExpression' && memberName(node.callee as AnyNode) === 'evaluate');
      return;
    }
    if (node.type !== 'CallExpression') return;
    const callee = unwrapCall(node.callee as AnyNode);
    switch (thing.kind) {
      case 'async-function':
      case 'async-generator':
        hit = thing.name !== '' && thing.name !== '(anonymous)' && calleeName(callee) === thing.name;
        break;
      case 'combinator':
        hit = callee.type === 'MemberExpression' && memberName(callee) === (thing.combinator ?? thing.name.replace(/^Promise\./, ''));
        break;
      case 'then':
        hit = callee.type === 'MemberExpression' && memberName(callee) === (thing.thenMethod ?? 'then');
        break;
    }
  });
  return hit;
}

/** `f.call(…)`, `f.apply(…)` call `f`. */
function unwrapCall(callee: AnyNode): AnyNode {
  if (callee.type === 'MemberExpression' && !callee.computed) {
    const property = memberName(callee);
    if (property === 'call' || property === 'apply') return callee.object as AnyNode;
  }
  if (callee.type === 'ChainExpression') return unwrapCall(callee.expression as AnyNode);
  return callee;
}
