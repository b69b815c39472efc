// The library API: capture a process's await graph and render it.
import { chromeRemoteInterface } from './session/native-utf8-check.js';

// ws's UTF-8 check is replaced as asyncgraph is imported, before the application can load the
// same ws (native-utf8-check.ts); the CLI's bundle loads the client at its first connection.
chromeRemoteInterface();

export { captureGraph, TOOL_VERSION, type CaptureGraphOptions, type TargetSpec } from './capture/capture-graph.js';
export { captureProcess, type CaptureProcessOptions, type ProcessCapture, type WorkerCapture } from './capture/capture-process.js';
export { renderTree, type TreeOptions } from './render/tree.js';
export { renderJson } from './render/json.js';
export { renderTable, type TableOptions } from './render/table.js';
export { renderDot, type DotOptions } from './render/dot.js';
export { renderMermaid, type MermaidOptions } from './render/mermaid.js';
export { filterDocument, type FilterOptions } from './views/filter.js';
export * from './schema.js';
export { AsyncgraphError, ExitCode } from './errors.js';
export { MemoryLedger, estimateSnapshotBytes } from './capture/snapshot-memory.js';
