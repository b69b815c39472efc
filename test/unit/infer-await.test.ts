import { describe, expect, it } from 'vitest';
import type { FoundNode } from '../../src/awaits/await-graph.js';
import { inferAwait, inferLocations, inferSuspension, scriptsToInfer, type InferQuery } from '../../src/locations/infer-await.js';
import { parseScript, type ParsedScript, type ScriptPosition } from '../../src/locations/parsed-script.js';
import { nameTranspiledFunctions } from '../../src/locations/transpiled-names.js';

/** 0-based line/column of the `nth` occurrence of `text` in `source`. */
function at(source: string, text: string, nth = 0): ScriptPosition {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = source.indexOf(text, offset + 1);
    if (offset < 0) throw new Error(`"${text}" #${nth} not in source`);
  }
  const before = source.slice(0, offset).split('\n');
  return { line: before.length - 1, column: before[before.length - 1].length };
}

function parsed(source: string): ParsedScript {
  const script = parseScript(source);
  if (!script) throw new Error('did not parse');
  return script;
}

const fn = (name: string) => ({ kind: 'async-function' as const, name });

function query(source: string, definitionMarker: string, awaiting: InferQuery['awaiting'] = [], kind: InferQuery['kind'] = 'async-function'): ScriptPosition | null {
  return inferAwait(parsed(source), { kind, definition: at(source, definitionMarker), awaiting });
}

