// The codes of the per-node yes/no caches of the wake-up analysis: one byte per heap node in a
// Uint8Array, filled the first time a node is asked about (the checks scan all of a node's edges:
// an array of 100k waiters has 100k).

/** Not worked out yet (a fresh Uint8Array holds it everywhere). */
export const NOT_KNOWN = 0;
export const KNOWN_NO = 1;
export const KNOWN_YES = 2;
