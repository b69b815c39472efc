// Which variables a closure's code names, read from its script's source. V8 allocates a scope's
// variable in its context as soon as any closure of the scope uses it, and every closure of the
// scope then holds that context (scopes.cc, Scope::AllocateVariablesRecursively): so a timer
// callback defined next to a Map of waiters retains the Map without ever touching it. The heap
// snapshot cannot tell the two apart; the callback's source can.
//
// Pure: the caller fetches sources (Debugger.getScriptSource) for the scripts asked for.

import { namesUsedByTokens } from '../locations/function-tokens.js';
import { lineStarts, offsetIn, parsedScript, type ScriptParses, type ScriptPosition } from '../locations/parsed-script.js';

/** A closure's definition as the heap snapshot has it. */
export interface ClosureDefinition extends ScriptPosition {
  scriptId: number;
}

/** `missing`: the script's source has not been given yet; `unknown`: it cannot be read or parsed. */
export type NamesAnswer = ReadonlySet<string> | 'missing' | 'unknown';

export class ClosureNames {
  /** Scripts whose source was asked for but cannot be had. */
  private readonly unavailable = new Set<number>();
  private readonly names = new Map<string, ReadonlySet<string> | null>();
  private readonly lineStarts = new Map<number, number[]>();
  /** Scripts asked for since the caller last took them (takeMissing). */
  private readonly missing = new Set<number>();
  /** How many answers were `missing` so far: a search that raised it needs to run again. */
  missingAsked = 0;

  /**
   * `sources` (script id → text, parsed when first asked about) and `parsed` may be shared with
   * inference (src/locations/infer-await.ts): a script is fetched and parsed once per capture.
   */
  constructor(
    private readonly parsed: ScriptParses = new Map(),
    private readonly sources = new Map<string, string>(),
  ) {}

  /** A script's source; null when it cannot be had (the closures of that script then name anything). */
  addSource(scriptId: number, text: string | null): void {
    if (text === null) {
      if (!this.sources.has(String(scriptId))) this.unavailable.add(scriptId);
    } else {
      this.sources.set(String(scriptId), text);
      this.unavailable.delete(scriptId);
    }
    this.missing.delete(scriptId);
  }

  namesUsedBy(definition: ClosureDefinition): NamesAnswer {
    if (this.unavailable.has(definition.scriptId)) return 'unknown';
    const text = this.sources.get(String(definition.scriptId));
    if (text === undefined) {
      this.missing.add(definition.scriptId);
      this.missingAsked++;
      return 'missing';
    }
    const key = `${definition.scriptId}:${definition.line}:${definition.column}`;
    let names = this.names.get(key);
    if (names === undefined) {
      names = this.readNames(definition, text);
      this.names.set(key, names);
    }
    return names ?? 'unknown';
  }

  /** The function's names from its tokens (function-tokens.ts); from a parse of its script when they do not read. */
  private readNames(definition: ClosureDefinition, text: string): ReadonlySet<string> | null {
    let starts = this.lineStarts.get(definition.scriptId);
    if (starts === undefined) this.lineStarts.set(definition.scriptId, (starts = lineStarts(text)));
    const offset = offsetIn(text, starts, definition);
    // Outside the text: no function there, and a parse would say the same.
    if (offset === null) return null;
    const read = namesUsedByTokens(text, offset);
    if (read === 'dynamic' || read === 'not-a-function') return null;
    if (read !== 'unreadable') return read;
    return parsedScript(String(definition.scriptId), this.sources, this.parsed)?.namesUsedBy(definition) ?? null;
  }

  /** The scripts asked for and not given since the last call. */
  takeMissing(): number[] {
    // Asked after every leaf, and nearly always empty: spreading an empty Set cost 0.9 µs a leaf.
    if (this.missing.size === 0) return [];
    const ids = [...this.missing];
    this.missing.clear();
    return ids;
  }
}
