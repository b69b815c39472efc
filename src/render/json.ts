import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { AwaitGraphDocument } from '../schema.js';

/** The document as stable, indented JSON (schema: docs/json-schema.md). */
export function renderJson(doc: AwaitGraphDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Text is written in pieces of about this many characters. */
const WRITE_BATCH = 1 << 20;
const DIRECT_WRITE = 1 << 16;

/**
 * renderJson's text in batches of about WRITE_BATCH characters, ending with its newline: the top-level
 * arrays (the nodes of a graph of a million frames) are stringified one element batch at a time,
 * so a writer holds one batch rather than the whole text twice over (the string, then its encoded
 * buffer).
 */
export function* jsonBatches(doc: AwaitGraphDocument): Generator<string> {
  let batch = '';
  for (const piece of jsonPieces(doc)) {
    // A large piece goes as it is: appended, it would be copied once more to flatten the batch.
    if (piece.length >= DIRECT_WRITE) {
      if (batch.length > 0) yield batch;
      batch = '';
      yield piece;
      continue;
    }
    batch += piece;
    if (batch.length >= WRITE_BATCH) {
      yield batch;
      batch = '';
    }
  }
  yield batch + '\n';
}

/** Writes exactly renderJson's text to a file, in batches (jsonBatches). */
export function writeJsonFile(path: string, doc: AwaitGraphDocument): void {
  const fd = openSync(path, 'w');
  try {
    for (const text of jsonBatches(doc)) writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes exactly renderJson's text to a stream (stdout), in batches, waiting for the reader when
 * the stream asks to. A stream that closes or fails (a reader gone: closed-pipe.ts handles the
 * error) ends the writing.
 */
export async function writeJsonStream(stream: NodeJS.WritableStream & Partial<Pick<Writable, 'destroyed'>>, doc: AwaitGraphDocument): Promise<void> {
  for (const text of jsonBatches(doc)) {
    if (stream.destroyed) return;
    if (!stream.write(text)) await drainedOrGone(stream);
  }
}

function drainedOrGone(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Elements of a large array stringified together: few calls, no re-indentation. */
const ELEMENT_BATCH = 1000;

/**
 * JSON.stringify(value, null, 2) in pieces: the object's keys one by one, and the elements of
 * its array members a batch at a time. A batch is stringified inside an object with the same
 * key, which indents it exactly as in the whole document; only that wrapper is cut off.
 */
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
    const name = JSON.stringify(key);
    if (typeof member === 'string') {
      yield `  ${name}: ${member}`;
    } else {
      const head = `{\n  ${name}: [\n`.length;
      const tail = '\n  ]\n}'.length;
      yield `  ${name}: [\n`;
      for (let start = 0; start < member.length; start += ELEMENT_BATCH) {
        const text = JSON.stringify({ [key]: member.slice(start, start + ELEMENT_BATCH) }, null, 2);
        yield text.slice(head, text.length - tail);
        yield start + ELEMENT_BATCH < member.length ? ',\n' : '\n';
      }
      yield '  ]';
    }
    yield k < entries.length - 1 ? ',\n' : '\n';
  }
  yield '}';
}
