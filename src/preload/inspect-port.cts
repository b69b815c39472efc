// Preloaded into every Node.js process that `asyncgraph run` starts (NODE_OPTIONS=--require …).
//
// It makes SIGUSR1 open the inspector on a random free port instead of 127.0.0.1:9229, so any
// number of processes can be inspected at once and a taken 9229 is no obstacle. Nothing else:
// no inspector is opened, nothing is printed, nothing is loaded beyond a built-in module.
//
// Why not NODE_OPTIONS=--inspect-port=0: any `--inspect…` text in NODE_OPTIONS makes
// `node --test` believe a debugger is in use: it then prints a warning and runs the test files one
// at a time (concurrency 1). Setting `process.debugPort` has the same effect on SIGUSR1 without
// either.
//
// The user's own inspector choices win: with --inspect, --inspect-brk or --inspect-wait (an
// inspector opened at startup), or a port other than the default 9229, nothing changes. (Node 24's
// test runner hands its children an explicit --inspect-port=127.0.0.1:9229, the default.)
// `asyncgraph run` also sets ASYNCGRAPH_INSPECT_PORT=0 next to it, which tells discovery (reading
// /proc/PID/environ) to expect the random port.

import { isMainThread } from 'node:worker_threads';

/** Options that open the inspector at startup (not --inspect-port, --inspect-publish-uid). */
const OPENS_INSPECTOR = /(?:^|\s)--inspect(?:-brk|-wait)?(?:[=\s]|$)/;

try {
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (isMainThread && process.debugPort === 9229 && !OPENS_INSPECTOR.test(flags)) process.debugPort = 0;
} catch {
  // Never disturb the program: without this it is only harder to inspect.
}
