export { ChangeCoalescer } from './coalescer.js';
export { WorkspaceWatcher, type WatchOptions } from './watcher.js';
