// Where asyncgraph may connect. The V8 inspector protocol has no authentication and no
// encryption: whoever reaches an inspector port can run any code in that process. So asyncgraph
// connects to loopback addresses only, unless told otherwise with --allow-remote — and then it
// says so on stderr. The rule applies to every address it is about to talk to: --host/--port,
// --url, and the webSocketDebuggerUrl an inspector's /json/list hands back (a port that answers
// like an inspector must not be able to send us elsewhere). See docs/safety.md.

import { isIP } from 'node:net';
import { InspectorUnavailableError, UsageError } from '../errors.js';

export interface RemotePolicy {
  /** Connect to non-loopback hosts too (--allow-remote). */
  allowRemote?: boolean;
  /** Told once per remote host we connect to. */
  onWarning?: (message: string) => void;
}

const REMOTE_HINT =
  'the inspector protocol is unauthenticated and unencrypted: pass --allow-remote if you mean it, ' +
  'or better, tunnel the port: ssh -L 9229:127.0.0.1:9229 HOST';

/** Strips the brackets of an IPv6 literal as URL.hostname writes it: "[::1]" → "::1". */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Every address of the machine, as a listener binds it: 0.0.0.0, ::, [::]. */
export function isWildcardHost(host: string): boolean {
  const bare = bareHost(host);
  return bare === '0.0.0.0' || bare === '::';
}

/**
 * True for addresses that never leave this machine: 127.0.0.0/8, ::1, IPv4-mapped 127.x, and the
 * names `localhost` / `*.localhost` (reserved for loopback, RFC 6761). Any other name is treated
 * as remote: what it resolves to is not ours to trust.
 */
export function isLoopbackHost(hostIn: string): boolean {
  const host = bareHost(hostIn.trim()).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const mapped = host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
  if (isIP(mapped) === 4) return mapped.startsWith('127.');
  if (isIP(mapped) === 6) {
    // The URL parser writes IPv6 literals canonically: 0:0:0:0:0:0:0:1 → [::1], ::ffff:7f00:1 → [::ffff:7f00:1].
    const canonical = new URL(`http://[${mapped}]/`).hostname;
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  }
  return false;
}

function warnRemote(what: string, policy: RemotePolicy): void {
  policy.onWarning?.(
    `connecting to ${what}, which is not a loopback address (--allow-remote): the inspector protocol is ` +
      'unauthenticated and unencrypted, anyone who can reach that port can run code in the process',
  );
}

/**
 * Before the first request to an address the user gave (--host/--port, --url): a non-loopback
 * host needs `allowRemote`, and is then warned about. UsageError (exit 2) otherwise.
 */
export function checkUserAddress(host: string, what: string, policy: RemotePolicy): void {
  if (isLoopbackHost(host)) return;
  if (!policy.allowRemote) throw new UsageError(`refusing to connect to ${what}: ${bareHost(host)} is not a loopback address`, REMOTE_HINT);
  warnRemote(what, policy);
}

/**
 * Before connecting to the websocket an inspector's /json/list named: it must be on loopback too,
 * unless remote connections are allowed. When the user already accepted `acceptedHost` (their own
 * --host), the same host is not warned about twice.
 */
export function checkDebuggerUrl(webSocketDebuggerUrl: string, source: string, policy: RemotePolicy, acceptedHost?: string): void {
  let host: string;
  try {
    host = new URL(webSocketDebuggerUrl).hostname;
  } catch {
    throw new InspectorUnavailableError(`${source} gave an invalid debugger URL: ${JSON.stringify(webSocketDebuggerUrl.slice(0, 200))}`);
  }
  if (isLoopbackHost(host)) return;
  if (!policy.allowRemote) {
    throw new InspectorUnavailableError(
      `${source} points to ${webSocketDebuggerUrl}, which is not a loopback address: refusing to connect`,
      'pass --allow-remote to connect to it anyway',
    );
  }
  if (acceptedHost === undefined || bareHost(acceptedHost).toLowerCase() !== bareHost(host).toLowerCase()) {
    warnRemote(webSocketDebuggerUrl, policy);
  }
}
