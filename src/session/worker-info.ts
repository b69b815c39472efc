// A worker thread as Node's NodeWorker domain describes it. Part of the public types
// (WorkerCapture.info): kept apart from node-worker.ts, whose protocol types come from
// devtools-protocol, a devDependency that installed packages do not have.

export interface NodeWorkerInfo {
  /** Node's worker id as a string ("1", "2", …): `threadId` inside the worker. */
  workerId: string;
  /** "worker" */
  type: string;
  /** "[worker 1]", or "[worker 1] name" for `new Worker(file, { name })`. */
  title: string;
  /** The worker's main script (file:// URL). */
  url: string;
}
