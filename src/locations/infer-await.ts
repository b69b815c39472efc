// Inferred suspension points. An exact `await` location costs a heap scan in the target per frame
// (src/capture/locations.ts), so past the location budget frames only know where their function
// is defined. From the function's source (parsed with acorn) the await can often be named anyway:
// it is the function's only `await`/`yield`, or the only one whose expression calls what the frame
// is awaiting (`await pool.acquire()` when the frame awaits `Pool.acquire`, `await Promise.all(…)`
// when it awaits a `Promise.all`). Otherwise there is no answer, and the definition stands.
//
// Pure: the caller fetches the source (Debugger.getScriptSource, src/capture/script-sources.ts).

import { parse, type Node, type Options } from 'acorn';
import type { FoundNode } from '../awaits/await-graph.js';
import type { AwaitNodeKind, CombinatorKind, ThenMethod } from '../schema.js';
import type { IdIndex } from '../snapshot/id-index.js';
import { awaitsByPosition } from '../awaits/await-edges.js';

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

/** A 0-based position in a script, as V8 reports them. */
export interface ScriptPosition {
  line: number;
  column: number;
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

/** Larger sources are not parsed: a 20 MB bundle takes acorn seconds. */
export const MAX_INFER_SOURCE_CHARS = 20 * 1024 * 1024;

type AnyNode = Node & Record<string, unknown>;

interface Candidate {
  /** Offset V8 reports for a frame suspended here. */
  at: number;
  /** The expression whose promise is awaited there (null for a bare `yield`). */
  expression: AnyNode | null;
  /** `yield` without `*`: where an async generator waits for its consumer's next `next()`. */
  plainYield: boolean;
}

/** A script parsed once for any number of queries; null from parseScript when acorn cannot parse it. */
export class ParsedScript {
  private readonly lineStarts: number[];
  /** Functions and the start of their heads (for methods, the method's start), in source order. */
  private readonly functions: { node: AnyNode; headStart: number }[] = [];

  constructor(
    readonly text: string,
    private readonly program: AnyNode,
  ) {
    this.lineStarts = lineStarts(text);
    walk(program, null, (node, parent) => {
      if (!isFunction(node)) return;
      const methodLike =
        parent && (parent.type === 'MethodDefinition' || (parent.type === 'Property' && parent.value === node)) ? parent : null;
      this.functions.push({ node, headStart: Math.min(node.start, methodLike?.start ?? node.start) });
    });
  }

  /** 0-based line/column → offset; null outside the text. */
  offsetOf(position: ScriptPosition): number | null {
    const start = this.lineStarts[position.line];
    if (start === undefined || position.column < 0) return null;
    const offset = start + position.column;
    return offset <= this.text.length ? offset : null;
  }

  /** Offset → 0-based line/column. */
  positionOf(offset: number): ScriptPosition {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, column: offset - this.lineStarts[low] };
  }

  /** The innermost function whose head (start to body) contains the offset. */
  functionAt(offset: number): AnyNode | null {
    let best: AnyNode | null = null;
    for (const { node, headStart } of this.functions) {
      const body = node.body as AnyNode;
      if (headStart <= offset && offset <= body.start && (!best || node.start >= best.start)) best = node;
    }
    return best;
  }

  get root(): AnyNode {
    return this.program;
  }

  /** Child → parent of every AST node, built on first use. */
  private parents: Map<AnyNode, AnyNode> | undefined;

  /**
   * The name a transpiled generator's function was written with: its own, else that of the
   * function it is created in (see nameTranspiledFunctions); null when that one is anonymous.
   */
  writtenName(generator: AnyNode): { name: string; className?: string } | null {
    const own = (generator.id as AnyNode | null)?.name as string | undefined;
    if (own) return { name: own };
    if (!this.parents) {
      const parents = (this.parents = new Map());
      walk(this.program, null, (node, parent) => {
        if (parent) parents.set(node, parent);
      });
    }
    let inner = generator;
    let outer: AnyNode | undefined;
    let parent: AnyNode | null = null;
    let name: string | null = null;
    // Up through anonymous functions passed to a helper: an ES5 state machine's body sits in
    // `__awaiter(this, …, function () { return __generator(this, function (_a) { … }); })`.
    for (let hops = 0; hops < 3 && !name; hops++) {
      outer = this.parents.get(inner);
      while (outer && !isFunction(outer)) outer = this.parents.get(outer);
      if (!outer) return null;
      parent = this.parents.get(outer) ?? null;
      name = functionName(outer, parent);
      if (!name && parent?.type === 'CallExpression' && parent.callee === outer) {
        // `const worker = (function () { … return function worker() {…}; })()`
        name = functionName(parent, this.parents.get(parent) ?? null);
        break;
      }
      if (!name && !(parent?.type === 'CallExpression' && (parent.arguments as AnyNode[]).includes(outer))) return null;
      inner = outer;
    }
    if (!name || !outer) return null;
    if (name.startsWith('_') && outer.type === 'FunctionDeclaration' && assignsTo(outer, name)) name = name.slice(1);
    const className = declaringClass(outer, parent, this.parents);
    return className ? { name, className } : { name };
  }

