// Identical sibling subtrees: a server with 10 000 requests stuck at the same await has 10 000
// identical chains under one `Promise.all` (or 10 000 identical roots). The document lists them
// as groups (its JSON keeps every node); the views draw each group once with a count
// (src/views/collapse.ts). Pure.

import { awaitsByPositionOf, type AwaitsByPosition } from '../awaits/await-edges.js';
import type { AwaitNode, SiblingGroup } from '../schema.js';
import { observerSteps } from './observers.js';
import { displayName } from './order.js';
import { wakeupKey } from './wakeup-document.js';

/**
 * A number per node: two nodes get the same number exactly when their whole subtrees (what they
 * await, transitively) are identical — the same kinds and names at the same locations, in the same
 * shape, down to the same shared nodes. A node awaited from more than one place is equal only to
 * itself (a positive number of its own), so chains that converge on it can still be alike; a node
 * on an await cycle, or with one below it, gets a number of its own (negative), because the tree
 * draws it differently (`↻`) the second time.
 */
export function subtreeSignatures(nodes: readonly AwaitNode[]): Map<number, number> {
  const signatures = signaturesAt(nodes);
  const byId = new Map<number, number>();
  for (let i = 0; i < nodes.length; i++) byId.set(nodes[i].id, signatures[i]);
  return byId;
}

const signaturesOf = new WeakMap<readonly AwaitNode[], Int32Array>();

/**
 * subtreeSignatures by node position, once per node list (see awaitsByPositionOf): the document's
 * groups and the tree read them. `graph`: the list's await edges, when already at hand.
 */
export function signaturesAt(nodes: readonly AwaitNode[], graph?: AwaitsByPosition): Int32Array {
  let signatures = signaturesOf.get(nodes);
  if (!signatures) signaturesOf.set(nodes, (signatures = signaturesByPosition(nodes, awaitsByPositionOf(nodes, graph))));
  return signatures;
}

/** subtreeSignatures by node position (iterative post-order: chains thousands deep are fine). */
function signaturesByPosition(nodes: readonly AwaitNode[], graph: AwaitsByPosition): Int32Array {
  const { childStart, childList, danglingAwaiter } = graph;
  const count = nodes.length;
  const signature = new Int32Array(count);
  const NEW = 0;
  const IN_PROGRESS = 1;
  const DONE = 2;
  const state = new Uint8Array(count);
  // Node keys and subtree keys are interned to small numbers, so a subtree key is a short string.
  const nodeKeys = new NodeKeys();
  const subtreeKeys = new Map<string, number>();
  const singleKeys = new Map<number, Map<number, number>>();
  let signatureCount = 0;
  const stackNode = new Int32Array(count);
  const stackNext = new Int32Array(count);
  const stackTainted = new Uint8Array(count);
  const kidSignatures: number[] = [];
  // A step that only observes a promise (see observerSteps) does not make it shared.
  const observed = observerSteps(nodes);

  for (let start = 0; start < count; start++) {
    if (state[start] !== NEW) continue;
    let depth = 0;
    stackNode[0] = start;
    stackNext[0] = childStart[start];
    stackTainted[0] = 0;
    state[start] = IN_PROGRESS;
    while (depth >= 0) {
      const at = stackNode[depth];
      if (stackNext[depth] < childStart[at + 1]) {
        const child = childList[stackNext[depth]++];
        if (state[child] === NEW) {
          state[child] = IN_PROGRESS;
          depth++;
          stackNode[depth] = child;
          stackNext[depth] = childStart[child];
          stackTainted[depth] = 0;
        } else if (state[child] === IN_PROGRESS) {
          // A cycle: everything on it (and above it) is one of a kind.
          stackTainted[depth] = 1;
        }
        continue;
      }
      depth--;
      const node = nodes[at];
      let plain = stackTainted[depth + 1] === 0;
      if (danglingAwaiter[at] === 1) plain = false;
      kidSignatures.length = 0;
      for (let k = childStart[at]; plain && k < childStart[at + 1]; k++) {
        const kid = signature[childList[k]];
        if (kid <= 0) plain = false;
        kidSignatures.push(kid);
      }
      let value: number;
      if (!plain) {
        value = -node.id - 1;
      } else if (node.awaitedBy.length - (observed.get(node.id)?.length ?? 0) > 1) {
        // Where chains meet (2000 requests awaiting one upstream promise): equal only to itself,
        // so the chains above it are alike when they are alike down to it, and fold into one
        // drawn with a count, the shared part drawn once below it.
        value = ++signatureCount;
      } else {
        const localId = nodeKeys.of(node);
        // A leaf or a single child (nearly every node of a chain): a numeric key, no string.
        let known: number | undefined;
        if (kidSignatures.length <= 1) {
          let byKid = singleKeys.get(localId);
          if (!byKid) singleKeys.set(localId, (byKid = new Map()));
          const kid = kidSignatures[0] ?? 0; // signatures of plain subtrees start at 1
          known = byKid.get(kid);
          if (known === undefined) byKid.set(kid, (known = ++signatureCount));
        } else {
          const key = `${localId}|${runLength(kidSignatures)}`;
          known = subtreeKeys.get(key);
          if (known === undefined) subtreeKeys.set(key, (known = ++signatureCount));
        }
        value = known;
      }
      signature[at] = value;
      state[at] = DONE;
    }
  }
  return signature;
}

