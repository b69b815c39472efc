import type { HeapGraph } from '../snapshot/heap-graph.js';
import type { HeapReader } from '../snapshot/heap-reader.js';
import { KNOWN_NO, KNOWN_YES, NOT_KNOWN } from './known-flags.js';
import { describeResource, isResourceClass, type FoundResource, type RawLocation } from './resources.js';

// Facts about one heap object that the wake-up analysis asks again and again: is it a suspended
// async function's generator, a native wrapper, a script's top-level scope (and whose), a Node
// resource. Each is worked out once per node: thousands of leaves' searches pass through the same
// holders (a module's scope, a socket shared by hundreds of requests).

export class HeapNodeFacts {
  private readonly heap: HeapGraph;
  /** Per heap node: NOT_KNOWN, KNOWN_NO or KNOWN_YES (src/wakeups/known-flags.ts). */
  private readonly generatorFlag: Uint8Array;
  private readonly nativeFlag: Uint8Array;
  private readonly scriptContext: number;
  /** String index of a scope's node name. */
  private readonly contextName: number;
  private readonly contextScripts = new Map<number, RawLocation | undefined>();
  private readonly resources = new Map<number, FoundResource | null>();

  constructor(private readonly reader: HeapReader) {
    this.heap = reader.heap;
    this.generatorFlag = new Uint8Array(this.heap.nodeCount);
    this.nativeFlag = new Uint8Array(this.heap.nodeCount);
    this.scriptContext = this.heap.stringIndex('system / ScriptContext');
    this.contextName = this.heap.stringIndex('system / Context');
  }

  /** A generator object: a suspended async function (its registers hold its locals). */
  isGenerator(node: number): boolean {
    let flag = this.generatorFlag[node];
    if (flag === NOT_KNOWN) {
      flag = this.reader.get(node, 'parameters_and_registers') >= 0 && this.reader.get(node, 'function') >= 0 ? KNOWN_YES : KNOWN_NO;
      this.generatorFlag[node] = flag;
    }
    return flag === KNOWN_YES;
  }

  /** A native wrapper (Node's BaseObject) or an object native code holds directly. */
  isNativeBacked(node: number): boolean {
    let flag = this.nativeFlag[node];
    if (flag === NOT_KNOWN) {
      let native = this.reader.get(node, 'javascript_to_native') >= 0 || isResourceClass(this.reader.className(node));
      if (!native) {
        this.heap.forEachRetainer(node, (from) => {
          if (this.reader.isRoot(from)) native = true;
          return native;
        });
      }
      flag = native ? KNOWN_YES : KNOWN_NO;
      this.nativeFlag[node] = flag;
    }
    return flag === KNOWN_YES;
  }

  /**
   * For a scope (a context): `module` for a script's or module's top level, whose variables are
   * named as holders; else `function`. Undefined for anything else.
   */
  scopeOf(node: number): 'module' | 'function' | undefined {
    if (this.heap.nameIndexOf(node) !== this.contextName) return undefined;
    return this.isTopLevelContext(node) ? 'module' : 'function';
  }

  /** A script's or module's top-level scope: its outer context is the native (or script) context. */
  isTopLevelContext(context: number): boolean {
    const previous = this.reader.get(context, 'previous');
    if (previous < 0) return true;
    return this.reader.isNativeContext(previous) || this.heap.nameIndexOf(previous) === this.scriptContext;
  }

  /**
   * The script of a top-level context: that of a closure defined in it. Remembered per context: a
   * module's context is the variable hit of every leaf held there, and its retainers can be a
   * hundred thousand generators before the first closure.
   */
  contextScript(context: number): RawLocation | undefined {
    if (this.contextScripts.has(context)) return this.contextScripts.get(context);
    let script: RawLocation | undefined;
    this.heap.forEachRetainer(context, (closure, edge) => {
      if (!this.reader.isClosure(closure) || this.heap.edgeNameIndex(edge) !== this.reader.str('context')) return false;
      script = this.heap.closureLocation(closure);
      return script !== undefined;
    });
    this.contextScripts.set(context, script);
    return script;
  }

  /** describeResource, once per holder (a socket or emitter shared by hundreds of leaves). */
  resourceOf(node: number): FoundResource | null {
    let resource = this.resources.get(node);
    if (resource === undefined) this.resources.set(node, (resource = describeResource(this.reader, node)));
    return resource;
  }

  /** An AbortSignal, by its prototype or its class name. */
  isAbortSignal(node: number): boolean {
    return this.reader.protoName(node) === 'AbortSignal' || this.reader.className(node) === 'AbortSignal';
  }
}
