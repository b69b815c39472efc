// A reader that goes away early (`asyncgraph attach PID --json | head -1`) closes our stdout. Node
// ignores SIGPIPE, so the next write fails with EPIPE, emitted as an 'error' event that would crash
// the process with a stack trace. Instead: stop writing there, say nothing, finish what is under
// way (a capture still undoes what it did to the target), and exit 141 = 128 + SIGPIPE, the status
// a shell shows for `yes | head -1` and that `set -o pipefail` reports, as other CLIs that die of
// SIGPIPE do.

/** Exit status after our stdout (or stderr) was closed by its reader: 128 + SIGPIPE (13). */
export const EXIT_CLOSED_PIPE = 141;

/** Installs the handlers once, for stdout and stderr. */
export function exitQuietlyOnClosedPipes(): void {
  let closed = false;
  const onError = (error: NodeJS.ErrnoException) => {
    // Any later write to the destroyed stream fails too; one closed pipe is enough to know.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED' && !closed) throw error;
    closed = true;
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
  // Whatever the command itself decided: what it printed did not all arrive.
  process.on('exit', () => {
    if (closed) process.exitCode = EXIT_CLOSED_PIPE;
  });
}