/**
 * What must be equal for two nodes to print the same line, as a number: equal numbers for equal
 * lines. Each part is numbered first (the strings of a part are shared by many nodes), so the key
 * looked up per node is a short string.
 */
class NodeKeys {
  private readonly keys = new Map<string, number>();
  private readonly parts = new Map<string, number>();
  private readonly places = new Map<object, number>();
  /** The last node keyed at each location object, for the next one there with the same fields. */
  private readonly lastAt = new Map<object, { node: AwaitNode; id: number }>();

  of(node: AwaitNode): number {
    const wakes = node.settlement || node.neverSettles || node.stuckMs !== undefined;
    if (node.location && !wakes) {
      const last = this.lastAt.get(node.location);
      if (last && sameLine(last.node, node)) return last.id;
    }
    const id = this.keyOf(node, wakes);
    if (node.location && !wakes) this.lastAt.set(node.location, { node, id });
    return id;
  }

  private keyOf(node: AwaitNode, wakes: unknown): number {
    let place = 0;
    if (node.location) {
      // Nodes at one position usually share their location object.
      place = this.places.get(node.location) ?? 0;
      if (place === 0) {
        place = this.part(`${node.location.url}:${node.location.line}:${node.location.column}`);
        this.places.set(node.location, place);
      }
    }
    const wake = wakes ? this.part(wakeupKey(node)) : 0;
    const key =
      `${this.part(node.kind)}:${this.part(displayName(node))}:${place}:${node.locationSource === 'definition' ? 1 : 0}` +
      // `suspended` is only known for frames V8 was asked about; `running` is worth telling apart.
      `:${node.state === 'suspended' || !node.state ? 0 : this.part(node.state)}:${node.truncated ? 1 : 0}:${wake}`;
    let id = this.keys.get(key);
    if (id === undefined) this.keys.set(key, (id = this.keys.size));
    return id;
  }

  /** A number (from 1) for a string. */
  private part(text: string): number {
    let id = this.parts.get(text);
    if (id === undefined) this.parts.set(text, (id = this.parts.size + 1));
    return id;
  }
}

/** Whether two nodes at one location print the same line (the fields keyOf reads but the location). */
function sameLine(a: AwaitNode, b: AwaitNode): boolean {
  return (
    a.kind === b.kind &&
    a.name === b.name &&
    a.qualifiedName === b.qualifiedName &&
    a.thenMethod === b.thenMethod &&
    a.locationSource === b.locationSource &&
    a.state === b.state &&
    a.truncated === b.truncated
  );
}

/** Sorted child signatures as `sig*count` runs: ten thousand identical children stay one short key. */
function runLength(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    runs.push(`${sorted[i]}*${j - i}`);
    i = j;
  }
  return runs.join(',');
}

const groupsOf = new WeakMap<readonly AwaitNode[], SiblingGroup[]>();

/**
 * The document's sibling groups (two or more siblings with identical subtrees), numbered in the
 * order of their first member in `nodes`. Found once per node list (see awaitsByPositionOf): the
 * document and the views that fold them share the one array, which nobody changes.
 */
export function siblingGroups(nodes: readonly AwaitNode[], known?: AwaitsByPosition): SiblingGroup[] {
  let groups = groupsOf.get(nodes);
  if (!groups) groupsOf.set(nodes, (groups = findGroups(nodes, awaitsByPositionOf(nodes, known))));
  return groups;
}

function findGroups(nodes: readonly AwaitNode[], graph: AwaitsByPosition): SiblingGroup[] {
  const signatures = signaturesAt(nodes, graph);
  const found: { awaiter: number | null; first: number; members: number[] }[] = [];
  // Siblings as positions in document order; only lists with two plain members can hold a group.
  const collect = (awaiter: number | null, siblings: ArrayLike<number>, from: number, to: number) => {
    if (to - from < 2) return;
    const bySignature = new Map<number, number[]>();
    const order: number[][] = [];
    for (let k = from; k < to; k++) {
      const at = siblings[k];
      const signature = signatures[at];
      if (signature <= 0) continue;
      const members = bySignature.get(signature);
      if (members) members.push(at);
      else {
        const fresh = [at];
        bySignature.set(signature, fresh);
        order.push(fresh);
      }
    }
    for (const members of order) {
      if (members.length > 1) found.push({ awaiter, first: members[0], members: members.map((at) => nodes[at].id) });
    }
  };
  // Observer steps are drawn with the promise they observe, not as roots: no group of their own.
  const observing = new Set<number>();
  for (const steps of observerSteps(nodes).values()) for (const step of steps) observing.add(step.id);
  const roots: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (nodes[i].awaitedBy.length === 0 && !observing.has(nodes[i].id)) roots.push(i);
  collect(null, roots, 0, roots.length);
  for (let i = 0; i < nodes.length; i++) collect(nodes[i].id, graph.childList, graph.childStart[i], graph.childStart[i + 1]);
  found.sort((a, b) => a.first - b.first);
  return found.map((group, index) => ({
    id: index + 1,
    awaiter: group.awaiter,
    members: group.members.sort((a, b) => a - b),
  }));
}
