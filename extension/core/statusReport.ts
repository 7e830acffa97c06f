/**
 * The "Show Index Status" quick pick as data: one section per folder with its
 * state and metrics, then the actions that make sense now. Pure.
 */
import type { EngineStatus } from '../../engine/index.js';
import { commandId, type CommandName } from './commandIds.js';
import type { FolderSnapshot } from './folderIndex.js';
import * as l10n from '@vscode/l10n';
import { displayModel } from './statusModel.js';

export type StatusPickEntry =
  | { readonly kind: 'separator'; readonly label: string }
  | { readonly kind: 'info'; readonly label: string; readonly description?: string; readonly detail?: string }
  | { readonly kind: 'action'; readonly label: string; readonly description?: string; readonly command: string };

function activityText(snapshot: FolderSnapshot): string {
  const activity = snapshot.activity;
  switch (activity.kind) {
    case 'indexing':
      return activity.phase === 'discovering' ? l10n.t('scanning for changes') : l10n.t('indexing {0}/{1} files', activity.filesDone, activity.filesTotal);
    case 'paused':
      return activity.fullIndexPending ? l10n.t('paused, {0} changes held, full index pending', activity.pendingChanges) : l10n.t('paused, {0} changes held', activity.pendingChanges);
    case 'failed':
      return l10n.t('failed: {0}', activity.message);
    case 'idle':
      return l10n.t('idle');
    case 'opening':
      return l10n.t('opening');
    default:
      return activity.kind;
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['week', 7 * 86_400],
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * `when` (an ISO timestamp) relative to `now`, in the display language:
 * "3 minutes ago", "yesterday", "now". The exact time stays in the tooltip-free
 * log; a raw ISO string here says less to a person. Unparseable input comes back as is.
 */
export function relativeTime(when: string, now: number, locale = 'en'): string {
  const time = Date.parse(when);
  if (!Number.isFinite(time)) return when;
  const seconds = Math.round((time - now) / 1000);
  let format: Intl.RelativeTimeFormat;
  try {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  } catch {
    format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  }
  if (Math.abs(seconds) < 10) return format.format(0, 'second');
  const [unit, size] = UNITS.find(([, length]) => Math.abs(seconds) >= length)!;
  return format.format(Math.round(seconds / size), unit);
}

export interface StatusPickContext {
  /** Milliseconds since the epoch, for relative times. */
  readonly now: number;
  /** The display language (`vscode.env.language`). */
  readonly locale?: string;
}

/**
 * The entries, kept short enough for the quick pick to show every row at
 * once in a common window (the list is about 40% of the window high): one
 * row per topic, paths as details only where they matter.
 */
export function statusPickEntries(folders: readonly { snapshot: FolderSnapshot; status: EngineStatus | null }[], paused: boolean, context: StatusPickContext = { now: Date.now() }): StatusPickEntry[] {
  const entries: StatusPickEntry[] = [];
  for (const { snapshot, status } of folders) {
    entries.push({ kind: 'separator', label: snapshot.folder.name });
    entries.push({
      kind: 'info',
      label: `$(pulse) ${activityText(snapshot)}`,
      description: status?.lastIndexedAt ? l10n.t('last indexed {0}', relativeTime(status.lastIndexedAt, context.now, context.locale)) : '',
    });
    if (!status) continue;
    const fallback = status.modelFallback;
    const model = status.modelError
      ? l10n.t('lexical-only: model failed to load')
      : fallback
        ? l10n.t('{0} (fallback: the configured model failed)', displayModel(status.modelId))
        : displayModel(status.modelId);
    const detail = status.modelError ?? (fallback ? `${fallback.requested}: ${fallback.reason}` : null) ?? status.modelDir ?? l10n.t('lexical-only by setting');
    entries.push({ kind: 'info', label: `$(symbol-namespace) ${l10n.t('Model: {0}', model)}`, description: status.device ?? '', detail });
    entries.push({
      kind: 'info',
      label: `$(database) ${l10n.t('{0} files, {1} chunks, {2} vectors', status.counts.files, status.counts.chunks, status.counts.vectorsForModel)}`,
      description: l10n.t('index {0} MB on disk', (status.cacheBytes / 1048576).toFixed(1)),
      detail: status.cachePath,
    });
    const metrics = status.metrics;
    entries.push({
      kind: 'info',
      label: `$(dashboard) ${l10n.t('Embedding p50 {0} ms, p95 {1} ms per chunk · search p50 {2} ms, p95 {3} ms', ms(metrics.embedLatencyMs.p50), ms(metrics.embedLatencyMs.p95), ms(metrics.searchLatencyMs.p50), ms(metrics.searchLatencyMs.p95))}`,
      description: l10n.t('{0} batches, {1} searches', metrics.embedLatencyMs.count, metrics.searches),
    });
    entries.push({
      kind: 'info',
      label: `$(${metrics.errors > 0 ? 'warning' : 'archive'}) ${l10n.t('Cache hit ratio {0}% · {1} errors', (metrics.cacheHitRatio * 100).toFixed(1), metrics.errors)}`,
      description: l10n.t('{0} vectors reused, {1} embedded, {2} files indexed since start', metrics.vectorsReused, metrics.chunksEmbedded, metrics.filesIndexed),
    });
    // The engine runs inside the extension host process (its workers are threads there), which every
    // extension of the window shares: its RSS is not CodeGraph's alone, so the row says whose it is.
    entries.push({
      kind: 'info',
      label: `$(server) ${l10n.t('Extension host process: RSS {0} MB, heap {1} MB', metrics.memory.rssMb, metrics.memory.heapUsedMb)}`,
      description: l10n.t('shared by all extensions; external {0} MB', metrics.memory.externalMb),
    });
  }
  const action = (name: CommandName, label: string, description?: string): StatusPickEntry => ({ kind: 'action', label, command: commandId(name), ...(description ? { description } : {}) });
  entries.push({ kind: 'separator', label: l10n.t('Actions') });
  entries.push(action('search', `$(search) ${l10n.t('Search Code Semantically')}`));
  entries.push(paused ? action('resume', `$(debug-continue) ${l10n.t('Resume Indexing')}`) : action('pause', `$(debug-pause) ${l10n.t('Pause Indexing')}`));
  entries.push(action('reindex', `$(refresh) ${l10n.t('Reindex Workspace')}`));
  entries.push(action('selectModel', `$(symbol-namespace) ${l10n.t('Select Embedding Model')}`));
  entries.push(action('healthCheck', `$(heart) ${l10n.t('Run Health Check')}`));
  entries.push(action('clearIndex', `$(trash) ${l10n.t('Clear Index')}`, l10n.t('deletes the cache and rebuilds it')));
  entries.push(action('showLog', `$(output) ${l10n.t('Show Log')}`));
  return entries;
}
