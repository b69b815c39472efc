import type { HeapGraph } from './heap-graph.js';

// Reading JavaScript values out of a heap snapshot, for the wake-up and keep-alive analyses
// (wakers.ts, keep-alive.ts). Facts relied on, observed on Node 20.20, 22.23 and 24.21:
//
// - With `captureNumericValue: true` a number property points at a "smi number" or "heap number"
//   node whose internal edge `value` leads to a string node holding the number's text
//   (V8HeapExplorer::ExtractNumberReference). Without it, Smis are not in the snapshot at all.
// - true/false/null/undefined are hidden "system / Oddball" nodes whose first hidden edge leads to
//   their string form ("true", "false", "null", "undefined") on Node 20 and 22; on Node 24 they
//   are hidden nodes named "true", "false", "null", "undefined".
// - Symbol-keyed properties are property edges named "<symbol NAME>".
// - A cons string is a "concatenated string" node with internal edges `first` and `second`.
// - Closures of V8 builtins have an internal `code` edge to a code node named "(NAME builtin
//   handle)" (Node 20) or "(NAME builtin code)" (Node 22/24).

export type JsValue = string | number | boolean | null | undefined;

const ODDBALLS = new Map<string, { value: JsValue }>([
  ['true', { value: true }],
  ['false', { value: false }],
  ['null', { value: null }],
  ['undefined', { value: undefined }],
]);

const NATIVE_CONTEXT = 'system / NativeContext';

export class HeapReader {
  readonly objectType: number;
  readonly closureType: number;
  readonly arrayType: number;
  readonly hiddenType: number;
  readonly stringTypes: Set<number>;
  readonly numberType: number;
  readonly syntheticType: number;
  readonly nativeType: number;
  readonly contextEdge: number;
  readonly elementEdge: number;
  readonly propertyEdge: number;
  readonly internalEdge: number;
  readonly hiddenEdge: number;
  readonly shortcutEdge: number;
  readonly weakEdge: number;
  private readonly strIndex = new Map<string, number>();
  private readonly builtinCache = new Map<number, string | null>();
  /** Name indexes of native contexts (see isNativeContext), found on first use. */
  private nativeContextNames: Set<number> | undefined;

  constructor(readonly heap: HeapGraph) {
    this.objectType = heap.nodeTypeIndex('object');
    this.closureType = heap.nodeTypeIndex('closure');
    this.arrayType = heap.nodeTypeIndex('array');
    this.hiddenType = heap.nodeTypeIndex('hidden');
    this.numberType = heap.nodeTypeIndex('number');
    this.syntheticType = heap.nodeTypeIndex('synthetic');
    this.nativeType = heap.nodeTypeIndex('native');
    this.stringTypes = new Set(
      ['string', 'concatenated string', 'sliced string'].map((t) => heap.nodeTypeIndex(t)).filter((t) => t >= 0),
    );
    this.contextEdge = heap.edgeTypeIndex('context');
    this.elementEdge = heap.edgeTypeIndex('element');
    this.propertyEdge = heap.edgeTypeIndex('property');
    this.internalEdge = heap.edgeTypeIndex('internal');
    this.hiddenEdge = heap.edgeTypeIndex('hidden');
    this.shortcutEdge = heap.edgeTypeIndex('shortcut');
    this.weakEdge = heap.edgeTypeIndex('weak');
  }

  /** String-table index of a name (cached), -1 when the snapshot has no such string. */
  str(value: string): number {
    let index = this.strIndex.get(value);
    if (index === undefined) {
      index = this.heap.stringIndex(value);
      this.strIndex.set(value, index);
    }
    return index;
  }

  /** Target of the first edge with this name (property, internal or context), or -1. */
  get(node: number, name: string): number {
    return this.heap.namedEdgeTarget(node, this.str(name));
  }

  isObject(node: number): boolean {
    return this.heap.typeOf(node) === this.objectType;
  }

  isClosure(node: number): boolean {
    return this.heap.typeOf(node) === this.closureType;
  }

  isRoot(node: number): boolean {
    const type = this.heap.typeOf(node);
    return type === this.syntheticType || type === this.nativeType;
  }

  /**
   * A native context (a realm's global scope, where every script's and function's context chain
   * ends). Node 20–24 name it "system / NativeContext"; Node 26 (V8 14) appends " / " and the
   * context's name or URL ("system / NativeContext / " for the main realm), so compare by prefix.
   */
  isNativeContext(node: number): boolean {
    if (!this.nativeContextNames) {
      this.nativeContextNames = new Set();
      const strings = this.heap.strings;
      for (let i = 0; i < strings.length; i++) {
        if (strings[i].startsWith(NATIVE_CONTEXT) && (strings[i] === NATIVE_CONTEXT || strings[i].startsWith(`${NATIVE_CONTEXT} / `))) {
          this.nativeContextNames.add(i);
        }
      }
    }
    return this.nativeContextNames.has(this.heap.nameIndexOf(node));
  }

