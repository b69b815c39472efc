// Expected failures. The CLI prints these as one line (`asyncgraph: <message>`, plus the hint on a
// second line if any) without a stack trace, and exits with `exitCode`. Anything that is not an
// AsyncgraphError is a bug and is printed with its stack (exit 1).

/** Documented process exit codes. */
export const ExitCode = {
  Ok: 0,
  /** Generic / unexpected failure. */
  Failure: 1,
  /** Bad command-line arguments. */
  Usage: 2,
  /** The pid does not exist (or has already exited). */
  NoSuchProcess: 3,
  /** The pid is not a Node.js process, or one that only runs a package manager (`npm start`). */
  NotNode: 4,
  /** Not allowed to inspect or signal the target (different user). */
  PermissionDenied: 5,
  /** No inspector could be reached: --disable-sigusr1, port already taken, none appeared after SIGUSR1. */
  InspectorUnavailable: 6,
  /** The target exited, or the connection to it was lost, mid-capture. */
  TargetExited: 7,
  /** An operation did not complete in time. */
  Timeout: 8,
  /** The heap snapshot is larger than --max-snapshot-mb. */
  SnapshotTooLarge: 9,
  /** The heap snapshot would not fit in the target's memory (its cgroup limit, or the machine's); none was taken. */
  NotEnoughMemory: 10,
  /** Another asyncgraph is capturing the same process (and did not finish within --wait-for-other). */
  CaptureInProgress: 11,
  /** Interrupted by SIGINT (128 + 2); SIGTERM gives 143. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class AsyncgraphError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, hint, options);
  }
}

export class NoSuchProcessError extends AsyncgraphError {
  constructor(readonly pid: number, message = `no such process: ${pid}`, options?: ErrorOptions) {
    super(message, ExitCode.NoSuchProcess, undefined, options);
  }
}

export class NotNodeProcessError extends AsyncgraphError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.NotNode, hint);
  }
}

export class PermissionDeniedError extends AsyncgraphError {
  constructor(
    message: string,
    hint = 'run asyncgraph as the same user as the target process, or as root',
    options?: ErrorOptions,
  ) {
    super(message, ExitCode.PermissionDenied, hint, options);
  }
}

export class InspectorUnavailableError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.InspectorUnavailable, hint, options);
  }
}

/** A port answered HTTP but is not a V8 inspector (e.g. the application's own server). */
export class NotAnInspectorError extends InspectorUnavailableError {}

export class TargetExitedError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.TargetExited, hint, options);
  }
}

export class TimeoutError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.Timeout, hint, options);
  }
}

/** The heap snapshot grew past the configured limit; reading it was stopped. */
export class SnapshotTooLargeError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.SnapshotTooLarge, hint, options);
  }
}

/** A heap snapshot would need more memory than the target has room for; none was taken (--force overrides). */
export class NotEnoughMemoryError extends AsyncgraphError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, ExitCode.NotEnoughMemory, hint, options);
  }
}

/** Another asyncgraph holds the target's capture lock (src/session/capture-lock.ts). */
export class CaptureInProgressError extends AsyncgraphError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.CaptureInProgress, hint);
  }
}

/**
 * asyncgraph was told to stop (SIGINT/SIGTERM) and did, after undoing what it did to the target.
 * Exit code 128 + the signal's number.
 */
export class InterruptedError extends AsyncgraphError {
  constructor(message: string, exitCode: number = ExitCode.Interrupted, hint?: string) {
    super(message, exitCode, hint);
  }
}
