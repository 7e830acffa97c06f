/**
 * From folder snapshots to one workspace status, and from that status to what
 * the status bar shows. Pure, so every state's text is unit-tested.
 */
import type { FolderSnapshot } from './folderIndex.js';
import * as l10n from '@vscode/l10n';

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
  if (!modelId) return l10n.t('no model (lexical-only)');
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

/** "1 chunk" / "1,334 chunks", with the number grouped as in English (the status bar's tests pin it). */
function countOf(n: number, noun: 'chunk' | 'file' | 'change'): string {
  const shown = n.toLocaleString('en-US');
  switch (noun) {
    case 'chunk':
      return n === 1 ? l10n.t('1 chunk') : l10n.t('{0} chunks', shown);
    case 'file':
      return n === 1 ? l10n.t('1 file') : l10n.t('{0} files', shown);
    case 'change':
      return n === 1 ? l10n.t('1 change') : l10n.t('{0} changes', shown);
  }
}

export function presentStatus(status: WorkspaceStatus): StatusPresentation {
  const make = (text: string, tooltip: string[], background: StatusPresentation['background'] = null, visible = true): StatusPresentation => ({
    visible,
    text,
    tooltip: [...tooltip, '', `[${l10n.t('Status and metrics')}](command:codegraph.showStatus) · [${l10n.t('Search')}](command:codegraph.search) · [${l10n.t('Log')}](command:codegraph.showLog)`].join('\n\n'),
    background,
    command: SHOW_STATUS,
    accessibilityLabel: text.replace(/\$\([^)]*\)\s*/g, ''),
  });
  const count = countOf;
  switch (status.kind) {
    case 'noFolder':
      return make('$(search) CodeGraph', [l10n.t('Open a folder to index it.')], null, false);
    case 'untrusted':
      return make(`$(shield) CodeGraph: ${l10n.t('restricted')}`, [l10n.t('**Restricted mode.** CodeGraph indexes only trusted workspaces, and ignores a workspace-supplied model path until then.'), `[${l10n.t('Manage Workspace Trust')}](command:workbench.trust.manage)`]);
    case 'starting':
      return make(`$(sync~spin) CodeGraph: ${l10n.t('starting')}`, [l10n.t('Opening the index…')]);
    case 'indexing':
      return status.phase === 'discovering'
        ? make(`$(sync~spin) CodeGraph: ${l10n.t('scanning files')}`, [l10n.t('Looking for changed files…'), l10n.t('{0} indexed so far.', count(status.chunks, 'chunk')), `[${l10n.t('Pause indexing')}](command:codegraph.pause)`])
        : make(`$(sync~spin) CodeGraph: ${l10n.t('{0}/{1} files', status.filesDone, status.filesTotal)}`, [l10n.t('Indexing: {0} of {1} changed files done.', status.filesDone, status.filesTotal), `[${l10n.t('Pause indexing')}](command:codegraph.pause)`]);
    case 'paused':
      return make(`$(debug-pause) CodeGraph: ${status.pendingChanges > 0 ? l10n.t('paused ({0} held)', count(status.pendingChanges, 'change')) : l10n.t('paused')}`, [
        l10n.t('Indexing is paused; changes are recorded and indexed on resume. Search still works on the current index.'),
        `[${l10n.t('Resume indexing')}](command:codegraph.resume)`,
      ], 'warning');
    case 'error':
      return make(`$(error) CodeGraph: ${l10n.t('error')}`, [l10n.t('**Indexing failed** in {0}: {1}', status.folder, status.message), `[${l10n.t('Reindex')}](command:codegraph.reindex) · [${l10n.t('Show log')}](command:codegraph.showLog)`], 'error');
    case 'lexicalOnly':
      return make(`$(warning) CodeGraph: ${l10n.t('lexical-only')}`, [l10n.t('**lexical-only: model failed to load.** {0}', status.reason), l10n.t('{0} indexed for keyword search.', count(status.chunks, 'chunk')), `[${l10n.t('Select embedding model')}](command:codegraph.selectModel)`], 'warning');
    case 'idle':
      if (status.fallback) {
        return make(`$(warning) CodeGraph: ${count(status.chunks, 'chunk')} · ${l10n.t('{0} (default)', status.model ?? l10n.t('no model'))}`, [
          l10n.t('**Using the default model {0}:** the configured model `{1}` is not working. {2}', status.model ?? '', status.fallback.requested, status.fallback.reason),
          l10n.t('{0} in {1}.', count(status.chunks, 'chunk'), count(status.files, 'file')),
          `[${l10n.t('Select embedding model')}](command:codegraph.selectModel) · [${l10n.t('Reindex')}](command:codegraph.reindex)`,
        ], 'warning');
      }
      return make(`$(search) CodeGraph: ${count(status.chunks, 'chunk')} · ${status.model ?? l10n.t('no model')}`, [l10n.t('{0} in {1}, model **{2}**.', count(status.chunks, 'chunk'), count(status.files, 'file'), status.model ?? l10n.t('none'))]);
  }
}