  /** "(X builtin handle)" / "(X builtin code)" → X for closures of V8 builtins; null for user code. */
  builtinName(closure: number): string | null {
    const code = this.get(closure, 'code');
    if (code < 0) return null;
    let name = this.builtinCache.get(code);
    if (name === undefined) {
      const match = /^\((\w+) builtin (?:handle|code)\)$/.exec(this.heap.nameOf(code));
      name = match && match[1] !== 'InterpreterEntryTrampoline' && !match[1].startsWith('CompileLazy') ? match[1] : null;
      this.builtinCache.set(code, name);
    }
    return name;
  }

  /** The value of a node as far as the snapshot holds it; undefined when it is an object. */
  value(node: number): JsValue {
    if (node < 0) return undefined;
    const heap = this.heap;
    const type = heap.typeOf(node);
    if (this.stringTypes.has(type)) return this.stringValue(node);
    if (type === this.numberType) {
      const text = this.stringValue(this.get(node, 'value'));
      const number = text === undefined ? NaN : Number(text);
      return Number.isNaN(number) ? undefined : number;
    }
    if (type === this.hiddenType) {
      const oddball = ODDBALLS.get(heap.nameOf(node));
      if (oddball !== undefined) return oddball.value;
    }
    if (heap.nameOf(node) === 'system / Oddball') {
      for (let e = heap.firstEdgeOf(node), end = heap.endEdgeOf(node); e < end; e++) {
        if (heap.edgeType(e) !== this.hiddenEdge) continue;
        switch (heap.nameOf(heap.edgeTo(e))) {
          case 'true':
            return true;
          case 'false':
            return false;
          case 'null':
            return null;
          default:
            return undefined;
        }
      }
    }
    return undefined;
  }

  private isOddball(node: number): boolean {
    return this.heap.nameOf(node) === 'system / Oddball';
  }

  /** A property's value (see value()); undefined when absent or an object. */
  prop(node: number, name: string): JsValue {
    const target = this.get(node, name);
    return target < 0 ? undefined : this.value(target);
  }

  /** True when the property is present and points at null or undefined. */
  isNullish(node: number, name: string): boolean {
    const target = this.get(node, name);
    if (target < 0) return true;
    if (this.heap.typeOf(target) !== this.hiddenType) return false;
    const value = this.value(target);
    return value === null || (value === undefined && (this.heap.nameOf(target) === 'undefined' || this.isOddball(target)));
  }

  /** The text of a string node; cons strings are joined (bounded). */
  stringValue(node: number, budget = 64): string | undefined {
    if (node < 0) return undefined;
    const heap = this.heap;
    const typeName = heap.typeName(node);
    // A sliced string's node is named "(sliced string)": its text is part of its parent's, at an
    // offset the snapshot does not give. Not known.
    if (typeName === 'string') return heap.nameOf(node);
    if (typeName !== 'concatenated string' || budget <= 0) return undefined;
    const first = this.stringValue(this.get(node, 'first'), budget - 1);
    const second = this.stringValue(this.get(node, 'second'), budget - 1);
    return first === undefined || second === undefined ? undefined : first + second;
  }

  /** Elements of a JS array object, in index order (holes and non-element edges skipped). */
  elements(array: number): number[] {
    const heap = this.heap;
    const out: { index: number; node: number }[] = [];
    for (let e = heap.firstEdgeOf(array), end = heap.endEdgeOf(array); e < end; e++) {
      if (heap.edgeType(e) === this.elementEdge) out.push({ index: heap.edgeName(e) as number, node: heap.edgeTo(e) });
    }
    return out.sort((a, b) => a.index - b.index).map(({ node }) => node);
  }

  /** The constructor name V8 gives an object ("Timeout"), without details after a space. */
  className(node: number): string {
    // By name index: the wake-up search asks it of the same few names millions of times.
    const index = this.heap.nameIndexOf(node);
    let name = this.classNames[index];
    if (name === undefined) this.classNames[index] = name = (this.heap.strings[index] ?? '').split(' ')[0];
    return name;
  }

  private readonly classNames: (string | undefined)[] = [];

  /** Name of the object's prototype (`__proto__`), e.g. "AbortSignal" for a signal instance. */
  protoName(node: number): string {
    const proto = this.get(node, '__proto__');
    return proto < 0 ? '' : this.className(proto);
  }
}
