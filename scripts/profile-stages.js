// Times and measures each stage of the pipeline after the snapshot, on a snapshot saved to a file
// (no target needed): parse, heap graph, await graph, wake-ups, inference, document, JSON.
// A development aid for issue 7 (docs/performance.md), not part of the tool.
//
// Usage: node --expose-gc scripts/profile-stages.js FILE.heapsnapshot [SCRIPT_ID=PATH ...] [--out FILE.json]
// Each SCRIPT_ID=PATH gives the source of a script for the wake-up analysis's scope check and
// for inference (the ids with the most frames are printed at the end).
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { SnapshotParser } from '../dist/snapshot/snapshot-parser.js';
import { HeapGraph } from '../dist/snapshot/heap-graph.js';
import { findAwaitGraph } from '../dist/awaits/await-graph.js';
import { findHeapWakeups, newAwaitGraphTrace } from '../dist/wakeups/wakers.js';
import { inferLocations } from '../dist/locations/infer-await.js';
import { buildDocument } from '../dist/document/document.js';
import { jsonPieces } from '../dist/render/json.js';

const args = process.argv.slice(2);
// --out FILE: also write the document (to compare two versions of the pipeline on one snapshot).
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
const [file, ...sourceArgs] = args;
if (!file) {
  process.stderr.write('usage: node --expose-gc scripts/profile-stages.js FILE.heapsnapshot [SCRIPT_ID=PATH ...]\n');
  process.exit(2);
}
const gc = globalThis.gc ?? (() => {});
// Garbage collection inside each stage (the forced collections between stages are outside).
const gcEntries = [];
new PerformanceObserver((list) => gcEntries.push(...list.getEntries())).observe({ entryTypes: ['gc'] });
const stages = [];
let last = performance.now();
let lastCpu = process.cpuUsage();
function stage(name) {
  const now = performance.now();
  const wall = now - last;
  // CPU of this process (all its threads: GC helpers too): steadier than wall time on a shared machine.
  const cpu = process.cpuUsage(lastCpu);
  stages.push({ name, from: last, to: now });
  gc();
  const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
  const mb = (bytes) => (bytes / 1048576).toFixed(0).padStart(5);
  process.stdout.write(`${name.padEnd(14)} ${(wall / 1000).toFixed(2).padStart(6)} s  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2).padStart(6)} s  heap ${mb(heapUsed)} MB  buffers ${mb(arrayBuffers + external)} MB  rss ${mb(rss)} MB\n`);
  last = performance.now();
  lastCpu = process.cpuUsage();
}

const parser = new SnapshotParser({ maxBytes: 4e9 });
for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 100_000 })) parser.write(chunk);
const raw = parser.end();
stage('parse');
const heap = new HeapGraph(raw);
stage('heap graph');
const trace = newAwaitGraphTrace();
const nodes = findAwaitGraph(heap, trace);
stage(`await graph`);
// The sources given tell the scope check which names closures use, as the CLI's fetched sources do.
const sources = new Map();
const scriptUrls = new Map();
for (const arg of sourceArgs) {
  const [id, path] = arg.split('=');
  if (!id || !path) {
    process.stderr.write(`expected SCRIPT_ID=PATH, got ${arg}\n`);
    process.exit(2);
  }
  sources.set(id, readFileSync(path, 'utf8'));
  scriptUrls.set(id, `file://${path}`);
}
const wakeups = findHeapWakeups(heap, nodes, trace, sourceArgs.length > 0 ? sources : undefined);
stage('wake-ups');
// The snapshot names scripts by id only (the CLI learns URLs from Debugger.scriptParsed).
const framesByScript = new Map();
for (const node of nodes) {
  const id = node.definition?.scriptId;
  if (id !== undefined) framesByScript.set(String(id), (framesByScript.get(String(id)) ?? 0) + 1);
}
const inferred = inferLocations(nodes, new Map(), sources);
stage('inference');
const doc = buildDocument({
  nodes,
  scriptUrls,
  exact: new Map(),
  inferred,
  target: { pid: 1, nodeVersion: 'v20', url: 'ws://127.0.0.1:1/x' },
  capturedAt: new Date(),
  toolVersion: 'profile',
  ...(wakeups ? { wakeups: { wakeups } } : {}),
});
stage('document');
let chars = 0;
const pieces = [];
for (const piece of jsonPieces(doc)) {
  chars += piece.length;
  if (outFile) pieces.push(piece);
}
if (outFile) writeFileSync(outFile, pieces.join(''));
stage(`json ${(chars / 1e6).toFixed(0)}M`);
process.stdout.write(`${nodes.length} graph nodes, ${raw.nodeCount} heap nodes\n`);
const busiest = [...framesByScript].sort((a, b) => b[1] - a[1]).slice(0, 5);
process.stdout.write(`frames by script id: ${busiest.map(([id, count]) => `${id} (${count})`).join(', ')}\n`);
await new Promise((resolve) => setTimeout(resolve, 50));
const gcIn = ({ from, to }) => gcEntries.filter((entry) => entry.startTime >= from && entry.startTime < to);
process.stdout.write(
  `garbage collection per stage: ${stages.map((s) => `${s.name.split(' ')[0]} ${(gcIn(s).reduce((sum, e) => sum + e.duration, 0) / 1000).toFixed(2)} s (${gcIn(s).length})`).join(', ')}\n`,
);
