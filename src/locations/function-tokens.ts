// The names one function's code uses, read from its tokens alone: from its head (where V8 puts a
// closure's position: the `(` of its parameters, or an arrow's first parameter or `async`) to the
// end of its body. No parse of the whole script: the wake-up analysis asks this of a few closures
// in each of a dozen library and node: scripts, and parsing those whole took most of its time on a
// service's 600 leaves (docs/performance.md).
//
// The answer may name more than the function's variables (property keys written `{ a: 1 }` after a
// comma, method and field names, labels): the scope check then follows a closure it could have
// left out, as it does without sources. It never names fewer: an identifier token counts unless a
// `.`/`?.` comes before it, or it is a key or label right after `{` (`{ key: …`).

import { Parser, tokTypes as tt, type Options, type TokenType } from 'acorn';

/** A token as acorn's tokenizer makes it (its `value` is not in acorn's types). */
interface Token {
  type: TokenType;
  value?: unknown;
}

/** A tokenizer started at an offset (acorn's Parser takes one; its tokenizer() does not). */
class TokensFrom extends Parser {
  static at(text: string, offset: number): { getToken(): Token } {
    return new TokensFrom(OPTIONS, text, offset) as unknown as { getToken(): Token };
  }
}

const OPTIONS: Options = { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true };

/**
 * What namesUsedByTokens found: the names, `dynamic` when the code can reach any name (`with`, a
 * direct `eval(…)`), `not-a-function` when the offset starts no function head it knows (a class
 * without a constructor is positioned at `class`), `unreadable` when the tokens do not read (the
 * caller then parses the whole script).
 */
export type FunctionNames = Set<string> | 'dynamic' | 'not-a-function' | 'unreadable';

const OPENING = new Set<TokenType>([tt.parenL, tt.bracketL, tt.braceL, tt.dollarBraceL]);
const CLOSING = new Set<TokenType>([tt.parenR, tt.bracketR, tt.braceR]);

/** The names a function uses, the function's head starting at `offset` in `text`. */
export function namesUsedByTokens(text: string, offset: number): FunctionNames {
  let names: FunctionNames;
  try {
    names = readFunction(TokensFrom.at(text, offset));
  } catch {
    return 'unreadable';
  }
  // `function name(`: the name is written before the head's `(`, and counts as the parse counts it.
  const ownName = OWN_NAME.exec(text.slice(Math.max(0, offset - 200), offset));
  if (ownName && typeof names !== 'string') names.add(ownName[1]);
  return names;
}

const OWN_NAME = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*$/;

function readFunction(tokens: { getToken(): Token }): FunctionNames {
  const names = new Set<string>();
  let previous: TokenType | null = null;
  let pending: Token | null = null;
  let dynamic = false;
  const next = (): Token => {
    const token = pending ?? tokens.getToken();
    pending = null;
    return token;
  };
  const peek = (): Token => (pending ??= tokens.getToken());
  /** Counts a token's name, if it is one the code uses. */
  const note = (token: Token) => {
    if (token.type === tt._this) names.add('this');
    else if (token.type === tt._with) dynamic = true;
    else if (token.type === tt.name && previous !== tt.dot && previous !== tt.questionDot) {
      const following = peek().type;
      if (previous === tt.braceL && following === tt.colon) return;
      if (token.value === 'eval' && following === tt.parenL) dynamic = true;
      names.add(token.value as string);
    }
  };
  /** Reads tokens through the bracket `open` opens, to its match. */
  const readBracketed = (open: Token) => {
    let depth = 0;
    for (let token = open; ; token = next()) {
      if (token.type === tt.eof) throw new Error('unbalanced');
      note(token);
      previous = token.type;
      if (OPENING.has(token.type)) depth++;
      else if (CLOSING.has(token.type) && --depth === 0) return;
    }
  };

  let head = next();
  if (head.type === tt._class) return 'not-a-function';
  if (head.type === tt.name && head.value === 'async' && (peek().type === tt.parenL || peek().type === tt.name)) {
    previous = head.type;
    head = next();
  }
  if (head.type === tt.parenL) {
    readBracketed(head);
  } else if (head.type === tt.name && peek().type === tt.arrow) {
    note(head);
    previous = head.type;
  } else {
    return 'unreadable';
  }
  const afterHead = next();
  if (afterHead.type === tt.arrow) {
    const body = next();
    if (body.type === tt.braceL) {
      readBracketed(body);
    } else {
      // An expression body ends at a `,` or `;` outside brackets, or at the bracket it sits in:
      // reading on past a line break without `;` only names more.
      let depth = 0;
      for (let token = body; token.type !== tt.eof; token = next()) {
        if (depth === 0 && (token.type === tt.comma || token.type === tt.semi)) break;
        if (CLOSING.has(token.type) && --depth < 0) break;
        if (OPENING.has(token.type)) depth++;
        note(token);
        previous = token.type;
      }
    }
  } else if (afterHead.type === tt.braceL) {
    readBracketed(afterHead);
  } else {
    return 'unreadable';
  }
  return dynamic ? 'dynamic' : names;
}
