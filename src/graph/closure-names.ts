// Which variables a closure's code names, read from its script's source. V8 allocates a scope's
// variable in its context as soon as any closure of the scope uses it, and every closure of the
// scope then holds that context (scopes.cc, Scope::AllocateVariablesRecursively): so a timer
// callback defined next to a Map of waiters retains the Map without ever touching it. The heap
// snapshot cannot tell the two apart; the callback's source can.
//
// Pure: the caller fetches sources (Debugger.getScriptSource) for the scripts asked for.

import { parseScript, type ParsedScript, type ScriptPosition } from './infer-await.js';

/** A closure's definition as the heap snapshot has it. */
export interface ClosureDefinition extends ScriptPosition {
  scriptId: number;
}

/** `missing`: the script's source has not been given yet; `unknown`: it cannot be read or parsed. */
export type NamesAnswer = ReadonlySet<string> | 'missing' | 'unknown';

export class ClosureNames {
  /** Parsed scripts; null for a source that was asked for but cannot be had or parsed. */
  private readonly scripts = new Map<number, ParsedScript | null>();
  private readonly names = new Map<string, ReadonlySet<string> | null>();
  /** Scripts asked for since the caller last took them (takeMissing). */
  private readonly missing = new Set<number>();

  /** A script's source; null when it cannot be had (the closures of that script then name anything). */
  addSource(scriptId: number, text: string | null): void {
    if (this.scripts.has(scriptId)) return;
    this.scripts.set(scriptId, text === null ? null : parseScript(text));
    this.missing.delete(scriptId);
  }

  namesUsedBy(definition: ClosureDefinition): NamesAnswer {
    const script = this.scripts.get(definition.scriptId);
    if (script === undefined) {
      this.missing.add(definition.scriptId);
      return 'missing';
    }
    if (script === null) return 'unknown';
    const key = `${definition.scriptId}:${definition.line}:${definition.column}`;
    let names = this.names.get(key);
    if (names === undefined) {
      names = script.namesUsedBy(definition);
      this.names.set(key, names);
    }
    return names ?? 'unknown';
  }

  /** The scripts asked for and not given since the last call. */
  takeMissing(): number[] {
    const ids = [...this.missing];
    this.missing.clear();
    return ids;
  }
}
