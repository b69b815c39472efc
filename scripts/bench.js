#!/usr/bin/env node
// `npm run bench`: end-to-end cost of asyncgraph against the floor it cannot go below, a bare
// client taking the same heap snapshot (scripts/bench-bare-client.js).
//
// For each size N and each shape it starts ONE target (scripts/bench-target.js: N chains of 3
// suspended async functions, run with --inspect=127.0.0.1:0). The shapes (issue 17):
//
//   own           each chain awaits its own pending promise (N leaves, N holders)
//   shared        every chain awaits ONE shared pending promise (bench-target.js --shared: a hung
//                 service, many requests on one upstream call)
//
// Against that target it runs, as separate processes, alternately, --runs times each, reversing
// the order every round: the bare client, `asyncgraph snapshot --pid P -o FILE` (-o),
// `asyncgraph snapshot --pid P --json` with stdout redirected to a file (json), and
// `asyncgraph attach P --no-color` with stdout redirected to a file (tree), all with the default
// location budget. It prints medians, one table per shape:
//
//   N             chains of 3 async functions (so 3N suspended frames)
//   snapshot MB   characters of the heap snapshot JSON, in MiB
//   heap nodes    nodes of the heap snapshot
//   graph nodes   nodes of the await graph asyncgraph printed
//   bare s        wall time of the bare client (connect, snapshot, discard the chunks, exit)
//   V8 build+send s  of the bare client's snapshot: until the first chunk (V8 builds the whole
//                 snapshot first, the target stalled), then until the last (what a client's
//                 parsing can hide in)
//   -o s, json s, tree s   wall time of each command (find, connect, snapshot, graph, locations,
//                 output, exit)
//   … ratio       that time / bare s (issue 17: ≤ 1.15 for -o and json, ≤ 1.2 for tree)
//   … +s          that time − bare s: what it adds over the bare client (issue 17: ≤ 0.3 s at
//                 0 and 10k chains)
//   RSS MB -o/json/tree  peak resident memory of each asyncgraph process
//   max RSS/snap  the largest of the three / snapshot size (issue 17: ≤ 1.5 from 100k chains)
//   bare RSS MB   the bare client's peak resident memory
//   stall s       target stall: the time the target's event loop was blocked during one run,
//                 from a 10 ms heartbeat in the target (every tick later than 5 ms counts its
//                 lateness), for the bare client and for the -o run
//   -o beyond snapshot s  the -o run's stall minus its longest one (the snapshot): what its
//                 other requests cost the target, mostly the location lookups
//   lookup s      the -o run's own account of the location lookups (stats.locationLookupMs)
//   tree lines    lines the tree view printed
//   core …        with --core: scripts/bench-core-client.js, asyncgraph's snapshot parsing and
//                 await-graph rebuilding alone (no lookups, wake-ups, inference or document),
//                 a fifth client in the alternation
//
// The service shape (issue 14): fixtures/libs/service.js, REQUESTS requests on each of three
// routes (a generic-pool whose only connection leaked, an undici fetch to an upstream that never
// answers, an events.once approval): many leaves sharing a few holders, library frames. Against
// one such target: the bare client, `asyncgraph snapshot --pid P -o FILE` (JSON file) and
// `asyncgraph attach P` (the tree, stdout to a file), alternated the same way:
//
//   requests      per route (3 routes)
//   json s, tree s   wall time of each; ÷ bare s as ratios; tree/json the tree view's cost
//                 against the JSON file's
//   lines         lines the tree view printed
//
// Options: --sizes 0,10000,100000,300000  --shapes own,shared (either or both)  --runs 3
// --million (adds a run at 1M suspended frames, 333,334 chains, one run each, per shape)
// --service 200 (requests per route of the service shape, comma-separated; 0 for none)
// --budget MS (asyncgraph's --location-budget; default: its own default)  --core
// --cli PATH (another asyncgraph checkout's bin/asyncgraph.js, e.g. an older version for a
// before/after table; the targets stay this checkout's)  --json (also print the rows as JSON,
// every number of the tables included). It writes nothing into the repository (outputs go to a
// temporary directory).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MIB = 1024 * 1024;
const MILLION_CHAINS = 333_334;
const SHAPES = ['own', 'shared'];
// The two shapes of scripts/bench-target.js, in table order.
const SHAPE_TITLES = {
  own: 'own leaf (each chain awaits its own pending promise)',
  shared: 'shared leaf (every chain awaits one pending promise: bench-target.js --shared)',
};

