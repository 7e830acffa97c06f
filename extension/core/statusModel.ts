/**
 * From folder snapshots to one workspace status, and from that status to what
 * the status bar shows. Pure, so every state's text is unit-tested.
 */
import type { FolderSnapshot } from './folderIndex.js';

export type WorkspaceStatus =
  | { readonly kind: 'noFolder' }
  | { readonly kind: 'untrusted' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'indexing'; readonly phase: 'discovering' | 'indexing'; readonly filesDone: number; readonly filesTotal: number; readonly chunks: number }
  | { readonly kind: 'paused'; readonly pendingChanges: number; readonly chunks: number }
  | { readonly kind: 'error'; readonly folder: string; readonly message: string }
  | { readonly kind: 'lexicalOnly'; readonly reason: string; readonly chunks: number }
  | { readonly kind: 'idle'; readonly chunks: number; readonly files: number; readonly model: string | null; readonly fallback?: ModelFallbackView };

/** The recovery chain's level when the configured model is not serving: the model that serves instead, and why. */
export interface ModelFallbackView {
  /** The configured model folder. */
  readonly requested: string;
  readonly reason: string;
}

/** A model id without its weights digest: `codegraph-rp-v0@1a2b…/d128` → `codegraph-rp-v0/d128`. */
export function displayModel(modelId: string | null): string {
  if (!modelId) return 'no model (lexical-only)';
  return modelId.replace(/@[0-9a-f]+/, '');
}

/** Folds every folder into one status; the most urgent state wins. */
export function summarize(snapshots: readonly FolderSnapshot[], trusted: boolean): WorkspaceStatus {
  if (!trusted) return { kind: 'untrusted' };
  const live = snapshots.filter((snapshot) => snapshot.activity.kind !== 'disposed');
  if (live.length === 0) return { kind: 'noFolder' };
  const chunks = live.reduce((sum, snapshot) => sum + snapshot.chunks, 0);
  const files = live.reduce((sum, snapshot) => sum + snapshot.files, 0);

  for (const snapshot of live) {
    if (snapshot.activity.kind === 'failed') return { kind: 'error', folder: snapshot.folder.name, message: snapshot.activity.message };
  }
  const indexing = live.flatMap((snapshot) => (snapshot.activity.kind === 'indexing' ? [snapshot.activity] : []));
  if (indexing.length > 0) {
    const filesDone = indexing.reduce((sum, activity) => sum + activity.filesDone, 0);
    const filesTotal = indexing.reduce((sum, activity) => sum + activity.filesTotal, 0);
    const phase = indexing.every((activity) => activity.phase === 'discovering') ? 'discovering' : 'indexing';
    return { kind: 'indexing', phase, filesDone, filesTotal, chunks };
  }
  const paused = live.flatMap((snapshot) => (snapshot.activity.kind === 'paused' ? [snapshot.activity] : []));
  if (paused.length > 0) return { kind: 'paused', pendingChanges: paused.reduce((sum, activity) => sum + activity.pendingChanges, 0), chunks };
  if (live.some((snapshot) => snapshot.activity.kind === 'opening')) return { kind: 'starting' };
  const broken = live.find((snapshot) => snapshot.modelError !== null);
  if (broken) return { kind: 'lexicalOnly', reason: broken.modelError!, chunks };
  const models = [...new Set(live.map((snapshot) => displayModel(snapshot.modelId)))];
  const fallback = live.find((snapshot) => snapshot.modelFallback?.active)?.modelFallback;
  return {
    kind: 'idle',
    chunks,
    files,
    model: models.length === 1 ? models[0]! : `${models.length} models`,
    ...(fallback ? { fallback: { requested: fallback.requested, reason: fallback.reason } } : {}),
  };
}

export interface StatusPresentation {
  readonly visible: boolean;
  readonly text: string;
  /** Markdown; command links need the item's tooltip to be trusted for these commands. */
  readonly tooltip: string;
  readonly background: 'error' | 'warning' | null;
  readonly command: string;
  /** Screen-reader label: the text without codicons. */
  readonly accessibilityLabel: string;
}

const SHOW_STATUS = 'codegraph.showStatus';

export function presentStatus(status: WorkspaceStatus): StatusPresentation {
  const make = (text: string, tooltip: string[], background: StatusPresentation['background'] = null, visible = true): StatusPresentation => ({
    visible,
    text,
    tooltip: [...tooltip, '', '[Status and metrics](command:codegraph.showStatus) · [Search](command:codegraph.search) · [Log](command:codegraph.showLog)'].join('\n\n'),
    background,
    command: SHOW_STATUS,
    accessibilityLabel: text.replace(/\$\([^)]*\)\s*/g, ''),
  });
  const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
  switch (status.kind) {
    case 'noFolder':
      return make('$(search) CodeGraph', ['Open a folder to index it.'], null, false);
    case 'untrusted':
      return make('$(shield) CodeGraph: restricted', ['**Restricted mode.** CodeGraph indexes only trusted workspaces, and ignores a workspace-supplied model path until then.', '[Manage Workspace Trust](command:workbench.trust.manage)']);
    case 'starting':
      return make('$(sync~spin) CodeGraph: starting', ['Opening the index…']);
    case 'indexing':
      return status.phase === 'discovering'
        ? make('$(sync~spin) CodeGraph: scanning files', ['Looking for changed files…', `${count(status.chunks, 'chunk')} indexed so far.`, '[Pause indexing](command:codegraph.pause)'])
        : make(`$(sync~spin) CodeGraph: ${status.filesDone}/${status.filesTotal} files`, [`Indexing: ${status.filesDone} of ${status.filesTotal} changed files done.`, '[Pause indexing](command:codegraph.pause)']);
    case 'paused':
      return make(`$(debug-pause) CodeGraph: paused${status.pendingChanges > 0 ? ` (${count(status.pendingChanges, 'change')} held)` : ''}`, [
        'Indexing is paused; changes are recorded and indexed on resume. Search still works on the current index.',
        '[Resume indexing](command:codegraph.resume)',
      ], 'warning');
    case 'error':
      return make('$(error) CodeGraph: error', [`**Indexing failed** in ${status.folder}: ${status.message}`, '[Reindex](command:codegraph.reindex) · [Show log](command:codegraph.showLog)'], 'error');
    case 'lexicalOnly':
      return make('$(warning) CodeGraph: lexical-only', [`**lexical-only: model failed to load.** ${status.reason}`, `${count(status.chunks, 'chunk')} indexed for keyword search.`, '[Select embedding model](command:codegraph.selectModel)'], 'warning');
    case 'idle':
      if (status.fallback) {
        return make(`$(warning) CodeGraph: ${count(status.chunks, 'chunk')} · ${status.model ?? 'no model'} (default)`, [
          `**Using the default model ${status.model ?? ''}:** the configured model \`${status.fallback.requested}\` is not working. ${status.fallback.reason}`,
          `${count(status.chunks, 'chunk')} in ${count(status.files, 'file')}.`,
          '[Select embedding model](command:codegraph.selectModel) · [Reindex](command:codegraph.reindex)',
        ], 'warning');
      }
      return make(`$(search) CodeGraph: ${count(status.chunks, 'chunk')} · ${status.model ?? 'no model'}`, [`${count(status.chunks, 'chunk')} in ${count(status.files, 'file')}, model **${status.model ?? 'none'}**.`]);
  }
}