describe('inferAwait', () => {
  it("finds a function's only await, from the definition position V8 gives (its parameter list)", () => {
    const source = `'use strict';\nasync function inner() {\n  const x = 1;\n  await pending();\n}\n`;
    expect(query(source, '()')).toEqual(at(source, 'await'));
  });

  it('picks the await that calls the awaited function (by name or method name)', () => {
    const source = [
      'class Q {',
      '  async query(sql) {',
      '    await this.pool.acquire();',
      '    try {',
      '      await new Promise((resolve) => setImmediate(resolve));',
      '    } finally {',
      '      this.pool.release();',
      '    }',
      '  }',
      '}',
    ].join('\n');
    expect(query(source, '(sql)', [{ kind: 'async-function', name: 'acquire' }])).toEqual(at(source, 'await this.pool'));
    // Nothing known to match, two awaits: no answer.
    expect(query(source, '(sql)', [{ kind: 'promise', name: 'Promise' }])).toBeNull();
    expect(query(source, '(sql)', [])).toBeNull();
  });

  it('recognises combinators and .then steps', () => {
    const source = [
      'async function load(id) {',
      '  const user = await getUser(id);',
      '  const [a, b] = await Promise.all([one(id), two(id)]);',
      '  const c = await fetchIt().then(parse);',
      '  return Promise.race([a, b, c]);',
      '}',
    ].join('\n');
    expect(query(source, '(id)', [{ kind: 'combinator', name: 'Promise.all', combinator: 'all' }])).toEqual(at(source, 'await Promise.all'));
    expect(query(source, '(id)', [{ kind: 'then', name: 'parse', thenMethod: 'then' }])).toEqual(at(source, 'await fetchIt'));
    expect(query(source, '(id)', [fn('getUser')])).toEqual(at(source, 'await getUser'));
    // The combinator's inputs are inside the awaited expression too.
    expect(query(source, '(id)', [fn('two')])).toEqual(at(source, 'await Promise.all'));
  });

  it('gives no answer when the same call is awaited twice', () => {
    const source = 'async function twice() {\n  await step(1);\n  await step(2);\n}\n';
    expect(query(source, '()', [fn('step')])).toBeNull();
  });

  it('leaves out the awaits of nested functions', () => {
    const source = [
      'async function outer(items) {',
      '  const mapped = items.map(async (item) => { await work(item); });',
      '  await Promise.all(mapped);',
      '}',
    ].join('\n');
    expect(query(source, '(items)', [{ kind: 'combinator', name: 'Promise.all', combinator: 'all' }])).toEqual(at(source, 'await Promise.all'));
    expect(query(source, '(items)', [])).toEqual(at(source, 'await Promise.all'));
    // The arrow itself: its own await.
    expect(query(source, '(item)', [])).toEqual(at(source, 'await work'));
  });

  it('places `for await` at its loop variable, as V8 does', () => {
    const source = 'async function consume() {\n  for await (const tick of ticks()) {\n    void tick;\n  }\n}\n';
    expect(query(source, '()', [{ kind: 'async-generator', name: 'ticks' }])).toEqual(at(source, 'tick of'));
  });

  it('in an async generator prefers awaits when it awaits something, yields when it does not', () => {
    const source = 'async function* ticks() {\n  yield 1;\n  await pending();\n  yield 2;\n}\n';
    expect(query(source, '()', [{ kind: 'promise', name: 'Promise' }], 'async-generator')).toEqual(at(source, 'await'));
    expect(query(source, '()', [], 'async-generator')).toBeNull();
    const oneYield = 'async function* gen() {\n  yield await first();\n  yield* more();\n}\n';
    expect(query(oneYield, '()', [{ kind: 'async-generator', name: 'more' }], 'async-generator')).toEqual(at(oneYield, 'yield*'));
  });

  it('finds arrows, methods, getters-free object methods and class fields by their heads', () => {
    const source = [
      'const loadUser = async (id) => await query(id);',
      'const obj = { async save(x) { await db.write(x); } };',
      'class Poller { static async poll() { await tick(); } #secret = 1; async #run() { await this.#step(); } async #step() {} }',
    ].join('\n');
    expect(query(source, '(id)')).toEqual(at(source, 'await query'));
    expect(query(source, '(x)')).toEqual(at(source, 'await db'));
    expect(query(source, 'poll()')).toEqual(at(source, 'await tick'));
    expect(query(source, '() { await this', [{ kind: 'async-function', name: '#step' }])).toEqual(at(source, 'await this.#step'));
  });

  it('handles a module top level (top-level await) and dynamic import', () => {
    const source = "import { a } from './a.mjs';\nconst settings = await loadSettings();\nconst mod = await import('./b.mjs');\n";
    const script = parsed(source);
    expect(inferAwait(script, { kind: 'module', definition: null, awaiting: [fn('loadSettings')] })).toEqual(at(source, 'await loadSettings'));
    expect(inferAwait(script, { kind: 'module', definition: null, awaiting: [{ kind: 'module', name: 'b.mjs' }] })).toEqual(at(source, 'await import'));
    // Node's ESM loader awaits a module's evaluation.
    const loader = 'class ModuleJob {\n  async run() {\n    await this.instantiate();\n    await this.module.evaluate(-1, false);\n  }\n}\n';
    expect(query(loader, '() {', [{ kind: 'module', name: 'app.mjs' }])).toEqual(at(loader, 'await this.module'));
  });

  it('parses CommonJS (top-level return, hashbang) and gives up on what does not parse', () => {
    const cjs = '#!/usr/bin/env node\nif (require.main !== module) return;\nasync function main() { await run(); }\n';
    expect(query(cjs, '()')).toEqual(at(cjs, 'await'));
    expect(parseScript('async function (')).toBeNull();
    // A position outside the text, or outside any function.
    const script = parsed('async function f() { await x; }');
    expect(inferAwait(script, { kind: 'async-function', definition: { line: 9, column: 0 }, awaiting: [] })).toBeNull();
    expect(inferAwait(script, { kind: 'async-function', definition: { line: 0, column: 26 }, awaiting: [] })).toBeNull();
  });

  it('counts lines and columns as V8 does (CRLF, U+2028; UTF-16 columns)', () => {
    const source = '// é😀\r\nconst s = "\u2028";\r\nasync function f() {\r\n  /* 😀 */ await g();\r\n}\r\n';
    // V8 ends lines at \r\n and at U+2028 (even inside a string literal): `async function f(` is
    // on line 3, its await on line 4 after "  /* 😀 */ ", the emoji being two UTF-16 units.
    const position = inferAwait(parsed(source), { kind: 'async-function', definition: { line: 3, column: 16 }, awaiting: [] });
    expect(position).toEqual({ line: 4, column: 11 });
  });
});

