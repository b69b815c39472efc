// Which variables of the await graph can never settle: a greatest fixpoint over dependency lists.
// Pure: the caller (src/wakeups/wakers.ts) builds the lists from the heap and answers `possible`.

import { groupBy } from '../snapshot/csr.js';

/** How a variable with dependencies settles. */
export const WAITS_FOR_ALL = 0;
/** Promise.allSettled's "any": it settles once one dependency can. */
export const WAITS_FOR_ANY = 1;
export type Waiting = typeof WAITS_FOR_ALL | typeof WAITS_FOR_ANY;

/** Dependencies in CSR form: variable v depends on list[start[v]] … list[start[v + 1] - 1]. */
export interface DependencyLists {
  count: number;
  start: ArrayLike<number>;
  list: ArrayLike<number>;
}

/**
 * A variable stays "never" while its dependencies say so (all of them stay for WAITS_FOR_ALL,
 * at least one for WAITS_FOR_ANY; a variable without dependencies asks `possible` alone) and
 * `possible(v)` holds: nothing outside the graph settles it. `possible` is asked only when the
 * dependencies alone say "never" (it reads the heap), at most once per variable. Returns 1 per
 * variable that can never settle, 0 otherwise.
 */
export function neverSettlingVariables(
  dependencies: DependencyLists,
  waiting: (v: number) => Waiting,
  possible: (v: number) => boolean,
): Uint8Array {
  const { count, start, list } = dependencies;
  const depCount = start[count];
  // Who depends on each variable, for the worklist.
  const dependentOf = new Int32Array(depCount);
  for (let v = 0; v < count; v++) dependentOf.fill(v, start[v], start[v + 1]);
  const { start: dependentStart, list: dependents } = groupBy(list, dependentOf, depCount, count);

  const possibleFlag = new Uint8Array(count); // 0 not asked yet, 1 no, 2 yes
  const isPossible = (v: number): boolean => {
    if (possibleFlag[v] === 0) possibleFlag[v] = possible(v) ? 2 : 1;
    return possibleFlag[v] === 2;
  };

  // Everything starts as "never" and is cleared by evidence.
  const never = new Uint8Array(count).fill(1);
  const work = new Int32Array(count + depCount); // each variable once, plus one push per dependency at most
  let top = 0;
  // Variables without dependencies on top: clearing those first clears what waits on them before
  // its `possible` is ever needed (the result does not depend on the order).
  for (let v = 0; v < count; v++) if (start[v] !== start[v + 1]) work[top++] = v;
  for (let v = 0; v < count; v++) if (start[v] === start[v + 1]) work[top++] = v;
  while (top > 0) {
    const v = work[--top];
    if (never[v] === 0) continue;
    const from = start[v];
    const end = start[v + 1];
    let stays: boolean;
    if (from === end) {
      stays = isPossible(v);
    } else {
      const any = waiting(v) === WAITS_FOR_ANY;
      stays = !any;
      for (let j = from; j < end; j++) {
        if ((never[list[j]] === 1) === any) {
          stays = any;
          break;
        }
      }
      stays = stays && isPossible(v);
    }
    if (stays) continue;
    never[v] = 0;
    for (let j = dependentStart[v], jEnd = dependentStart[v + 1]; j < jEnd; j++) {
      const dependent = dependents[j];
      if (never[dependent] === 1) work[top++] = dependent;
    }
  }
  return never;
}
