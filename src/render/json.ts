import { closeSync, openSync, writeSync } from 'node:fs';
import type { AwaitGraphDocument } from '../graph/types.js';

/** The document as stable, indented JSON (schema: docs/json-schema.md). */
export function renderJson(doc: AwaitGraphDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Text is written in pieces of about this many characters. */
const WRITE_BATCH = 1 << 20;

/**
 * Writes exactly renderJson's text to a file without ever holding all of it: the top-level
 * arrays (the nodes of a graph of a million frames) are stringified one element at a time and
 * written in batches, so memory stays at one batch rather than the whole text twice over (the
 * string, then its encoded buffer).
 */
export function writeJsonFile(path: string, doc: AwaitGraphDocument): void {
  const fd = openSync(path, 'w');
  try {
    let batch = '';
    const write = (text: string) => {
      batch += text;
      if (batch.length >= WRITE_BATCH) {
        writeSync(fd, batch);
        batch = '';
      }
    };
    for (const piece of jsonPieces(doc)) write(piece);
    write('\n');
    if (batch.length > 0) writeSync(fd, batch);
  } finally {
    closeSync(fd);
  }
}

/** JSON.stringify(value, null, 2) in pieces: the object's keys one by one, array elements one by one. */
export function* jsonPieces(value: object): Generator<string> {
  const whole = () => JSON.stringify(value, null, 2);
  if (Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield whole();
    return;
  }
  const entries: [string, string | unknown[]][] = [];
  for (const [key, member] of Object.entries(value)) {
    if (Array.isArray(member) && member.length > 0 && typeof (member as { toJSON?: unknown }).toJSON !== 'function') {
      entries.push([key, member]);
      continue;
    }
    const text = JSON.stringify(member, null, 2);
    if (text !== undefined) entries.push([key, text.replaceAll('\n', '\n  ')]);
  }
  if (entries.length === 0) {
    yield whole();
    return;
  }
  yield '{\n';
  for (let k = 0; k < entries.length; k++) {
    const [key, member] = entries[k];
    yield `  ${JSON.stringify(key)}: `;
    if (typeof member === 'string') {
      yield member;
    } else {
      yield '[\n';
      for (let i = 0; i < member.length; i++) {
        const element = JSON.stringify(member[i], null, 2) ?? 'null';
        yield `    ${element.replaceAll('\n', '\n    ')}${i < member.length - 1 ? ',\n' : '\n'}`;
      }
      yield '  ]';
    }
    yield k < entries.length - 1 ? ',\n' : '\n';
  }
  yield '}';
}
