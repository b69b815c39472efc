import type { SourceLocation } from '../schema.js';

export interface LocationStyle {
  /** Paths under this directory are printed relative to it. */
  cwd?: string;
  /** Wrap file locations in OSC 8 hyperlinks (terminals that support them make them clickable). */
  hyperlinks?: boolean;
  /** Host name for the hyperlinks' file:// URLs, so a terminal on another machine opens nothing wrong. */
  hostname?: string;
}

/**
 * `path:line:column`, with file URLs shown as paths (relative to cwd when inside it), and a
 * library's files from their package on (`undici/lib/web/fetch/index.js:525:9`, the path after the
 * last `node_modules/`). The hyperlink and the JSON keep the whole URL.
 */
export function formatLocation(location: SourceLocation, style: LocationStyle): string {
  const text = `${libraryPath(displayUrl(location.url, style))}:${location.line}:${location.column}`;
  return style.hyperlinks ? hyperlink(location, text, style.hostname) : text;
}

export function displayUrl(url: string, style: LocationStyle): string {
  if (!url.startsWith('file://')) return url;
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
  const cwd = style.cwd?.replace(/\/+$/, '');
  if (cwd && path.startsWith(cwd + '/')) return path.slice(cwd.length + 1);
  return path;
}

/** `…/node_modules/undici/lib/x.js` → `undici/lib/x.js` (scoped and nested packages alike); other paths unchanged. */
export function libraryPath(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0 || (at > 0 && path[at - 1] !== '/')) return path;
  const rest = path.slice(at + 'node_modules/'.length);
  return rest === '' ? path : rest;
}

/**
 * `text` as an OSC 8 hyperlink to the file (file:// URLs only; others stay plain text). The link
 * names the file, as terminals expect; the line is in the text.
 */
export function hyperlink(location: SourceLocation, text: string, hostname = ''): string {
  if (!location.url.startsWith('file://')) return text;
  let href: string;
  try {
    const url = new URL(location.url);
    url.hostname = hostname;
    href = url.href;
  } catch {
    return text;
  }
  // Control characters cannot appear in a URL's href (the URL parser escapes them).
  return `\x1b]8;;${href}\x1b\\${text}\x1b]8;;\x1b\\`;
}

/** The text without OSC 8 hyperlinks and SGR colours: what a terminal shows. */
export function visibleText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\]8;[^\x07\x1b]*(?:\x07|\x1b\\)/g, '').replace(/\x1b\[[0-9;]*m/g, '');
}

/** A node's location as the views print it: `x.js:3:5`, `x.js:3:5 (inferred)`, `(defined at x.js:1:10)`; '' for none. */
export function nodeLocationText(
  node: { location: SourceLocation | null; locationSource: string },
  style: LocationStyle,
): string {
  if (!node.location) return '';
  const where = formatLocation(node.location, style);
  if (node.locationSource === 'definition') return `(defined at ${where})`;
  if (node.locationSource === 'inferred') return `${where} (inferred)`;
  return where;
}
