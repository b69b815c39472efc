import type { SourceLocation } from '../graph/types.js';

export interface LocationStyle {
  /** Paths under this directory are printed relative to it. */
  cwd?: string;
}

/** `path:line:column`, with file URLs shown as paths (relative to cwd when inside it). */
export function formatLocation(location: SourceLocation, style: LocationStyle): string {
  return `${displayUrl(location.url, style)}:${location.line}:${location.column}`;
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