describe('inferSuspension: when the answer is certain', () => {
  const sole = (source: string, marker: string, awaiting: InferQuery['awaiting'] = [], kind: InferQuery['kind'] = 'async-function') =>
    inferSuspension(parsed(source), { kind, definition: at(source, marker), awaiting })?.sole;

  it("an async function's only await, nested functions' awaits aside", () => {
    expect(sole('async function f(x) {\n  const g = async () => { await h(); };\n  return await g();\n}\n', '(x)')).toBe(true);
  });

  it("not for a function whose body is a function: the await is the inner one's", () => {
    expect(inferSuspension(parsed('const f = async (x) => async () => { await g(); };'), { kind: 'async-function', definition: { line: 0, column: 16 }, awaiting: [] })).toBeNull();
  });

  it('not when the await was picked among several, nor for a generator, a for await or an await using', () => {
    expect(sole('async function f(x) { await a(); await b(); }', '(x)', [fn('a')])).toBe(false);
    expect(sole('async function* f(x) { await a(); }', '(x)', [fn('a')], 'async-generator')).toBe(false);
    expect(sole('async function f(x) { for await (const y of x) use(y); }', '(x)')).toBe(false);
    expect(sole('async function f(x) { await using lock = take(x); await a(); }', '(x)', [fn('a')])).toBe(false);
  });
});

describe('inferLocations', () => {
  const source = 'async function a() { await b(); }\nasync function b() { await new Promise(() => {}); }\n';
  const def = (marker: string) => {
    const { line, column } = at(source, marker);
    return { scriptId: 3, line, column };
  };
  const nodes: FoundNode[] = [
    { id: 1, heapNode: 0, kind: 'async-function', name: 'a', definition: def('() { await b'), awaitedBy: [] },
    { id: 2, heapNode: 0, kind: 'async-function', name: 'b', definition: def('() { await new'), awaitedBy: [1] },
    { id: 3, heapNode: 0, kind: 'promise', name: 'Promise', definition: null, awaitedBy: [2] },
    { id: 4, heapNode: 0, kind: 'async-function', name: 'elsewhere', definition: { scriptId: 9, line: 0, column: 0 }, awaitedBy: [] },
  ];

  it('infers the frames without an exact point, whose sources are known', () => {
    const exact = new Map([[2, { scriptId: '3', lineNumber: 1, columnNumber: 21 }]]);
    expect(scriptsToInfer(nodes, exact)).toEqual(['3', '9']);
    const inferred = inferLocations(nodes, exact, new Map([['3', source]]));
    expect([...inferred]).toEqual([[1, { scriptId: '3', lineNumber: 0, columnNumber: 21 }]]);
    // `a` has one await: it can be nowhere else, unless it is running (on the caught stack).
    expect(inferred.isCertain(1)).toBe(true);
    expect(inferred.isCertain(2)).toBe(false);
    inferred.doubt([1]);
    expect(inferred.isCertain(1)).toBe(false);
    expect(inferred.get(1)).toEqual({ scriptId: '3', lineNumber: 0, columnNumber: 21 });
  });

  it("gives a frame the source cannot place the point V8 gave the function's other frames, when they agree", () => {
    // Two awaits of the same call: the source cannot tell which one a frame is at.
    const twice = 'async function main(p) {\n  if (p) await step();\n  else await step();\n}\n';
    const definition = { scriptId: 5, ...at(twice, '(p)') };
    const frames: FoundNode[] = [1, 2, 3, 4].map((id) => ({ id, heapNode: 0, kind: 'async-function', name: 'main', definition, awaitedBy: [] }));
    const first = at(twice, 'await step');
    const second = at(twice, 'await step', 1);
    const point = ({ line, column }: ScriptPosition) => ({ scriptId: '5', lineNumber: line, columnNumber: column });
    const lookedUp = (at: ScriptPosition, state = 'suspended') => ({ ...point(at), state });
    const agreeing = inferLocations(frames, new Map([[1, lookedUp(first)], [2, lookedUp(first)]]), new Map([['5', twice]]));
    expect([...agreeing]).toEqual([[3, point(first)], [4, point(first)]]);
    expect(agreeing.isCertain(3)).toBe(false);
    // Looked-up frames at both places: the others stay unplaced.
    const split = inferLocations(frames, new Map([[1, lookedUp(first)], [2, lookedUp(second)]]), new Map([['5', twice]]));
    expect(split.size).toBe(0);
    // A frame V8 says is running or closed is not at an await: nothing to adopt.
    for (const state of ['running', 'closed']) {
      expect(inferLocations(frames, new Map([[1, lookedUp(first, state)]]), new Map([['5', twice]])).size).toBe(0);
    }
  });

  it('needs no source when every frame is exact', () => {
    const exact = new Map([1, 2, 4].map((id) => [id, { scriptId: '3', lineNumber: 0, columnNumber: 0 }]));
    expect(scriptsToInfer(nodes, exact)).toEqual([]);
  });
});

