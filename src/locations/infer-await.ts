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
import { awaitsByPosition, type AwaitsByPosition } from '../awaits/await-edges.js';
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
  /** A plain `await` (not `for await`, which also awaits its iterator's return() on a break). */
  plainAwait?: true;
}

/**
 * The position (0-based) of the await a frame is suspended at, as V8 would report it: the
 * `await`/`yield` keyword, or for `for await (const x of …)` the loop variable. Null when the
 * function cannot be found or the choice is ambiguous.
 */
export function inferAwait(script: ParsedScript, query: InferQuery): ScriptPosition | null {
  return inferSuspension(script, query)?.at ?? null;
}

/**
 * inferAwait, saying also whether the answer is certain: an async function whose body has a single
 * suspension point can only be suspended there (an async function runs to its first await before
 * anything holds it, unlike a generator, which can sit unstarted at its definition).
 */
export function inferSuspension(script: ParsedScript, query: InferQuery): { at: ScriptPosition; sole: boolean } | null {
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
    return at === null ? null : { at: script.positionOf(at), sole: false };
  }
  const all = candidatesIn(scope);
  // A frame that awaits something is at an await (or yield*, for await); one awaiting nothing we
  // know of, in an async generator, most likely waits at a yield for its consumer.
  const preferred =
    query.awaiting.length > 0 || query.kind !== 'async-generator'
      ? all.filter((candidate) => !candidate.plainYield)
      : all.filter((candidate) => candidate.plainYield);
  const pool = preferred.length > 0 ? preferred : all;
  if (pool.length === 1) return { at: script.positionOf(pool[0].at), sole: isSoleAwait(scope, all, query) };
  const matching = pool.filter((candidate) => candidate.expression && query.awaiting.some((thing) => calls(candidate.expression!, thing)));
  if (matching.length === 1) return { at: script.positionOf(matching[0].at), sole: false };
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
  const sole = new Uint8Array(nodes.length);
  // Frames of one function awaiting the same kinds of things get the same answer (one shared
  // point): a server's ten thousand stuck requests are inferred once. Frames of one function
  // mostly share their definition object; equal definitions share one table of answers.
  const answersByDefinition = new Map<object, Map<string, InferredPoint | null>>();
  const answersByPlace = new Map<string, Map<string, InferredPoint | null>>();
  const graph = awaitsByPosition(nodes);
  const { childStart, childList } = graph;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!isSuspendable(node)) continue;
    const definition = node.definition;
    if (!definition || exact.has(node.id)) continue;
    let answers = answersByDefinition.get(definition);
    if (!answers) {
      const place = definitionKey(definition);
      answers = answersByPlace.get(place);
      if (!answers) answersByPlace.set(place, (answers = new Map()));
      answersByDefinition.set(definition, answers);
    }
    const key = awaitingKey(nodes, graph, i);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = inferPoint(node, childList.subarray(childStart[i], childStart[i + 1]), nodes, sources, parsed);
      answers.set(key, answer);
    }
    if (answer) {
      points[i] = answer.point;
      sole[i] = answer.sole ? 1 : 0;
    }
  }
  const inferred = new PointsByNode(nodes, graph, points, sole);
  if (exact.size > 0) adoptLookedUpPoints(nodes, exact, inferred);
  return inferred;
}

/**
 * Frames the source could not place take the point V8 gave another frame of the same function
 * awaiting the same kinds of things (mainFetch's 200 instances, where undici awaits the same call
 * at two places), when every such frame looked up was at that one point. Still an inference: a
 * frame not looked up may sit at the other place.
 */
export function adoptLookedUpPoints(nodes: readonly FoundNode[], exact: ReadonlyMap<number, ExactPoint>, inferred: PointsByNode): void {
  if (exact.size === 0) return;
  const places = new AgreedPlaces();
  for (const [id, point] of exact) {
    const question = inferred.questionOf(id);
    if (question !== undefined) places.add(question, point);
  }
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!isSuspendable(node) || !node.definition || exact.has(node.id) || inferred.at(i)) continue;
    const agreed = places.get(questionAt(nodes, inferred.awaits, i));
    if (agreed) inferred.adopt(i, agreed.point);
  }
}

/**
 * The places V8 gave looked-up frames, by question (PointsByNode.questionOf): the place while
 * they all agree, with how many do, or null once two differ.
 */
export class AgreedPlaces {
  private readonly byQuestion = new Map<string, { point: ExactPoint; agreeing: number } | null>();

  /** Counts a looked-up point. Only where V8 says the frame is suspended: a running or closed generator's location is not an await. */
  add(question: string, point: ExactPoint): void {
    if (point.state !== 'suspended') return;
    const agreed = this.byQuestion.get(question);
    if (agreed === undefined) {
      // Without the frame's state: one copy shared by the frames that adopt it.
      this.byQuestion.set(question, { point: { scriptId: point.scriptId, lineNumber: point.lineNumber, columnNumber: point.columnNumber }, agreeing: 1 });
    } else if (agreed && agreed.point.scriptId === point.scriptId && agreed.point.lineNumber === point.lineNumber && agreed.point.columnNumber === point.columnNumber) {
      agreed.agreeing++;
    } else {
      this.byQuestion.set(question, null);
    }
  }

  get(question: string): { readonly point: ExactPoint; readonly agreeing: number } | null | undefined {
    return this.byQuestion.get(question);
  }
}

