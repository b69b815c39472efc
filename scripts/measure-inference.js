#!/usr/bin/env node
// How often an inferred await location (what `--location-budget 0` prints) agrees with the exact
// one V8 reports (the default). For each fixture: start it, take one capture with exact lookups
// for every frame, infer every frame's location from its function's source as if no lookup had
// been made, and compare frame by frame (the same nodes, so nothing has to be matched up).
//
//   npm run build && node scripts/measure-inference.js [--verbose]
//
// Prints a table per fixture and the totals, for user code and Node's internals apart.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureOnSession } from '../dist/capture/capture.js';
import { connectCdp } from '../dist/session/cdp-session.js';
import { fetchScriptSources } from '../dist/capture/script-sources.js';
import { inferLocations } from '../dist/locations/infer-await.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const verbose = process.argv.includes('--verbose');
const FIXTURES = [
  'fixtures/nested.js',
  'fixtures/combinators.js',
  'fixtures/async-generator.js',
  'fixtures/classes.js',
  'fixtures/arrows.js',
  'fixtures/then-chains.js',
  'fixtures/then-handlers.js',
  'fixtures/esm-tla.mjs',
  'fixtures/cycle.js',
  'fixtures/demo-service.js',
  'fixtures/collapse.js',
  'fixtures/ts/out/service.js',
  'fixtures/ts/out/inline-worker.js',
  'test/recorded/programs/kitchen-sink.js',
  'test/recorded/programs/cycle-and-then.js',
  'test/recorded/programs/top-level-await.mjs',
];
const FRAME_KINDS = new Set(['async-function', 'async-generator', 'module']);

const totals = { user: empty(), internal: empty() };
console.log('fixture                                    frames  agree  differ  no answer   (user code; Node internals in brackets)');
for (const fixture of FIXTURES) {
  const result = await measure(fixture);
  for (const side of ['user', 'internal']) for (const key of Object.keys(totals[side])) totals[side][key] += result[side][key];
  console.log(row(fixture, result));
}
console.log(row('total', totals));
const { user } = totals;
console.log(
  `\nuser code: ${user.agree} of ${user.frames} frames inferred at the exact location (${percent(user.agree, user.frames)}), ` +
    `${user.differ} elsewhere, ${user.none} left at their definition; ` +
    `of the ${user.agree + user.differ} inferred, ${percent(user.agree, user.agree + user.differ)} agree.`,
);

function empty() {
  return { frames: 0, agree: 0, differ: 0, none: 0 };
}

function percent(part, whole) {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

function row(name, result) {
  const cell = (key) => `${result.user[key]} [${result.internal[key]}]`.padStart(key === 'none' ? 10 : key === 'frames' ? 7 : 7);
  return `${name.padEnd(42)}${cell('frames')}${cell('agree')}${cell('differ')}${cell('none')}`;
}

async function measure(fixture) {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', fixture], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const url = await waitFor(child.stderr, /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/);
    await waitFor(child.stdout, /^ready$/m);
    const session = await connectCdp(url, { timeoutMs: 5000, commandTimeoutMs: 60_000 });
    try {
      const capture = await captureOnSession(session, { locationBudgetMs: 600_000, snapshotTimeoutMs: 60_000, maxSnapshotBytes: 2 ** 31 });
      const frames = capture.nodes.filter((node) => FRAME_KINDS.has(node.kind) && node.definition);
      const scriptIds = [...new Set(frames.map((node) => String(node.definition.scriptId)))];
      const sources = await fetchScriptSources(session, scriptIds);
      // As with --location-budget 0: no exact point known.
      const inferred = inferLocations(capture.nodes, new Map(), sources);
      const result = { user: empty(), internal: empty() };
      for (const node of frames) {
        const exact = capture.exact.get(node.id);
        if (!exact) continue;
        const url = capture.scripts.get(exact.scriptId)?.url ?? '';
        const side = url.startsWith('node:') ? result.internal : result.user;
        side.frames++;
        const guess = inferred.get(node.id);
        const where = (p) => `${p.lineNumber + 1}:${p.columnNumber + 1}`;
        if (!guess) side.none++;
        else if (guess.scriptId === exact.scriptId && guess.lineNumber === exact.lineNumber && guess.columnNumber === exact.columnNumber) side.agree++;
        else side.differ++;
        if (verbose && (!guess || where(guess) !== where(exact))) {
          console.log(`  ${fixture} ${node.qualifiedName ?? node.name}: exact ${url}:${where(exact)}, inferred ${guess ? where(guess) : 'none'}`);
        }
      }
      return result;
    } finally {
      await session.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
}

function waitFor(stream, pattern, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      seen += chunk;
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
  });
}
