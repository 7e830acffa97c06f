/**
 * Turning workspace search hits into the panel's result views, and the index
 * state into the panel's state line. Pure.
 */
import type { IndexStateView, SearchResultView } from '../shared/protocol.js';
import { buildSnippet } from './snippet.js';
import type { WorkspaceStatus } from './statusModel.js';
import type { FolderHit } from './workspaceIndexes.js';

export function toResultViews(hits: readonly FolderHit[], query: string): SearchResultView[] {
  return hits.map(({ folder, hit }, index) => ({
    id: `${index}:${hit.chunkId}`,
    folder: folder.key,
    folderName: folder.name,
    path: hit.path,
    startLine: hit.startLine,
    endLine: hit.endLine,
    symbol: hit.symbol,
    kind: hit.kind,
    language: hit.language,
    score: Math.round(hit.score * 10000) / 10000,
    snippet: buildSnippet(hit.text, hit.startLine, query),
  }));
}

/** Splits the path filter box ("src/**, !test/**") into globs. */
export function parsePathFilter(value: string): string[] {
  return value
    .split(',')
    .map((glob) => glob.trim())
    .filter((glob) => glob !== '');
}

export function indexStateView(status: WorkspaceStatus, generation: number): IndexStateView {
  return { ...stateText(status), generation };
}

function stateText(status: WorkspaceStatus): Omit<IndexStateView, 'generation'> {
  switch (status.kind) {
    case 'noFolder':
      return { text: 'Open a folder to search it.', busy: false, ready: false };
    case 'untrusted':
      return { text: 'Restricted mode: trust this workspace to index and search it.', busy: false, ready: false };
    case 'starting':
      return { text: 'Opening the index…', busy: true, ready: false };
    case 'indexing':
      return { text: status.phase === 'discovering' ? 'Scanning for changes…' : `Indexing ${status.filesDone}/${status.filesTotal} files…`, busy: true, ready: status.chunks > 0 };
    case 'paused':
      return { text: 'Indexing is paused; results may be out of date.', busy: false, ready: status.chunks > 0 };
    case 'error':
      return { text: `Indexing failed in ${status.folder}: ${status.message}`, busy: false, ready: true };
    case 'lexicalOnly':
      return { text: 'lexical-only: model failed to load; results come from keyword search.', busy: false, ready: status.chunks > 0 };
    case 'idle':
      return { text: '', busy: false, ready: true };
  }
}
