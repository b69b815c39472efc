// Before a heap snapshot: will it fit in the target's memory? V8 builds the whole snapshot inside
// the target (HeapSnapshotGenerator: an entry per object, an edge per reference, the object-id
// map, the string table, then the serialized JSON queued for the client) — several times the
// heap's size for heaps of small objects. A target in a memory cgroup with too little room is
// OOM-killed by it, so the capture is refused instead, unless --force.
//
// The estimate uses only what the inspector reports without running code (Runtime.getHeapUsage)
// and a model calibrated by measurement (scripts/calibrate-snapshot-memory.js, docs/safety.md).

import { NotEnoughMemoryError } from '../errors.js';
import type { CaptureMemory } from '../schema.js';
import type { CdpSession } from '../session/cdp-session.js';
import { abortError } from '../session/guarded-session.js';
import { readRss, readTargetMemory, REAL_ROOTS, type CgroupMemory, type MemoryRoots, type TargetMemory } from '../target/target-memory.js';
import { formatMb } from '../units.js';

const MB = 1024 * 1024;

/**
 * The model: extra bytes = perHeapByte × heap used + fixedBytes, an upper envelope of the
 * measurements in docs/safety.md (Node 20, 22, 24, 26). The cost follows the number of heap
 * objects, not their bytes: 6-16 × the heap for ordinary heaps of small objects, but up to 67 ×
 * for a heap of numbers held one by one in big arrays or Maps (1.6 KB per 24-byte HeapNumber);
 * big strings and double arrays cost almost nothing. Only the heap's size is known without
 * running code, so the factor covers the worst shape measured, with room to spare. fixedBytes
 * covers an almost empty heap's snapshot (Node's own code: up to 59 MB measured).
 */
export const SNAPSHOT_MODEL = { perHeapByte: 80, fixedBytes: 96 * MB } as const;

/** Room kept free on top of the estimate: the target and its neighbours go on allocating meanwhile. */
export const SNAPSHOT_MARGIN_BYTES = 64 * MB;

/**
 * How long Runtime.getHeapUsage may take. It is answered on the target's thread: at once when
 * idle or running JavaScript (an interrupt), not while blocked in native code (execSync), whose
 * end it must not wait for: the pause round that follows reports such a thread as blocked. Without
 * an answer the RSS stands in for the heap.
 */
const HEAP_USAGE_TIMEOUT_MS = 1000;

/** The extra memory, in bytes, a heap snapshot of a heap with `heapUsedBytes` in use needs in the target. */
export function estimateSnapshotBytes(heapUsedBytes: number): number {
  return Math.ceil(SNAPSHOT_MODEL.perHeapByte * heapUsedBytes + SNAPSHOT_MODEL.fixedBytes);
}

/** What the check found, kept for the document (`memory`, docs/json-schema.md). */
export interface MemoryCheck {
  /** Runtime.getHeapUsage's usedSize; absent when the inspector did not answer (RSS used instead). */
  heapUsedBytes?: number;
  estimatedBytes: number;
  headroomBytes?: number;
  limitedBy?: 'cgroup' | 'machine';
  cgroup?: CgroupMemory;
  /** It did not fit, and --force took it anyway. */
  forced?: true;
  rssBeforeBytes?: number;
  /** VmHWM before the capture: a peak above it happened during the capture. */
  peakRssBeforeBytes?: number;
}

/**
 * Snapshots in flight, by what bounds them (a cgroup, the machine), so that processes sharing
 * a cgroup are budgeted together: a capture that would fit alone waits for the others' snapshots
 * to end; one that would not fit even alone is refused.
 */
export class MemoryLedger {
  private readonly held = new Map<string, number>();
  private waiters: (() => void)[] = [];

