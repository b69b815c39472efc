// `npm run build`, after tsc: the CLI's own modules as one file, dist/cli/asyncgraph.js, which
// bin/asyncgraph.js loads. Node resolves, reads and links each ES module on its own; one file
// instead of about 100 starts the CLI sooner (`asyncgraph --version` on Node 20, farm-bench, 15
// alternated runs: 0.28 s against 0.36 s). Packages stay outside (their own files, loaded as
// before): session/harden-client.ts patches chrome-remote-interface's one module instance. The
// file sits in dist/cli/ like main.js, so paths made from import.meta.url are the same.
import { buildSync } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildSync({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outfile: join(root, 'dist/cli/asyncgraph.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  logLevel: 'warning',
});