const options = parseArgs(process.argv.slice(2));
const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
// The bare client takes the very snapshot asyncgraph takes: same captureNumericValue.
// A build from before the stage folders (--cli of an older checkout) has it under dist/inspector/.
const builtFile = (...candidates) => candidates.map((file) => join(dirname(options.cli), '..', file)).find((file) => existsSync(file));
const numericValues = /captureNumericValue:\s*true/.test(readFileSync(builtFile('dist/capture/capture.js', 'dist/inspector/capture.js'), 'utf8'));
// The benchmark's own targets are meant to be snapshotted, however big: past the memory check
// (a build that has one: src/capture/snapshot-memory.ts).
const forceFlag = builtFile('dist/capture/snapshot-memory.js', 'dist/inspector/snapshot-memory.js') ? ['--force'] : [];
const work = mkdtempSync(join(tmpdir(), 'asyncgraph-bench-'));

printMachine('before');
const rows = [];
const serviceRows = [];
try {
  // Both shapes of one size side by side in time, so the load they see is alike.
  for (const size of options.sizes) {
    for (const shape of options.shapes) rows.push(await benchSize(size, options.runs, shape));
  }
  if (options.million) {
    for (const shape of options.shapes) rows.push(await benchSize(MILLION_CHAINS, 1, shape));
  }
  for (const requests of options.service) serviceRows.push(await benchService(requests, options.runs));
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const shape of options.shapes) {
  const shapeRows = rows.filter((row) => row.shape === shape);
  if (shapeRows.length > 0) printTable(shape, shapeRows);
}
if (serviceRows.length > 0) printServiceTable(serviceRows);
printMachine('after');
if (options.json) console.log(JSON.stringify({ chains: rows, service: serviceRows }, null, 2));

// ------------------------------------------------------------------------------------------------