  reserved(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /** Holds `bytes` on each key; the returned function gives them back (once). */
  hold(keys: readonly string[], bytes: number): () => void {
    for (const key of keys) this.held.set(key, this.reserved(key) + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) this.held.set(key, this.reserved(key) - bytes);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
  }

  /** Resolves at the next release. */
  nextRelease(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => reject(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

export interface MemoryCheckOptions {
  /** The target's pid; null when only its inspector is known (--port, --url): the machine's memory is the bound. */
  pid: number | null;
  /** `process 4242`, `worker 1 of process 4242`: for the refusal. */
  what: string;
  /** Take the snapshot even if it does not fit (--force). */
  force?: boolean;
  /** Shared by the captures of one process tree. */
  ledger?: MemoryLedger;
  signal?: AbortSignal;
  /** The inspector is on another machine (--allow-remote): this machine's memory says nothing. */
  remote?: boolean;
  roots?: MemoryRoots;
  onProgress?: (message: string) => void;
}

/** A snapshot allowed to go ahead, holding its share of the budget until `release`. */
export interface Admission {
  check?: MemoryCheck;
  release(): void;
}

function ledgerKeys(memory: TargetMemory): string[] {
  return memory.cgroup ? [`cgroup${memory.cgroup.version}:${memory.cgroup.path}`, 'machine'] : ['machine'];
}

/**
 * @internal (it takes a CDP session, whose types are not published)
 * Checks that a snapshot fits, before it is taken. Resolves with the check when it fits (or with
 * --force); waits while other snapshots of the same ledger hold the room it needs; throws
 * NotEnoughMemoryError when it cannot fit. Without any fact to go on (a remote inspector that
 * does not report its heap), no check is made.
 */
export async function admitSnapshot(session: CdpSession, options: MemoryCheckOptions): Promise<Admission> {
  const roots = options.roots ?? REAL_ROOTS;
  const usage = await session.send('Runtime.getHeapUsage', undefined, HEAP_USAGE_TIMEOUT_MS).catch(() => undefined);
  const heapUsedBytes = usage && Number.isFinite(usage.usedSize) ? usage.usedSize : undefined;
  for (;;) {
    if (options.remote) {
      if (heapUsedBytes === undefined) return { release: () => {} };
      return { check: { heapUsedBytes, estimatedBytes: estimateSnapshotBytes(heapUsedBytes) }, release: () => {} };
    }
    const memory = readTargetMemory(options.pid, roots);
    const assessed = assessSnapshot(heapUsedBytes, memory);
    if (!assessed) return { release: () => {} };
    const { check, estimatedBytes, needed } = assessed;
    const keys = ledgerKeys(memory);
    const hold = (forced: boolean): Admission => ({
      check: forced ? { ...check, forced: true } : check,
      release: options.ledger ? options.ledger.hold(keys, estimatedBytes) : () => {},
    });
    if (memory.headroomBytes === undefined) return hold(false);
    const others = options.ledger ? Math.max(...keys.map((key) => options.ledger!.reserved(key))) : 0;
    if (needed <= memory.headroomBytes - others) return hold(false);
    if (options.force) return hold(true);
    if (others > 0 && needed <= memory.headroomBytes) {
      // It fits once the snapshots in flight in the same cgroup are done: one after another.
      options.onProgress?.('waiting for memory: another snapshot in the same cgroup is being taken');
      await options.ledger!.nextRelease(options.signal);
      continue;
    }
    throw refusal(options.what, needed, memory);
  }
}

/**
 * What a snapshot of a heap with `heapUsedBytes` in use needs against what the target's memory
 * has left: the check for the document, and the bytes needed with the margin. Undefined without
 * any fact to go on. Without the heap's size the whole RSS stands for it (more than the heap:
 * conservative).
 */
function assessSnapshot(heapUsedBytes: number | undefined, memory: TargetMemory): { check: MemoryCheck; estimatedBytes: number; needed: number } | undefined {
  const heapBytes = heapUsedBytes ?? memory.rssBytes;
  if (heapBytes === undefined) return undefined;
  const estimatedBytes = estimateSnapshotBytes(heapBytes);
  const check: MemoryCheck = {
    ...(heapUsedBytes !== undefined ? { heapUsedBytes } : {}),
    estimatedBytes,
    ...(memory.headroomBytes !== undefined ? { headroomBytes: memory.headroomBytes, limitedBy: memory.limitedBy } : {}),
    ...(memory.cgroup ? { cgroup: memory.cgroup } : {}),
    ...(memory.rssBytes !== undefined ? { rssBeforeBytes: memory.rssBytes } : {}),
    ...(memory.peakRssBytes !== undefined ? { peakRssBeforeBytes: memory.peakRssBytes } : {}),
  };
  return { check, estimatedBytes, needed: estimatedBytes + SNAPSHOT_MARGIN_BYTES };
}

/**
 * @internal The memory check of a thread snapshotting its own heap (src/in-process/): synchronous,
 * because the snapshot is taken at once (the heap's size comes from the thread itself). Returns
 * the check (undefined without facts); throws NotEnoughMemoryError when the snapshot does not fit.
 */
export function checkOwnSnapshotFits(heapUsedBytes: number, what: string, pid = process.pid, roots: MemoryRoots = REAL_ROOTS): MemoryCheck | undefined {
  const memory = readTargetMemory(pid, roots);
  const assessed = assessSnapshot(heapUsedBytes, memory);
  if (!assessed || memory.headroomBytes === undefined || assessed.needed <= memory.headroomBytes) return assessed?.check;
  throw refusal(what, assessed.needed, memory, 'nothing overrides this check in a test worker; with more memory the next timeout shows its chain');
}

function refusal(what: string, needed: number, memory: TargetMemory, hint?: string): NotEnoughMemoryError {
  const has =
    memory.limitedBy === 'cgroup' && memory.cgroup
      ? `its memory cgroup ${memory.cgroup.path} has ${formatMb(memory.headroomBytes!, Math.ceil)} left of its ${formatMb(memory.cgroup.limitBytes, Math.ceil)} limit`
      : `the machine has ${formatMb(memory.headroomBytes!, Math.ceil)} available`;
  const raise = memory.limitedBy === 'cgroup' ? 'or raise its memory limit' : 'or free memory on the machine';
  return new NotEnoughMemoryError(
    `not enough memory for a heap snapshot of ${what}: it would need about ${formatMb(needed, Math.ceil)} more, and ${has}; no snapshot was taken`,
    hint ?? `--force takes it anyway (the kernel may kill the process when it runs out), ${raise}; see docs/safety.md`,
  );
}

/**
 * @internal (it takes a CDP session, whose types are not published)
 * Runs a capture behind the memory check (admitSnapshot); its result, and the document's `memory`.
 */
export async function withMemoryCheck<T>(
  session: CdpSession,
  options: MemoryCheckOptions,
  capture: () => Promise<T>,
): Promise<{ result: T; memory?: CaptureMemory }> {
  const admission = await admitSnapshot(session, options);
  let result: T;
  try {
    result = await capture();
  } finally {
    admission.release();
  }
  return { result, ...(admission.check ? { memory: captureMemory(admission.check, options.pid, options.roots) } : {}) };
}

/**
 * The document's `memory`: the check, and what the capture cost the process — its RSS now, and
 * its peak when that rose during the capture (VmHWM only ever grows).
 */
export function captureMemory(check: MemoryCheck, pid: number | null, roots: MemoryRoots = REAL_ROOTS): CaptureMemory {
  const { peakRssBeforeBytes, rssBeforeBytes, ...rest } = check;
  const now = pid !== null ? readRss(pid, roots) : {};
  const peakRose = now.peakRssBytes !== undefined && peakRssBeforeBytes !== undefined && now.peakRssBytes > peakRssBeforeBytes;
  return {
    ...rest,
    ...(rssBeforeBytes !== undefined ? { rssBeforeBytes } : {}),
    ...(peakRose ? { rssPeakBytes: now.peakRssBytes } : {}),
    ...(now.rssBytes !== undefined ? { rssAfterBytes: now.rssBytes } : {}),
  };
}

