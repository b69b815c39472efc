#!/usr/bin/env node
// Records compact heap snapshots of test/recorded/programs under each available Node major,
// for the graph unit tests: `npm run build && node scripts/record-snapshots.js` (Node 22, 24 and
// 26 from .cache/, which the integration tests fill).
// Each snapshot is pruned to what await-graph reconstruction reads, checked to give the same
// graph as the full one, and written as test/recorded/<program>.node<major>.heapsnapshot.gz,
// with the script URLs by scriptId beside it (<program>.node<major>.scripts.json).
// Programs named wake*.js also keep what the wake-up analysis reads (scripts/lib/prune-wakeups.js),
// checked the same way. `node scripts/record-snapshots.js wakeups.js` records only the named ones.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { connectCdp } from '../dist/session/cdp-session.js';
import { SnapshotParser } from '../dist/snapshot/snapshot-parser.js';
import { HeapGraph } from '../dist/snapshot/heap-graph.js';
import { findAwaitGraph } from '../dist/awaits/await-graph.js';
import { pruneSnapshot, serializeSnapshot } from './lib/prune-snapshot.js';
import { findHeapWakeups, newAwaitGraphTrace } from '../dist/wakeups/wakers.js';
import { wakeupKeep } from './lib/prune-wakeups.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const programs = join(root, 'test/recorded/programs');
// RECORD_MAJORS=26 records one major only (the others' files stay byte for byte as they were).
const wanted = process.env.RECORD_MAJORS ? process.env.RECORD_MAJORS.split(',').map(Number) : [20, 22, 24, 26];
const binaries = wanted.includes(20) ? [[20, process.execPath]] : [];
for (const major of wanted.filter((m) => m !== 20)) {
  const path = join(root, `.cache/node${major}/node_modules/node-${process.platform}-${process.arch}/bin/node`);
  if (existsSync(path)) binaries.push([major, path]);
}

const only = process.argv.slice(2);
for (const [major, binary] of binaries) {
  for (const program of readdirSync(programs)) {
    if (only.length > 0 && !only.includes(program)) continue;
    const { raw, scripts } = await capture(binary, join(programs, program));
    const wake = program.startsWith('wake');
    const pruned = wake ? pruneSnapshot(raw, 3, wakeupNodes(raw)) : pruneSnapshot(raw);
    const full = canonical(raw);
    if (canonical(pruned) !== full) throw new Error(`${program} on node ${major}: pruning changed the graph`);
    if (wake && canonicalWakeups(pruned) !== canonicalWakeups(raw)) {
      throw new Error(`${program} on node ${major}: pruning changed the wake-up analysis`);
    }
    const out = join(root, 'test/recorded', `${program.replace(/\.m?js$/, '')}.node${major}.heapsnapshot.gz`);
    writeFileSync(out, gzipSync(serializeSnapshot(pruned), { level: 9 }));
    writeFileSync(out.replace(/\.heapsnapshot\.gz$/, '.scripts.json'), JSON.stringify(scripts, null, 0) + '\n');
    console.log(`${out}: ${raw.nodeCount} → ${pruned.nodeCount} nodes`);
  }
}

function wakeupNodes(raw) {
  const trace = newAwaitGraphTrace();
  const nodes = findAwaitGraph(new HeapGraph(raw), trace);
  return wakeupKeep(raw, nodes, trace);
}

function canonicalWakeups(raw) {
  const heap = new HeapGraph(raw);
  const trace = newAwaitGraphTrace();
  const nodes = findAwaitGraph(heap, trace);
  const { settlements, neverSettles, keepAlive } = findHeapWakeups(heap, nodes, trace);
  return JSON.stringify({
    settlements: [...settlements],
    neverSettles: [...neverSettles].sort((a, b) => a - b),
    keepAlive: keepAlive.map(({ resource: { node, ...resource }, ...handle }) => ({ ...handle, resource })),
  });
}

function canonical(raw) {
  return JSON.stringify(findAwaitGraph(new HeapGraph(raw)).map(({ heapNode, ...node }) => node));
}

async function capture(binary, program) {
  const child = spawn(binary, ['--inspect=127.0.0.1:0', program], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let err = '';
      let ready = false;
      let ws;
      const check = () => ready && ws && resolve(ws);
      child.stderr.on('data', (d) => {
        err += d;
        ws = /ws:\/\/\S+/.exec(err)?.[0];
        check();
      });
      child.stdout.on('data', (d) => {
        if (String(d).includes('ready')) ready = true;
        check();
      });
      setTimeout(() => reject(new Error(`${program} did not get ready`)), 10_000).unref();
    });
    const session = await connectCdp(url, { timeoutMs: 5000, commandTimeoutMs: 60_000 });
    try {
      // As the tool does: with the debugger on, V8 gives awaits throwaway promises.
      const scripts = {};
      session.on('Debugger.scriptParsed', ({ scriptId, url }) => {
        scripts[scriptId] = url.startsWith('file:') ? `file:///programs/${url.slice(url.lastIndexOf('/') + 1)}` : url;
      });
      await session.send('Debugger.enable', {});
      const parser = new SnapshotParser();
      session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => parser.write(chunk));
      await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: true });
      await session.send('Debugger.disable');
      return { raw: parser.end(), scripts };
    } finally {
      await session.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
}