describe('transpiled async functions', () => {
  /** A transpiled node defined at `marker` (V8: the generator's parameter list). */
  function transpiledNode(source: string, marker: string, extra: Partial<FoundNode> = {}): FoundNode {
    const { line, column } = at(source, marker);
    return {
      id: 1,
      heapNode: 0,
      kind: 'async-function',
      name: '(anonymous)',
      transpiled: '__awaiter',
      definition: { scriptId: 7, line, column },
      awaitedBy: [],
      ...extra,
    };
  }

  function named(source: string, marker: string, extra: Partial<FoundNode> = {}): string {
    const node = transpiledNode(source, marker, extra);
    nameTranspiledFunctions([node], new Map([['7', source]]));
    return node.qualifiedName ?? node.name;
  }

  it('names the generator after the function it is created in, as written', () => {
    const tsc = [
      'class Pool {',
      '  acquire() {',
      '    return __awaiter(this, void 0, void 0, function* () { yield x; });',
      '  }',
      '}',
      'function handle(id) {',
      '  return __awaiter(this, void 0, void 0, function* () { yield y; });',
      '}',
      'const load = (id) => __awaiter(void 0, void 0, void 0, function* () { yield z; });',
    ].join('\n');
    expect(named(tsc, 'function* () { yield x', { receiverClass: 'Pool' })).toBe('Pool.acquire');
    expect(named(tsc, 'function* () { yield y')).toBe('handle');
    expect(named(tsc, 'function* () { yield z')).toBe('load');
  });

  it("names Babel's shapes: the _name wrapper, a method without receiver, an arrow's immediately called maker", () => {
    const babel = [
      'function _consume() {',
      '  _consume = _asyncToGenerator(function* (queue) { yield queue.take(); });',
      '  return _consume.apply(this, arguments);',
      '}',
      'class Queue { take() { return _asyncToGenerator(function* () { yield t; })(); } }',
      'const worker = (function () {',
      '  var _ref = _asyncToGenerator(function* () { yield w; });',
      '  return function worker() { return _ref.apply(this, arguments); };',
      '})();',
    ].join('\n');
    expect(named(babel, 'function* (queue)')).toBe('consume');
    expect(named(babel, 'function* () { yield t')).toBe('Queue.take');
    expect(named(babel, 'function* () { yield w')).toBe('worker');
  });

  it('names an ES5 state machine from its body, through the anonymous function passed to __awaiter', () => {
    const es5 = [
      'Semaphore.prototype.runExclusive = function (callback_1) {',
      '  return tslib_1.__awaiter(this, arguments, void 0, function (callback) {',
      '    return tslib_1.__generator(this, function (_b) {',
      '      switch (_b.label) {',
      '        case 0: return [4 /*yield*/, this.acquire()];',
      '        case 1: _b.sent();',
      '          return [4 /*yield*/, callback()];',
      '        case 2: return [2 /*return*/, _b.sent()];',
      '      }',
      '    });',
      '  });',
      '};',
    ].join('\n');
    expect(named(es5, '(_b)', { transpiled: '__generator' })).toBe('Semaphore.runExclusive');
    // Resumed at label 1: suspended at the yield instruction of case 0; at 2, the one before case 2.
    const point = (resumeLabel: number) =>
      inferAwait(parsed(es5), { kind: 'async-function', definition: at(es5, '(_b)'), awaiting: [], stateMachine: { resumeLabel } });
    expect(point(1)).toEqual(at(es5, '[4 /*yield*/, this'));
    expect(point(2)).toEqual(at(es5, '[4 /*yield*/, callback'));
    expect(point(7)).toBeNull();
  });

  it('leaves a name that cannot be read as (anonymous), and named functions alone', () => {
    const source = 'run(function () { return __awaiter(this, void 0, void 0, function* () { yield a; }); });';
    expect(named(source, 'function* ()')).toBe('(anonymous)');
    const native = transpiledNode(source, 'function* ()', { name: 'fetchUser' });
    nameTranspiledFunctions([native], new Map([['7', source]]));
    expect(native.name).toBe('fetchUser');
  });
});
