/**
 * Turning workspace search hits into the panel's result views, and the index
 * state into the panel's state line. Pure.
 */
import { join } from 'node:path';
import type { SearchHit } from '../../engine/index.js';
import type { IndexStateView, SearchResultView } from '../shared/protocol.js';
import * as l10n from '@vscode/l10n';
import { buildSnippet, lineIndent } from './snippet.js';
import type { WorkspaceStatus } from './statusModel.js';
import type { FolderHit } from './workspaceIndexes.js';

/**
 * The relevance adapter: the engine's normalised `relevance` (0–1) where a hit
 * carries one; otherwise the hit's score relative to the best score in its
 * result list (the best hit is 1), which says how the hits compare, not how
 * good the best one is.
 */
export function hitRelevance(hit: SearchHit, bestScore: number): { readonly relevance: number; readonly basis: 'engine' | 'relative' } {
  const normalised = (hit as SearchHit & { readonly relevance?: unknown }).relevance;
  if (typeof normalised === 'number' && Number.isFinite(normalised)) return { relevance: Math.min(1, Math.max(0, normalised)), basis: 'engine' };
  return { relevance: bestScore > 0 ? Math.min(1, Math.max(0, hit.score / bestScore)) : 0, basis: 'relative' };
}

/** Key of one hit's first line, for `firstLineIndents`. */
export const indentKey = (folderHit: FolderHit) => `${folderHit.folder.key}\0${folderHit.hit.path}\0${folderHit.hit.startLine}`;

/**
 * The leading whitespace of each hit's first line in its file, for hits whose
 * text starts without any (a chunk starts where its definition does, so a
 * method's text lacks the indentation of its first line). Each file is read
 * once; a file that cannot be read only loses the indentation.
 */
export async function firstLineIndents(hits: readonly FolderHit[], readText: (absolutePath: string) => Promise<string>): Promise<Map<string, string>> {
  const needed = hits.filter(({ hit }) => hit.text !== '' && !/^\s/.test(hit.text));
  const files = new Map<string, Promise<string | null>>();
  const indents = new Map<string, string>();
  await Promise.all(
    needed.map(async (folderHit) => {
      const absolute = join(folderHit.folder.root, ...folderHit.hit.path.split('/'));
      if (!files.has(absolute)) files.set(absolute, readText(absolute).catch(() => null));
      const source = await files.get(absolute)!;
      if (source !== null) indents.set(indentKey(folderHit), lineIndent(source, folderHit.hit.startLine));
    }),
  );
  return indents;
}

export function toResultViews(hits: readonly FolderHit[], query: string, indents: ReadonlyMap<string, string> = new Map()): SearchResultView[] {
  const bestScore = Math.max(0, ...hits.map(({ hit }) => hit.score));
  return hits.map((folderHit, index) => {
    const { folder, hit } = folderHit;
    const { relevance, basis } = hitRelevance(hit, bestScore);
    return {
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
    relevance: Math.round(relevance * 1000) / 1000,
    relevanceBasis: basis,
    snippet: buildSnippet(hit.text, hit.startLine, query, { firstLineIndent: indents.get(indentKey(folderHit)) ?? '' }),
    };
  });
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
      return { text: l10n.t('Open a folder to search it.'), busy: false, ready: false };
    case 'untrusted':
      return { text: l10n.t('Restricted mode: trust this workspace to index and search it.'), busy: false, ready: false };
    case 'starting':
      return { text: l10n.t('Opening the index…'), busy: true, ready: false };
    case 'indexing':
      return { text: status.phase === 'discovering' ? l10n.t('Scanning for changes…') : l10n.t('Indexing {0}/{1} files…', status.filesDone, status.filesTotal), busy: true, ready: status.chunks > 0 };
    case 'paused':
      return { text: l10n.t('Indexing is paused; results may be out of date.'), busy: false, ready: status.chunks > 0 };
    case 'error':
      return { text: l10n.t('Indexing failed in {0}: {1}', status.folder, status.message), busy: false, ready: true };
    case 'lexicalOnly':
      return { text: l10n.t('lexical-only: model failed to load; results come from keyword search.'), busy: false, ready: status.chunks > 0 };
    case 'idle':
      return { text: '', busy: false, ready: true };
  }
}
