/**
 * The "Show Index Status" quick pick as data: one section per folder with its
 * state and metrics, then the actions that make sense now. Pure.
 */
import type { EngineStatus } from '../../engine/index.js';
import { commandId, type CommandName } from './commandIds.js';
import type { FolderSnapshot } from './folderIndex.js';
import { displayModel } from './statusModel.js';

export type StatusPickEntry =
  | { readonly kind: 'separator'; readonly label: string }
  | { readonly kind: 'info'; readonly label: string; readonly description?: string; readonly detail?: string }
  | { readonly kind: 'action'; readonly label: string; readonly description?: string; readonly command: string };

function activityText(snapshot: FolderSnapshot): string {
  const activity = snapshot.activity;
  switch (activity.kind) {
    case 'indexing':
      return activity.phase === 'discovering' ? 'scanning for changes' : `indexing ${activity.filesDone}/${activity.filesTotal} files`;
    case 'paused':
      return `paused, ${activity.pendingChanges} changes held${activity.fullIndexPending ? ', full index pending' : ''}`;
    case 'failed':
      return `failed: ${activity.message}`;
    default:
      return activity.kind;
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));

export function statusPickEntries(folders: readonly { snapshot: FolderSnapshot; status: EngineStatus | null }[], paused: boolean): StatusPickEntry[] {
  const entries: StatusPickEntry[] = [];
  for (const { snapshot, status } of folders) {
    entries.push({ kind: 'separator', label: snapshot.folder.name });
    entries.push({ kind: 'info', label: `$(pulse) ${activityText(snapshot)}`, description: status?.lastIndexedAt ? `last indexed ${status.lastIndexedAt}` : '' });
    if (!status) continue;
    const fallback = status.modelFallback;
    const model = status.modelError ? `lexical-only: model failed to load` : fallback ? `${displayModel(status.modelId)} (fallback: the configured model failed)` : displayModel(status.modelId);
    const detail = status.modelError ?? (fallback ? `${fallback.requested}: ${fallback.reason}` : null) ?? status.modelDir ?? 'lexical-only by setting';
    entries.push({ kind: 'info', label: `$(symbol-namespace) Model: ${model}`, description: status.device ?? '', detail });
    entries.push({
      kind: 'info',
      label: `$(database) ${status.counts.files} files, ${status.counts.chunks} chunks, ${status.counts.vectorsForModel} vectors`,
      description: `${(status.cacheBytes / 1048576).toFixed(1)} MB`,
      detail: status.cachePath,
    });
    const metrics = status.metrics;
    entries.push({
      kind: 'info',
      label: `$(dashboard) Embedding latency p50 ${ms(metrics.embedLatencyMs.p50)} ms, p95 ${ms(metrics.embedLatencyMs.p95)} ms per chunk`,
      description: `${metrics.embedLatencyMs.count} batches`,
    });
    entries.push({
      kind: 'info',
      label: `$(search) Search latency p50 ${ms(metrics.searchLatencyMs.p50)} ms, p95 ${ms(metrics.searchLatencyMs.p95)} ms`,
      description: `${metrics.searches} searches`,
    });
    entries.push({
      kind: 'info',
      label: `$(archive) Cache hit ratio ${(metrics.cacheHitRatio * 100).toFixed(1)}%`,
      description: `${metrics.vectorsReused} vectors reused, ${metrics.chunksEmbedded} embedded`,
    });
    entries.push({ kind: 'info', label: `$(${metrics.errors > 0 ? 'warning' : 'pass'}) ${metrics.errors} errors`, description: `${metrics.filesIndexed} files indexed since start` });
    entries.push({ kind: 'info', label: `$(server) Memory: RSS ${metrics.memory.rssMb} MB, heap ${metrics.memory.heapUsedMb} MB`, description: `external ${metrics.memory.externalMb} MB` });
  }
  const action = (name: CommandName, label: string, description?: string): StatusPickEntry => ({ kind: 'action', label, command: commandId(name), ...(description ? { description } : {}) });
  entries.push({ kind: 'separator', label: 'Actions' });
  entries.push(action('search', '$(search) Search Code Semantically'));
  entries.push(paused ? action('resume', '$(debug-continue) Resume Indexing') : action('pause', '$(debug-pause) Pause Indexing'));
  entries.push(action('reindex', '$(refresh) Reindex Workspace'));
  entries.push(action('selectModel', '$(symbol-namespace) Select Embedding Model'));
  entries.push(action('healthCheck', '$(heart) Run Health Check'));
  entries.push(action('clearIndex', '$(trash) Clear Index', 'deletes the cache and rebuilds it'));
  entries.push(action('showLog', '$(output) Show Log'));
  return entries;
}
