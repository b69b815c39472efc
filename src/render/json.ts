import type { AwaitGraphDocument } from '../graph/types.js';

/** The document as stable, indented JSON (schema: docs/json-schema.md). */
export function renderJson(doc: AwaitGraphDocument): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
