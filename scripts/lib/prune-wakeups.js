// Used only by scripts/record-snapshots.js, on the built stages (`npm run build` first).
import { HeapGraph } from '../../dist/snapshot/heap-graph.js';
import { findHeapWakeups } from '../../dist/wakeups/wakers.js';
// What the wake-up analysis (wakers.ts, keep-alive.ts) reads beyond the await graph, for
// recording small test snapshots: scripts/record-snapshots.js passes this to pruneSnapshot and
// checks that the pruned snapshot gives the same analysis as the full one.
//
// The analysis is run on a heap that records every node whose edges or retainers it reads and
// every edge target it follows. Keeping exactly those (with the await graph's own nodes) keeps
// the same retainer lists in the same order, so the analysis finds the same holders. Name and
// type checks of the full scans (looking for Timeout objects, "Node / …" handles) are not
// recorded: a node dropped because only its name was checked did not match.
class RecordingHeap extends HeapGraph {
  touched = new Set();
  /** Off while indexes are built (they read every edge). */
  recording = false;
  firstEdgeOf(node) {
    if (this.recording)
      this.touched.add(node);
    return super.firstEdgeOf(node);
  }
  edgeTo(edge) {
    const to = super.edgeTo(edge);
    if (this.recording)
      this.touched.add(to);
    return to;
  }
  namedEdgeTarget(node, nameIndex) {
    const to = super.namedEdgeTarget(node, nameIndex);
    if (this.recording) {
      this.touched.add(node);
      if (to >= 0)
        this.touched.add(to);
    }
    return to;
  }
  forEachRetainer(node, visit) {
    if (this.recording)
      this.touched.add(node);
    super.forEachRetainer(node, (from, edge) => {
      if (this.recording)
        this.touched.add(from);
      return visit(from, edge);
    });
  }
  /** The holder search reads the index's arrays in a plain loop: each retainer it reads is recorded. */
  retainerLists() {
    const lists = super.retainerLists();
    if (!this.recording)
      return lists;
    const touched = this.touched;
    const from = new Proxy(lists.from, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof key === 'string' && /^\d+$/.test(key))
          touched.add(value);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { first: lists.first, edges: lists.edges, from };
  }
  closureLocation(node) {
    if (this.recording)
      this.touched.add(node);
    return super.closureLocation(node);
  }
}
/** The nodes the wake-up analysis of `raw` reads, given the await graph found in it. */
export function wakeupKeep(raw, nodes, trace) {
  const heap = new RecordingHeap(raw);
  // Build the retainer and location indexes first, unrecorded.
  heap.forEachRetainer(0, () => true);
  heap.closureLocation(0);
  heap.recording = true;
  findHeapWakeups(heap, nodes, trace);
  return [...heap.touched];
}
