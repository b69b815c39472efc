#!/usr/bin/env node
// One short run that builds a large graph: let V8 double its heap at each full GC rather than
// grow it by up to 4× (its default for a fast-allocating process). Measured side by side
// (docs/performance.md): at 100k pending chains 0.66 GB peak RSS instead of 0.75 GB; a factor
// of 1.5 (used before) saved another 70 MB there but cost 3 s of extra full GCs at 300k chains,
// for no RSS saving at that size. --expose-gc: the capture collects once when the snapshot's
// arrays become garbage (src/capture/capture.ts). Set before the CLI is loaded, hence the
// dynamic import.
//
// On Node 22.1+ the compiled code of its own modules is kept between runs (Node's compile cache,
// in the OS temp directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off): a run starts about 0.08 s
// sooner (Node 26, docs/performance.md). Node 20 has no such cache.
//
// dist/cli/asyncgraph.js is dist/cli/main.js with the CLI's own modules in one file
// (scripts/bundle-cli.js): it starts about 0.08 s sooner.
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=100');
setFlagsFromString('--expose-gc');
module.enableCompileCache?.();
await import('../dist/cli/asyncgraph.js');
