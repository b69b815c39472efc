// `npm run bench -- --core`: asyncgraph's core alone, to tell its cost from the rest of the tool.
// Through asyncgraph's own session code and parser it takes the snapshot, parsing the chunks as
// they arrive, rebuilds the await graph, and writes the graph nodes as JSON; no location
// lookups, no wake-up analysis, no inference, no document. Prints "<graph nodes>".
//
// Usage: node scripts/bench-core-client.js ws://127.0.0.1:PORT/ID OUT.json [--numeric-values]
import { findAwaitGraph } from '../dist/awaits/await-graph.js';
import { HeapGraph } from '../dist/snapshot/heap-graph.js';
import { SnapshotParser } from '../dist/snapshot/snapshot-parser.js';
import { connectCdp } from '../dist/session/cdp-session.js';
import { writeJsonFile } from '../dist/render/json.js';
import { setFlagsFromString } from 'node:v8';

// As bin/asyncgraph.js does.
setFlagsFromString('--heap-growing-percent=50');

const [target, out] = process.argv.slice(2);
if (!target || !out) {
  process.stderr.write('usage: bench-core-client.js ws://HOST:PORT/ID OUT.json [--numeric-values]\n');
  process.exit(2);
}
const captureNumericValue = process.argv.includes('--numeric-values');

const session = await connectCdp(target, { timeoutMs: 5000, commandTimeoutMs: 600_000 });
let nodes;
try {
  const parser = new SnapshotParser();
  session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => parser.write(chunk));
  await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue }, 600_000);
  await session.send('HeapProfiler.disable');
  nodes = findAwaitGraph(new HeapGraph(parser.end()));
} finally {
  await session.close();
}
writeJsonFile(out, { nodes });
process.stdout.write(`${nodes.length}\n`);
