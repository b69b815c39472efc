import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { namesUsedByTokens } from '../../src/locations/function-tokens.js';
import { parseScript, type AnyNode } from '../../src/locations/parsed-script.js';

const names = (text: string, head: string) => {
  const found = namesUsedByTokens(text, text.indexOf(head));
  return typeof found === 'string' ? found : [...found].sort();
};

describe('namesUsedByTokens', () => {
  it('reads a function from the head V8 positions it at to the end of its body', () => {
    const text = 'const a = 1; function f(x, y = a) { return g(x.p, y); } h();';
    expect(names(text, '(x, y')).toEqual(['a', 'f', 'g', 'x', 'y']);
  });

  it('ends an arrow function at its body: a block, or an expression up to a comma or its bracket', () => {
    const text = 'call(async (v) => { await w; }, (u) => u + k, z => [z, m], last);';
    expect(names(text, 'async (v)')).toEqual(['await', 'v', 'w']);
    expect(names(text, '(u)')).toEqual(['k', 'u']);
    expect(names(text, 'z =>')).toEqual(['m', 'z']);
  });

  it('leaves out property names after a dot and keys right after a brace, and reads `this`', () => {
    const text = 'const f = (o) => ({ key: o.inner?.deep, shorthand, [computed]: 1, ...this.rest });';
    expect(names(text, '(o)')).toEqual(['computed', 'o', 'shorthand', 'this']);
  });

  it('reads templates and regular expressions as the parser does', () => {
    const text = 'const f = (s) => `${s.replace(/[}{]/g, "")}${tail}` + after; const next = 1;';
    expect(names(text, '(s)')).toEqual(['after', 's', 'tail']);
  });

  it('says when the code can reach any name, and when the head is not a function', () => {
    expect(names('function f(o) { with (o) { x; } }', '(o)')).toBe('dynamic');
    expect(names('function f() { return eval("x"); }', '()')).toBe('dynamic');
    expect(names('class K { m() {} }', 'class')).toBe('not-a-function');
    expect(names('const x = 1 + 2;', '1')).toBe('unreadable');
    expect(names('function f(a) { return [a; }', '(a)')).toBe('unreadable');
  });

  // Checked against the parse on real library code: every name the parse finds, for every function.
  it('names at least what a parse of the whole script names, for every function of undici and generic-pool', () => {
    const require = createRequire(import.meta.url);
    const files = ['undici/lib/web/fetch/index.js', 'undici/lib/dispatcher/client-h1.js', 'generic-pool/lib/Pool.js'].map((name) => require.resolve(name));
    let functions = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const script = parseScript(text)!;
      const heads: AnyNode[] = [];
      const collect = (node: AnyNode) => {
        if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') heads.push(node);
        for (const value of Object.values(node)) {
          for (const child of Array.isArray(value) ? value : [value]) if (child && typeof child === 'object' && typeof child.type === 'string') collect(child);
        }
      };
      collect(script.root);
      for (const fn of heads) {
        // V8's position: an arrow's first token, else its parameters' `(`.
        const params = fn.params as AnyNode[];
        const offset = fn.type === 'ArrowFunctionExpression' ? fn.start : text.lastIndexOf('(', params.length > 0 ? params[0].start : (fn.body as AnyNode).start);
        const parsed = script.namesUsedBy(script.positionOf(offset));
        const read = namesUsedByTokens(text, offset);
        expect(typeof read, `${file} at ${offset}`).not.toBe('string');
        const missing = [...(parsed ?? [])].filter((name) => !(read as Set<string>).has(name));
        expect(missing, `${file} at ${offset}`).toEqual([]);
        functions++;
      }
    }
    expect(functions).toBeGreaterThan(150);
  });
});
