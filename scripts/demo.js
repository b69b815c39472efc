#!/usr/bin/env node
// `npm run demo`: start the bundled hung service, attach asyncgraph to it, print its await
// forest, stop the service. The service gets --inspect-port=0 so the inspector that SIGUSR1
// opens takes a free port (9229 may be in use on this machine).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const service = spawn(process.execPath, ['--inspect-port=0', 'fixtures/demo-service.js'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'ignore'],
});

try {
  await waitForLine(service.stdout, 'ready', 10_000);
  console.log(`$ asyncgraph attach ${service.pid}    # a service stuck on an exhausted connection pool\n`);
  const cli = spawn(process.execPath, ['bin/asyncgraph.js', 'attach', String(service.pid)], { cwd: root, stdio: 'inherit' });
  const [code] = await once(cli, 'exit');
  process.exitCode = code ?? 1;
} finally {
  service.kill('SIGKILL');
}

function waitForLine(stream, line, timeoutMs) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the demo service did not print "${line}" within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', (chunk) => {
      seen += chunk;
      if (seen.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    service.once('exit', (code) => reject(new Error(`the demo service exited early (code ${code})`)));
  });
}
