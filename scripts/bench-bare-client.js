// The floor asyncgraph is measured against in `npm run bench`: the least a client can do to get
// the same heap snapshot. It connects with chrome-remote-interface (asyncgraph's own client),
// takes the snapshot, counts and discards the chunks, disables the heap profiler (as asyncgraph
// does, so both leave the target in the same state) and prints "<characters> <chunks>".
//
// Usage: node scripts/bench-bare-client.js ws://127.0.0.1:PORT/ID
import CDP from 'chrome-remote-interface';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: bench-bare-client.js ws://HOST:PORT/ID\n');
  process.exit(2);
}

const client = await CDP({ target, local: true });
let characters = 0;
let chunks = 0;
client.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
  characters += chunk.length;
  chunks++;
});
await client.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
await client.send('HeapProfiler.disable');
await client.close();
process.stdout.write(`${characters} ${chunks}\n`);