  /**
   * The names a function (and every function inside it) refers to, for the function whose head is
   * at `position` (a closure's definition in the heap snapshot); null when there is no such
   * function or its code can reach any name (direct `eval`, `with`).
   */
  namesUsedBy(position: ScriptPosition): Set<string> | null {
    const offset = this.offsetOf(position);
    const fn = offset === null ? null : this.functionAt(offset);
    if (!fn) return null;
    const names = new Set<string>();
    let dynamic = false;
    walk(fn, null, (node, parent) => {
      if (node.type === 'WithStatement') dynamic = true;
      // An arrow function's `this` is its scope's variable `this` (`setInterval(() => this.poll())`).
      if (node.type === 'ThisExpression') names.add('this');
      if (node.type !== 'Identifier' || isPropertyName(node, parent)) return;
      const name = node.name as string;
      if (name === 'eval' && parent?.type === 'CallExpression' && parent.callee === node) dynamic = true;
      names.add(name);
    });
    return dynamic ? null : names;
  }
}

/** The class a method is declared in: `class X { m() {} }`, or ES5's `X.prototype.m = function`. */
function declaringClass(fn: AnyNode, parent: AnyNode | null, parents: Map<AnyNode, AnyNode>): string | undefined {
  if (parent?.type === 'MethodDefinition') {
    const classNode = parents.get(parents.get(parent)!);
    const id = classNode?.id as AnyNode | null | undefined;
    return id?.type === 'Identifier' ? (id.name as string) : undefined;
  }
  if (parent?.type === 'AssignmentExpression' && parent.right === fn) {
    const left = parent.left as AnyNode;
    const owner = left.type === 'MemberExpression' ? (left.object as AnyNode) : null;
    if (owner?.type === 'MemberExpression' && memberName(owner) === 'prototype' && (owner.object as AnyNode).type === 'Identifier') {
      return (owner.object as AnyNode).name as string;
    }
  }
  return undefined;
}

/** A function's name as its declaration, method, variable or assignment gives it (or an expression's, as a variable's value). */
function functionName(fn: AnyNode, parent: AnyNode | null): string | null {
  const id = fn.id as AnyNode | null | undefined;
  if (id?.type === 'Identifier') return id.name as string;
  if (!parent) return null;
  if (parent.type === 'MethodDefinition' || (parent.type === 'Property' && parent.value === fn) || parent.type === 'PropertyDefinition') {
    return propertyKeyName(parent);
  }
  if (parent.type === 'VariableDeclarator' && (parent.id as AnyNode).type === 'Identifier') return (parent.id as AnyNode).name as string;
  // `name = function`, `X.prototype.name = function`: named as a call of the left side would be.
  if (parent.type === 'AssignmentExpression' && parent.right === fn) return calleeName(parent.left as AnyNode);
  return null;
}

function propertyKeyName(property: AnyNode): string | null {
  const key = property.key as AnyNode;
  if (!property.computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'PrivateIdentifier') return `#${key.name as string}`;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return null;
}

/** Whether a function's body assigns to `name` (Babel's `_name = _asyncToGenerator(…)`). */
function assignsTo(fn: AnyNode, name: string): boolean {
  let hit = false;
  walk(fn.body as AnyNode, isFunction, (node) => {
    if (!hit && node.type === 'AssignmentExpression' && (node.left as AnyNode).type === 'Identifier' && (node.left as AnyNode).name === name) hit = true;
  });
  return hit;
}

/** An identifier that names a property (`a.b`, `{ b: 1 }`, `class { b() {} }`), not a variable. */
function isPropertyName(node: AnyNode, parent: AnyNode | null): boolean {
  if (!parent || parent.computed) return false;
  switch (parent.type) {
    case 'MemberExpression':
      return parent.property === node;
    case 'Property':
      // `{ b }` is both: the shorthand's value is the variable b.
      return parent.key === node && !parent.shorthand;
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return parent.key === node;
    default:
      return parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement';
  }
}

