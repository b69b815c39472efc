// A script's source parsed once (acorn) for every question asked of it: where its functions are,
// what a function was named in the source, which names a function uses. Shared per capture by
// inference, naming transpiled functions and the wake-up analysis's scope check (ScriptParses).

import { parse, type Node, type Options } from 'acorn';

/** A 0-based position in a script, as V8 reports them. */
export interface ScriptPosition {
  line: number;
  column: number;
}

/** Larger sources are not parsed: a 20 MB bundle takes acorn seconds. */
export const MAX_INFER_SOURCE_CHARS = 20 * 1024 * 1024;

export type AnyNode = Node & Record<string, unknown>;

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
    return offsetIn(this.text, this.lineStarts, position);
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

/** 0-based line/column → offset in `text` (lines from lineStarts); null outside the text. */
export function offsetIn(text: string, starts: readonly number[], position: ScriptPosition): number | null {
  const start = starts[position.line];
  if (start === undefined || position.column < 0) return null;
  const offset = start + position.column;
  return offset <= text.length ? offset : null;
}

/** Offsets where each line starts (V8's line terminators: \n, \r\n, \r, U+2028, U+2029). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  const breaks = /\r\n?|[\n\u2028\u2029]/g;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) starts.push(match.index + match[0].length);
  return starts;
}

export function isFunction(node: AnyNode): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/** Every AST node below `root` (root included), depth first, with its parent; iterative. */
export function walk(root: AnyNode, stopAt: ((node: AnyNode) => boolean) | null, visit: (node: AnyNode, parent: AnyNode | null) => void): void {
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

export function calleeName(callee: AnyNode): string | null {
  if (callee.type === 'Identifier') return callee.name as string;
  if (callee.type === 'MemberExpression') return memberName(callee);
  return null;
}

export function memberName(member: AnyNode): string | null {
  const property = member.property as AnyNode;
  if (!member.computed && property.type === 'Identifier') return property.name as string;
  if (!member.computed && property.type === 'PrivateIdentifier') return `#${property.name as string}`;
  if (member.computed && property.type === 'Literal' && typeof property.value === 'string') return property.value;
  return null;
}
