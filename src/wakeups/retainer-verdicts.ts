import type { RetainerFilter } from './followed-retainers.js';
import type { HitClassifier, HitKind } from './hit-kinds.js';
import type { ScopeReach } from './scope-reach.js';

// What each retainer edge means to a holder search, worked out once per capture: whether it is
// climbed, what holder it meets, whether its scope check needs the path. Every leaf's search that
// reaches a shared holder weighs the same edges again (400 stuck fetches each climb 800 edges of
// one undici pool), and the answer depends on the edge alone.

/** Not weighed yet. */
const NOT_KNOWN = 0;
/** Not climbed (RetainerFilter.follows). */
export const SKIPPED = 1;
/** Climbed; not a holder. */
export const CLIMBED = 2;
/** Climbed; not a holder itself, but a scope variable holding a container (HitClassifier.isScopeContainer). */
export const CLIMBED_SCOPE = 3;
/** Climbed; a holder of kind HIT_KINDS[verdict - FIRST_HIT]. */
export const FIRST_HIT = 4;
/** Set on a climbed edge whose scope check depends on the path (ScopeReach.closureReaches). */
export const PATH_CHECKED = 0x80;

const HIT_KINDS: readonly HitKind[] = ['resource', 'emitter', 'event-target', 'variable', 'global', 'scope', 'frame', 'reaction', 'microtask', 'root'];

export class RetainerVerdicts {
  /** Per position in the heap's retainer index (HeapGraph.retainerLists). */
  readonly verdicts: Uint8Array;
  /** The closure ScopeReach checks, by position, for the PATH_CHECKED edges. */
  private readonly checkedClosures = new Map<number, number>();

  constructor(
    retainerCount: number,
    private readonly filter: RetainerFilter,
    private readonly classifier: HitClassifier,
    private readonly scopeReach: ScopeReach,
  ) {
    this.verdicts = new Uint8Array(retainerCount);
  }

  /**
   * The verdict of the retainer edge at `position`: `from` holds `child` through `edge`. Read
   * `verdicts[position]` first; this works it out when it is NOT_KNOWN.
   */
  weigh(position: number, from: number, edge: number, child: number): number {
    let verdict = this.verdicts[position];
    if (verdict !== NOT_KNOWN) return verdict;
    if (!this.filter.follows(from, edge)) {
      verdict = SKIPPED;
    } else {
      const kind = this.classifier.hitKind(from, edge);
      verdict = kind ? FIRST_HIT + HIT_KINDS.indexOf(kind) : this.classifier.isScopeContainer(from, edge, child) ? CLIMBED_SCOPE : CLIMBED;
      const closure = this.scopeReach.checkedClosure(from, edge);
      if (closure >= 0) {
        verdict |= PATH_CHECKED;
        this.checkedClosures.set(position, closure);
      }
    }
    this.verdicts[position] = verdict;
    return verdict;
  }

  /** The closure to check for a PATH_CHECKED edge. */
  checkedClosure(position: number): number {
    return this.checkedClosures.get(position)!;
  }
}

/** The holder kind of a verdict of FIRST_HIT or above (PATH_CHECKED cleared). */
export function hitKindOf(verdict: number): HitKind {
  return HIT_KINDS[verdict - FIRST_HIT];
}