/**
 * Scripts parsed so far, by script id (null: the source does not parse). One per capture, shared by
 * inference, naming and the wake-up analysis's scope check: undici's large files parse once.
 */
export type ScriptParses = Map<string, ParsedScript | null>;

/** A script parsed at most once per `parsed`; undefined without its source. */
export function parsedScript(scriptId: string, sources: ReadonlyMap<string, string>, parsed: ScriptParses): ParsedScript | null | undefined {
  let script = parsed.get(scriptId);
  if (script !== undefined) return script;
  const text = sources.get(scriptId);
  if (text === undefined) return undefined;
  parsed.set(scriptId, (script = parseScript(text)));
  return script;
}

/** Parses as a module, then as a CommonJS/classic script; null if neither works. */
export function parseScript(text: string): ParsedScript | null {
  if (text.length > MAX_INFER_SOURCE_CHARS) return null;
  const common: Options = { ecmaVersion: 'latest', allowHashBang: true };
  for (const options of [
    { ...common, sourceType: 'module' },
    { ...common, sourceType: 'script', allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true },
  ] satisfies Options[]) {
    try {
      return new ParsedScript(text, parse(text, options) as unknown as AnyNode);
    } catch {
      // try the next way
    }
  }
  return null;
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

function needsName(node: FoundNode): boolean {
  return node.transpiled !== undefined && node.name === '(anonymous)';
}

/**
 * Names transpiled async functions after the function they were written as. The compiled generator
 * is anonymous (`acquire() { return __awaiter(this, …, function* () { … }); }`): the function it
 * is passed from is the one the source declared, be it a method, a function, a variable's function
 * or a `X.prototype.m = function` assignment. Babel moves a function declaration's body into
 * `function _name() { _name = _asyncToGenerator(function* () { … }); … }`: that `_` is dropped.
 * A variable's function made by an immediately called one (Babel's arrow functions) is named after
 * the variable. With its receiver's class, a method is named `Class.method` as a native one is.
 */
export function nameTranspiledFunctions(nodes: FoundNode[], sources: ReadonlyMap<string, string>, parsed: ScriptParses = new Map()): void {
  for (const node of nodes) {
    if (!needsName(node) || !node.definition) continue;
    const script = parsedScript(String(node.definition.scriptId), sources, parsed);
    if (script === undefined) continue;
    const offset = script?.offsetOf(node.definition);
    const generator = offset === null || offset === undefined ? null : script!.functionAt(offset);
    const written = generator && script!.writtenName(generator);
    if (!written) continue;
    node.name = written.name;
    // The receiver's class, as for native methods; else the class the source declares it in
    // (Babel calls the generator without `this`).
    const qualifier = node.receiverClass ?? written.className;
    if (qualifier) node.qualifiedName = `${qualifier}.${written.name}`;
  }
}

// ------------------------------------------------------------------------------------------------

function lineStarts(text: string): number[] {
  const starts = [0];
  const breaks = /\r\n?|[\n\u2028\u2029]/g;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) starts.push(match.index + match[0].length);
  return starts;
}

function isFunction(node: AnyNode): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/** Every AST node below `root` (root included), depth first, with its parent; iterative. */
function walk(root: AnyNode, stopAt: ((node: AnyNode) => boolean) | null, visit: (node: AnyNode, parent: AnyNode | null) => void): void {
  const stack: [AnyNode, AnyNode | null][] = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    visit(node, parent);
    if (node !== root && stopAt?.(node)) continue;
    const children: AnyNode[] = [];
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'range') continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) children.push(item);
      } else if (isNode(value)) {
        children.push(value);
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], node]);
  }
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
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

function calleeName(callee: AnyNode): string | null {
  if (callee.type === 'Identifier') return callee.name as string;
  if (callee.type === 'MemberExpression') return memberName(callee);
  return null;
}

function memberName(member: AnyNode): string | null {
  const property = member.property as AnyNode;
  if (!member.computed && property.type === 'Identifier') return property.name as string;
  if (!member.computed && property.type === 'PrivateIdentifier') return `#${property.name as string}`;
  if (member.computed && property.type === 'Literal' && typeof property.value === 'string') return property.value;
  return null;
}
