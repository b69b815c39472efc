// Transpiled async functions (tslib's __awaiter, Babel's _asyncToGenerator) named after the
// function they were written as: the heap only has the anonymous generator they compile to.

import type { FoundNode } from '../awaits/await-graph.js';
import { parsedScript, type ScriptParses } from './parsed-script.js';

export function needsName(node: FoundNode): boolean {
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