function parseArgs(args) {
  const result = { sizes: [0, 10_000, 100_000, 300_000], shapes: SHAPES, runs: 3, million: false, service: [200], cli: join(root, 'bin/asyncgraph.js'), json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      if (i + 1 >= args.length) fail(`${arg} needs a value`);
      return args[++i];
    };
    if (arg === '--sizes') {
      result.sizes = value().split(',').filter(Boolean).map(Number);
      if (result.sizes.some((n) => !Number.isSafeInteger(n) || n < 0)) fail('--sizes: comma-separated chain counts');
    } else if (arg === '--shapes') {
      result.shapes = [...new Set(value().split(',').filter(Boolean))];
      if (result.shapes.length === 0 || result.shapes.some((shape) => !SHAPES.includes(shape))) fail(`--shapes: comma-separated, of ${SHAPES.join(', ')}`);
      // Tables in the usual order, whatever the order given.
      result.shapes = SHAPES.filter((shape) => result.shapes.includes(shape));
    } else if (arg === '--service') {
      result.service = value().split(',').filter(Boolean).map(Number);
      if (result.service.some((n) => !Number.isSafeInteger(n) || n < 0)) fail('--service: comma-separated request counts per route');
      result.service = result.service.filter((n) => n > 0);
    } else if (arg === '--runs') {
      result.runs = Number(value());
      if (!Number.isSafeInteger(result.runs) || result.runs < 1) fail('--runs: a positive integer');
    } else if (arg === '--million') result.million = true;
    else if (arg === '--cli') result.cli = resolve(value());
    else if (arg === '--json') result.json = true;
    else if (arg === '--core') result.core = true;
    else if (arg === '--budget') {
      result.budget = Number(value());
      if (!Number.isFinite(result.budget) || result.budget < 0) fail('--budget: milliseconds');
    }
    else fail(`unknown option ${arg}`);
  }
  return result;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\nusage: node scripts/bench.js [--sizes 0,10000,100000,300000] [--shapes own,shared] [--runs 3] [--million] [--service 200] [--budget MS] [--core] [--cli PATH] [--json]\n`);
  process.exit(2);
}

function printMachine(when) {
  const cpu = cpus();
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  if (when === 'before') {
    console.log(
      `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM ` +
        `(${(freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}, ${process.platform} ${process.arch}`,
    );
    console.log(
      `peak RSS from ${timeBinary ? '/usr/bin/time' : '/proc/PID/status VmHWM (polled)'}; ` +
        `snapshots with captureNumericValue: ${numericValues} (as asyncgraph takes them)`,
    );
  }
  console.log(`load average ${when}: ${load}`);
}

/** One target of `chains` chains of `shape`; alternating bare / -o / json / tree runs; the medians. */
async function benchSize(chains, runs, shape) {
  const target = await startTarget(chains, { args: shape === 'shared' ? ['--shared'] : [] });
  try {
    const bare = [];
    const core = [];
    let ours = [];
    let json = [];
    let tree = [];
    for (let round = 0; round < runs; round++) {
      const forward = options.core ? ['bare', 'core', 'ours', 'json', 'tree'] : ['bare', 'ours', 'json', 'tree'];
      const order = round % 2 === 0 ? forward : [...forward].reverse();
      for (const which of order) {
        if (which === 'bare') bare.push(await runBare(target));
        else if (which === 'core') core.push(await runCore(target, round));
        else if (which === 'ours') ours.push(await runOurs(target, round));
        else if (which === 'json') json.push(await runJson(target, round));
        else tree.push(await runTree(target, round));
      }
      const took = (name, run) => `${name} ${run.seconds.toFixed(2)} s${run.error ? ' (failed)' : ''} ${(run.rssBytes / MIB).toFixed(0)} MB`;
      process.stderr.write(
        `  ${shape} N=${chains} round ${round + 1}/${runs}: bare ${bare.at(-1).seconds.toFixed(2)} s, ` +
          `${took('-o', ours.at(-1))}, ${took('json', json.at(-1))}, ${took('tree', tree.at(-1))}\n`,
      );
    }
    const snapshotChars = median(bare.map((r) => r.snapshotChars));
    const failures = [...ours, ...json, ...tree].filter((r) => r.error).map((r) => r.error);
    // Timings and memory of the runs that produced their output.
    ours = ours.filter((r) => !r.error);
    json = json.filter((r) => !r.error);
    tree = tree.filter((r) => !r.error);
    const bareSeconds = median(bare.map((r) => r.seconds));
    const row = {
      shape,
      chains,
      frames: 3 * chains,
      snapshotMiB: snapshotChars / MIB,
      heapNodes: median(ours.map((r) => r.heapNodes)),
      graphNodes: median(ours.map((r) => r.graphNodes)),
      bareSeconds,
      bareRssMiB: median(bare.map((r) => r.rssBytes)) / MIB,
      firstChunkSeconds: median(bare.map((r) => r.firstChunkMs)) / 1000,
      transferSeconds: median(bare.map((r) => r.snapshotMs - r.firstChunkMs)) / 1000,
      // ours: `snapshot -o FILE`; json: `snapshot --json > FILE`; tree: `attach > FILE`.
      ...commandColumns('ours', ours, bareSeconds, snapshotChars),
      ...commandColumns('json', json, bareSeconds, snapshotChars),
      ...commandColumns('tree', tree, bareSeconds, snapshotChars),
      jsonOutputMiB: median(json.map((r) => r.outputBytes)) / MIB,
      treeLines: median(tree.map((r) => r.lines)),
      bareStallSeconds: median(bare.map((r) => r.stall.totalMs)) / 1000,
      oursStallSeconds: median(ours.map((r) => r.stall.totalMs)) / 1000,
      // The longest stall of a run is the snapshot; the rest are asyncgraph's other requests.
      oursOtherStallSeconds: median(ours.map((r) => r.stall.totalMs - r.stall.longestMs)) / 1000,
      lookupSeconds: median(ours.map((r) => r.lookupMs)) / 1000,
      exactLocations: median(ours.map((r) => r.exactLocations)),
      runs,
      failures,
    };
    // Issue 17 judges the tool's peak RSS, whichever command it runs.
    row.maxRssPerSnapshot = Math.max(row.oursRssPerSnapshot, row.jsonRssPerSnapshot, row.treeRssPerSnapshot);
    if (options.core) {
      row.coreSeconds = median(core.map((r) => r.seconds));
      row.coreRatio = row.coreSeconds / row.bareSeconds;
      row.coreRssMiB = median(core.map((r) => r.rssBytes)) / MIB;
      row.coreRssPerSnapshot = (row.coreRssMiB * MIB) / snapshotChars;
    }
    row.addedStallSeconds = row.oursStallSeconds - row.bareStallSeconds;
    return row;
  } finally {
    await target.stop();
  }
}

/** Medians of one command's runs as `<name>Seconds`, `<name>Ratio`, `<name>AddedSeconds`, `<name>RssMiB`, `<name>RssPerSnapshot`. */
function commandColumns(name, runs, bareSeconds, snapshotChars) {
  const seconds = median(runs.map((r) => r.seconds));
  const rssBytes = median(runs.map((r) => r.rssBytes));
  return {
    [`${name}Seconds`]: seconds,
    [`${name}Ratio`]: seconds / bareSeconds,
    [`${name}AddedSeconds`]: seconds - bareSeconds,
    [`${name}RssMiB`]: rssBytes / MIB,
    [`${name}RssPerSnapshot`]: rssBytes / snapshotChars,
  };
}

/** One service target with `requests` per route; alternating bare / JSON file / tree runs; the medians. */
async function benchService(requests, runs) {
  const target = await startTarget(requests, { script: 'fixtures/libs/service.js', env: { REQUESTS: String(requests) }, ready: 'ready' });
  try {
    const bare = [];
    let json = [];
    let tree = [];
    for (let round = 0; round < runs; round++) {
      const forward = ['bare', 'json', 'tree'];
      for (const which of round % 2 === 0 ? forward : [...forward].reverse()) {
        if (which === 'bare') bare.push(await runBare(target, false));
        else if (which === 'json') json.push(await runOurs(target, round, false));
        else tree.push(await runTree(target, round));
      }
      process.stderr.write(
        `  service ${requests}/route round ${round + 1}/${runs}: bare ${bare.at(-1).seconds.toFixed(2)} s, json ${json.at(-1).seconds.toFixed(2)} s, ` +
          `tree ${tree.at(-1).seconds.toFixed(2)} s\n`,
      );
    }
    const failures = [...json, ...tree].filter((r) => r.error).map((r) => r.error);
    json = json.filter((r) => !r.error);
    tree = tree.filter((r) => !r.error);
    const snapshotChars = median(bare.map((r) => r.snapshotChars));
    const row = {
      requests,
      snapshotMiB: snapshotChars / MIB,
      heapNodes: median(json.map((r) => r.heapNodes)),
      graphNodes: median(json.map((r) => r.graphNodes)),
      bareSeconds: median(bare.map((r) => r.seconds)),
      jsonSeconds: median(json.map((r) => r.seconds)),
      treeSeconds: median(tree.map((r) => r.seconds)),
      jsonRssMiB: median(json.map((r) => r.rssBytes)) / MIB,
      treeRssMiB: median(tree.map((r) => r.rssBytes)) / MIB,
      treeLines: median(tree.map((r) => r.lines)),
      runs,
      failures,
    };
    row.jsonRatio = row.jsonSeconds / row.bareSeconds;
    row.treeRatio = row.treeSeconds / row.bareSeconds;
    row.treePerJson = row.treeSeconds / row.jsonSeconds;
    row.rssPerSnapshot = Math.max(row.jsonRssMiB, row.treeRssMiB) * MIB / snapshotChars;
    return row;
  } finally {
    await target.stop();
  }
}

/** `asyncgraph attach P`: the tree view, stdout to a file (as `attach P > FILE`), default location budget. */
async function runTree(target, round) {
  const out = join(work, `tree-${target.pid}-${round}.txt`);
  const run = await runMeasured([options.cli, 'attach', String(target.pid), '--no-color', ...budgetFlag(), ...forceFlag], { stdoutFile: out });
  const lines = run.code === 0 ? countLines(out) : NaN;
  rmSync(out, { force: true });
  return failedRun('asyncgraph attach', run) ?? { ...run, lines };
}

/** `asyncgraph snapshot --pid P --json`, stdout to a file (as `snapshot --json > FILE`). */
async function runJson(target, round) {
  const out = join(work, `stdout-${target.pid}-${round}.json`);
  const run = await runMeasured([options.cli, 'snapshot', '--pid', String(target.pid), '--json', ...budgetFlag(), ...forceFlag], { stdoutFile: out });
  const outputBytes = run.code === 0 ? statSync(out).size : NaN;
  rmSync(out, { force: true });
  return failedRun('asyncgraph snapshot --json', run) ?? { ...run, outputBytes };
}

/** A run that exited non-zero, with its error; reported in the table rather than ending the benchmark. */
function failedRun(what, run) {
  if (run.code === 0) return undefined;
  const error = `exit ${run.code}: ${run.stderr.trim().split('\n')[0]}`;
  process.stderr.write(`  ${what} failed (${error})\n`);
  return { ...run, error };
}

function budgetFlag() {
  return options.budget === undefined ? [] : ['--location-budget', String(options.budget)];
}

/** Newlines in a file, read in chunks (a tree of 300k chains is not held in this process). */
function countLines(file) {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(MIB);
    let lines = 0;
    let read;
    while ((read = readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      for (let at = buffer.indexOf(10); at >= 0 && at < read; at = buffer.indexOf(10, at + 1)) lines++;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/**
 * A target: scripts/bench-target.js with `chains` (and `args`, e.g. --shared), or another script
 * (`ready`: the line it prints once it is ready; it has no stall meter).
 */
async function startTarget(chains, { script = 'scripts/bench-target.js', args = [], env = {}, ready: readyLine = `ready ${chains}` } = {}) {
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=16384', '--inspect=127.0.0.1:0', join(root, script), ...(script === 'scripts/bench-target.js' ? [String(chains)] : []), ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    if (stderr.length < 10_000) stderr += d;
  });
  const lines = lineReader(child.stdout);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([lines.next(), exited.then(() => null)]);
  if (ready !== readyLine) throw new Error(`the bench target did not start: ${stderr.trim()}`);
  const url = /ws:\/\/\S+/.exec(stderr)?.[0];
  if (!url) throw new Error(`the bench target printed no inspector URL: ${stderr.trim()}`);
  return {
    pid: child.pid,
    url,
    async command(line) {
      child.stdin.write(`${line}\n`);
      return lines.next();
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Lines of a stream, one `next()` at a time. */
function lineReader(stream) {
  stream.setEncoding('utf8');
  let buffered = '';
  const lines = [];
  const waiters = [];
  stream.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (waiters.length > 0) waiters.shift()(line);
      else lines.push(line);
    }
  });
  return { next: () => (lines.length > 0 ? Promise.resolve(lines.shift()) : new Promise((resolve) => waiters.push(resolve))) };
}

async function measureStall(target, run, stall = true) {
  if (!stall) return run();
  if ((await target.command('reset')) !== 'reset') throw new Error('the bench target did not answer "reset"');
  const result = await run();
  const answer = await target.command('stall');
  const match = /^stall ([\d.]+) ([\d.]+)$/.exec(answer);
  if (!match) throw new Error(`unexpected answer from the bench target: ${answer}`);
  return { ...result, stall: { totalMs: Number(match[1]), longestMs: Number(match[2]) } };
}

async function runBare(target, stall = true) {
  return measureStall(target, async () => {
    const run = await runMeasured([join(root, 'scripts/bench-bare-client.js'), target.url, ...(numericValues ? ['--numeric-values'] : [])]);
    const [chars, , firstChunkMs, snapshotMs] = run.stdout.trim().split(' ').map(Number);
    if (!Number.isFinite(chars)) throw new Error(`the bare client failed: ${run.stderr.trim()}`);
    return { ...run, snapshotChars: chars, firstChunkMs, snapshotMs };
  }, stall);
}

async function runCore(target, round) {
  const out = join(work, `core-${target.pid}-${round}.json`);
  const run = await runMeasured([join(root, 'scripts/bench-core-client.js'), target.url, out, ...(numericValues ? ['--numeric-values'] : [])]);
  rmSync(out, { force: true });
  if (run.code !== 0) throw new Error(`the core client failed: ${run.stderr.trim()}`);
  return run;
}

async function runOurs(target, round, stall = true) {
  const out = join(work, `graph-${target.pid}-${round}.json`);
  return measureStall(target, async () => {
    const run = await runMeasured([options.cli, 'snapshot', '--pid', String(target.pid), '-o', out, ...budgetFlag(), ...forceFlag]);
    const failed = failedRun('asyncgraph snapshot -o', run);
    if (failed) return { ...failed, heapNodes: NaN, graphNodes: NaN, lookupMs: NaN, exactLocations: NaN };
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    rmSync(out, { force: true });
    return {
      ...run,
      heapNodes: doc.stats?.heapNodes ?? NaN,
      graphNodes: doc.nodes.length,
      lookupMs: doc.stats?.locationLookupMs ?? NaN,
      exactLocations: doc.stats?.exactLocations ?? NaN,
    };
  }, stall);
}

/**
 * Runs `node ...args`; wall time, exit code, output, and peak RSS of the node process. With
 * `stdoutFile`, its stdout goes to that file (opened here, as a shell's `> FILE` does), not
 * through a pipe into this process.
 */
function runMeasured(args, { stdoutFile } = {}) {
  const rssFile = join(work, `rss-${process.hrtime.bigint()}`);
  const [command, commandArgs] = timeBinary
    ? [timeBinary, ['-f', '%M', '-o', rssFile, process.execPath, ...args]]
    : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const stdoutFd = stdoutFile ? openSync(stdoutFile, 'w') : null;
    let child;
    try {
      child = spawn(command, commandArgs, { stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    } finally {
      // The child has its own copy of the descriptor.
      if (stdoutFd !== null) closeSync(stdoutFd);
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let polledKiB = 0;
    // Without /usr/bin/time: poll the high-water mark while it runs.
    const poll = timeBinary
      ? null
      : setInterval(() => {
          try {
            const kib = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
            if (kib > polledKiB) polledKiB = kib;
          } catch {
            // exited meanwhile
          }
        }, 20);
    child.once('error', reject);
    child.once('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (poll) clearInterval(poll);
      let kib = polledKiB;
      if (timeBinary) {
        try {
          kib = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
          rmSync(rssFile, { force: true });
        } catch {
          kib = NaN;
        }
      }
      resolve({ code, seconds, rssBytes: kib * 1024, stdout, stderr });
    });
  });
}

function printServiceTable(rows) {
  const columns = [
    ['requests/route', (r) => `${r.requests} × 3`],
    ['snapshot MB', (r) => r.snapshotMiB.toFixed(1)],
    ['heap nodes', (r) => String(r.heapNodes)],
    ['graph nodes', (r) => String(r.graphNodes)],
    ['bare s', (r) => r.bareSeconds.toFixed(2)],
    ['json s', (r) => r.jsonSeconds.toFixed(2)],
    ['tree s', (r) => r.treeSeconds.toFixed(2)],
    ['json/bare', (r) => r.jsonRatio.toFixed(2)],
    ['tree/bare', (r) => r.treeRatio.toFixed(2)],
    ['tree/json', (r) => r.treePerJson.toFixed(2)],
    ['RSS MB json/tree', (r) => `${r.jsonRssMiB.toFixed(0)}/${r.treeRssMiB.toFixed(0)}`],
    ['RSS/snap', (r) => r.rssPerSnapshot.toFixed(2)],
    ['tree lines', (r) => String(r.treeLines)],
  ];
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row)));
  const widths = columns.map(([title], k) => Math.max(title.length, ...cells.map((row) => row[k].length)));
  const line = (values) => `| ${values.map((v, k) => v.padStart(widths[k])).join(' | ')} |`;
  console.log('\nservice shape (fixtures/libs/service.js: a pool, an upstream, an event; many leaves on few holders)');
  console.log(line(columns.map(([title]) => title)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`);
  for (const row of cells) console.log(line(row));
  console.log(`medians of ${rows.map((r) => r.runs).join('/')} alternated runs; json: snapshot -o FILE; tree: attach (stdout)`);
  for (const row of rows) {
    if (row.failures.length > 0) console.log(`service ${row.requests}: asyncgraph failed in ${row.failures.length} runs: ${row.failures.join('; ')}`);
  }
}

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function printTable(shape, rows) {
  const seconds = (value) => value.toFixed(2);
  const added = (value) => (value < 0 ? '' : '+') + value.toFixed(2);
  const columns = [
    ['N', (r) => (r.chains === MILLION_CHAINS ? `${r.chains} (1M frames)` : String(r.chains))],
    ['snapshot MB', (r) => r.snapshotMiB.toFixed(1)],
    ['heap nodes', (r) => String(r.heapNodes)],
    ['graph nodes', (r) => String(r.graphNodes)],
    ['bare s', (r) => seconds(r.bareSeconds)],
    ['V8 build+send s', (r) => `${seconds(r.firstChunkSeconds)}+${seconds(r.transferSeconds)}`],
    ...[
      ['-o', 'ours'],
      ['json', 'json'],
      ['tree', 'tree'],
    ].flatMap(([title, name]) => [
      [`${title} s`, (r) => seconds(r[`${name}Seconds`])],
      [`${title} ratio`, (r) => r[`${name}Ratio`].toFixed(2)],
      [`${title} +s`, (r) => added(r[`${name}AddedSeconds`])],
    ]),
    ['RSS MB -o/json/tree', (r) => `${r.oursRssMiB.toFixed(0)}/${r.jsonRssMiB.toFixed(0)}/${r.treeRssMiB.toFixed(0)}`],
    ['max RSS/snap', (r) => r.maxRssPerSnapshot.toFixed(2)],
    ['bare RSS MB', (r) => r.bareRssMiB.toFixed(0)],
    ['stall bare s', (r) => seconds(r.bareStallSeconds)],
    ['stall -o s', (r) => seconds(r.oursStallSeconds)],
    ['-o beyond snapshot s', (r) => seconds(r.oursOtherStallSeconds)],
    ['lookup s', (r) => `${seconds(r.lookupSeconds)} (${r.exactLocations})`],
    ['tree lines', (r) => String(r.treeLines)],
  ];
  if (options.core) {
    columns.splice(
      columns.findIndex(([title]) => title === 'bare RSS MB') + 1,
      0,
      ['core s', (r) => seconds(r.coreSeconds)],
      ['core ratio', (r) => r.coreRatio.toFixed(2)],
      ['core RSS MB', (r) => r.coreRssMiB.toFixed(0)],
      ['core RSS/snap', (r) => r.coreRssPerSnapshot.toFixed(2)],
    );
  }
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row)));
  const widths = columns.map(([title], k) => Math.max(title.length, ...cells.map((row) => row[k].length)));
  const line = (values) => `| ${values.map((v, k) => v.padStart(widths[k])).join(' | ')} |`;
  console.log(`\n${shape} shape: ${SHAPE_TITLES[shape]}`);
  console.log(line(columns.map(([title]) => title)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`);
  for (const row of cells) console.log(line(row));
  console.log(
    `medians of ${rows.map((r) => r.runs).join('/')} alternated runs per size; -o: snapshot -o FILE; json: snapshot --json > FILE; ` +
      `tree: attach --no-color > FILE; +s: added over bare s; "lookup s" is the -o run's location lookup time (exact locations found)`,
  );
  for (const row of rows) {
    if (row.failures.length > 0) {
      console.log(`${shape} N=${row.chains}: asyncgraph failed in ${row.failures.length} runs (its columns are of the others): ${row.failures.join('; ')}`);
    }
  }
}