/** Frames with equal questions are placed alike: same function, same kinds of things awaited. */
function questionAt(nodes: readonly FoundNode[], graph: AwaitsByPosition, i: number): string {
  return `${definitionKey(nodes[i].definition!)}\u0001${awaitingKey(nodes, graph, i)}`;
}

function isSuspendable(node: FoundNode): boolean {
  return node.kind === 'async-function' || node.kind === 'async-generator' || node.kind === 'module';
}

/** A function's definition as a key: its frames share it. */
export function definitionKey(definition: { scriptId: number | string; line: number; column: number }): string {
  return `${definition.scriptId}:${definition.line}:${definition.column}`;
}

/** What frame i awaits, by kind and name: frames of one function with equal keys get one answer. */
function awaitingKey(nodes: readonly FoundNode[], graph: AwaitsByPosition, i: number): string {
  const node = nodes[i];
  let key: string = node.stateMachine ? `${node.kind}@${node.stateMachine.resumeLabel}` : node.kind;
  for (let k = graph.childStart[i]; k < graph.childStart[i + 1]; k++) {
    const thing = nodes[graph.childList[k]];
    key += `\u0000${thing.kind}:${thing.name}:${thing.combinator ?? ''}:${thing.thenMethod ?? ''}`;
  }
  return key;
}

/** Points by node id, as a Map would give them (get, has, size, entries in node order). */
export interface NodePoints extends Iterable<[number, ExactPoint]> {
  get(id: number): ExactPoint | undefined;
  has(id: number): boolean;
  /** Whether the point is certain (its function's only await), as good as an exact one. */
  isCertain?(id: number): boolean;
  readonly size: number;
}

/**
 * NodePoints kept by node position: no Map of a million entries (at 300k chains its inserts were
 * most of inference's time). `at` reads by position, for a caller walking the same node list.
 */
export class PointsByNode implements NodePoints {
  constructor(
    readonly nodes: readonly FoundNode[],
    /** The nodes' await edges by position, as inference read them. */
    readonly awaits: AwaitsByPosition,
    private readonly points: (ExactPoint | undefined)[],
    /** 1 where the point is certain: the function's only suspension point (inferSuspension). */
    private readonly sole: Uint8Array = new Uint8Array(points.length),
  ) {}

  at(index: number): ExactPoint | undefined {
    return this.points[index];
  }

  /** Fills in a point found after inference (adoptLookedUpPoints). */
  adopt(index: number, point: ExactPoint): void {
    this.points[index] = point;
  }

  /**
   * Takes the certainty away from frames that may be running rather than suspended (those of the
   * stack caught by the pause round): a running frame is not at its await.
   */
  doubt(ids: Iterable<number>): void {
    for (const id of ids) {
      const at = this.awaits.position.get(id);
      if (at !== -1) this.sole[at] = 0;
    }
  }

  isCertainAt(index: number): boolean {
    return this.sole[index] === 1;
  }

  get(id: number): ExactPoint | undefined {
    const at = this.awaits.position.get(id);
    return at === -1 ? undefined : this.points[at];
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** What a frame's place depends on: its function and the kinds of things it awaits. */
  questionOf(id: number): string | undefined {
    const at = this.awaits.position.get(id);
    const node = at === -1 ? undefined : this.nodes[at];
    return node && isSuspendable(node) && node.definition ? questionAt(this.nodes, this.awaits, at) : undefined;
  }

  /** Whether the frame can be nowhere else: an exact lookup would only confirm it. */
  isCertain(id: number): boolean {
    const at = this.awaits.position.get(id);
    return at !== -1 && this.sole[at] === 1;
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
): InferredPoint | null {
  const scriptId = String(node.definition!.scriptId);
  const script = parsedScript(scriptId, sources, parsed);
  if (!script) return null;
  const awaiting: AwaitedThing[] = Array.from(children, (at) => nodes[at]);
  const found = inferSuspension(script, {
    kind: node.kind as InferQuery['kind'],
    definition: node.definition,
    awaiting,
    ...(node.stateMachine ? { stateMachine: node.stateMachine } : {}),
  });
  return found ? { point: { scriptId, lineNumber: found.at.line, columnNumber: found.at.column }, sole: found.sole } : null;
}

interface InferredPoint {
  point: ExactPoint;
  sole: boolean;
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
  // `async () => async () => { await x }`: the body is itself a function, whose awaits are its own.
  if (body !== scope && isFunction(body)) return found;
  // walk() visits a nested function's node but not its body: its awaits are its own frame's.
  walk(body, isFunction, (node) => {
    switch (node.type) {
      case 'AwaitExpression':
        found.push({ at: node.start, expression: node.argument as AnyNode, plainYield: false, plainAwait: true });
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
 * Whether an async function's one `await` is the only place it can be suspended. Not so for an
 * `await using` declaration (its disposal is awaited at the block's end, where no `await` is
 * written) nor for a `for await` (V8 also awaits the iterator's return() when the loop is left).
 */
function isSoleAwait(scope: AnyNode, all: readonly Candidate[], query: InferQuery): boolean {
  if (query.kind !== 'async-function' || all.length !== 1 || !all[0].plainAwait) return false;
  let disposes = false;
  walk(scope.body as AnyNode, isFunction, (node) => {
    if (node.type === 'VariableDeclaration' && node.kind === 'await using') disposes = true;
  });
  return !disposes;
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
