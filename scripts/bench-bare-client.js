// The floor asyncgraph is measured against in `npm run bench`: the least a client can do to get
// the same heap snapshot. It connects with chrome-remote-interface (asyncgraph's own client),
// takes the snapshot, counts and discards the chunks, disables the heap profiler (as asyncgraph
// does, so both leave the target in the same state) and prints "<characters> <chunks> <ms to
// the first chunk> <ms to the end of the snapshot>": V8 builds the whole snapshot before it sends
// the first chunk, so only the time after that can hide a client's parsing.
//
// Usage: node scripts/bench-bare-client.js ws://127.0.0.1:PORT/ID [--numeric-values]
// --numeric-values: captureNumericValue: true, to take the same snapshot as asyncgraph when it does.
import CDP from 'chrome-remote-interface';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: bench-bare-client.js ws://HOST:PORT/ID [--numeric-values]\n');
  process.exit(2);
}
const captureNumericValue = process.argv.includes('--numeric-values');

const client = await CDP({ target, local: true });
let characters = 0;
let chunks = 0;
let firstChunkMs = NaN;
const started = performance.now();
client.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
  if (chunks === 0) firstChunkMs = performance.now() - started;
  characters += chunk.length;
  chunks++;
});
await client.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue });
const snapshotMs = performance.now() - started;
await client.send('HeapProfiler.disable');
await client.close();
process.stdout.write(`${characters} ${chunks} ${firstChunkMs.toFixed(0)} ${snapshotMs.toFixed(0)}\n`);
