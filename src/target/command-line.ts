// Node.js command lines as asyncgraph reads and shows them: which options take the next argument
// as their value (where a target's inspector would open, and which words of a command are its
// operands), and a command line shortened to one line of text (a report's heading, the owner of a
// port in an error).

import { basename } from 'node:path';

/** Node options that take their value as the next argument when written without `=`. */
export const NODE_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set([
  '-e', '--eval', '-p', '--print', '-r', '--require', '--import', '--loader', '--experimental-loader',
  '-C', '--conditions', '--title', '--inspect-port', '--debug-port', '--env-file', '--input-type',
  '--experimental-policy', '--policy-integrity', '--openssl-config', '--icu-data-dir', '--redirect-warnings',
  '--diagnostic-dir', '--report-dir', '--report-directory', '--report-filename', '--report-signal',
  '--heapsnapshot-signal', '--unhandled-rejections', '--dns-result-order', '--secure-heap', '--secure-heap-min',
  '--max-http-header-size', '--stack-trace-limit', '--watch-path', '--experimental-config-file',
]);

/**
 * A command line for display: the program's base name, paths under `cwd` relative to it, words a
 * shell would need quoted in quotes; longer than `max`, the options and their values are dropped
 * (`node … test/a.test.js`), and what is still too long is cut.
 */
export function shortCommand(argv: readonly string[], { cwd, max = 120 }: { cwd?: string; max?: number } = {}): string {
  if (argv.length === 0) return '?';
  const base = cwd?.replace(/\/+$/, '');
  const show = (arg: string) => {
    const shown = base && arg.startsWith(`${base}/`) ? arg.slice(base.length + 1) : arg;
    return /[\s"'$`\\]/.test(shown) || shown === '' ? JSON.stringify(shown) : shown;
  };
  const head = basename(argv[0]);
  const full = [head, ...argv.slice(1).map(show)].join(' ');
  if (full.length <= max) return full;
  // Keep the program and its operands (the script, test files), drop the options and their values.
  const operands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('-')) {
      if (!arg.includes('=') && NODE_OPTIONS_WITH_VALUE.has(arg)) i++;
    } else {
      operands.push(show(arg));
    }
  }
  const short = [head, '…', ...operands].join(' ');
  return short.length <= max ? short : short.slice(0, max - 1) + '…';
}
