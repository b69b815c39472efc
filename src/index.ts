// The library API: capture a process's await graph and render it.
export { captureGraph, TOOL_VERSION, type CaptureGraphOptions, type TargetSpec } from './capture-graph.js';
export { captureProcess, type CaptureProcessOptions, type ProcessCapture, type WorkerCapture } from './capture-process.js';
export { renderTree, type TreeOptions } from './render/tree.js';
export { renderJson } from './render/json.js';
export { renderTable, type TableOptions } from './render/table.js';
export { renderDot, type DotOptions } from './render/dot.js';
export { renderMermaid, type MermaidOptions } from './render/mermaid.js';
export { filterDocument, type FilterOptions } from './graph/filter.js';
export * from './graph/types.js';
export { AsyncgraphError, ExitCode } from './errors.js';
export { MemoryLedger, estimateSnapshotBytes } from './inspector/snapshot-memory.js';
