import type { IndexSummary, SearchHit } from '../engine/index.js';
import { visible, visibleLine } from './sanitize.js';

/** The stable JSON shape of `search` and `similar` results. */
export interface JsonHit {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly score: number;
  readonly symbol: string | null;
  readonly kind: string;
  readonly language: string;
}

export function toJsonHit(hit: SearchHit): JsonHit {
  return {
    path: hit.path,
    startLine: hit.startLine,
    endLine: hit.endLine,
    score: Math.round(hit.score * 1e6) / 1e6,
    symbol: hit.symbol,
    kind: hit.kind,
    language: hit.language,
  };
}

export function formatHits(hits: readonly SearchHit[], color: boolean, snippetLines = 3): string {
  if (hits.length === 0) return 'No results.';
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[0m` : text);
  const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
  return hits
    .map((hit, index) => {
      // Repository text is made visible before our own colouring is added around it.
      const title = `${index + 1}. ${bold(`${visible(hit.path)}:${hit.startLine}-${hit.endLine}`)}  ${visible(hit.kind)}${hit.symbol ? ` ${visible(hit.symbol)}` : ''}  ${dim(hit.score.toFixed(4))}`;
      const snippet = hit.text
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .slice(0, snippetLines)
        .map((line) => dim(`     ${visibleLine(line.length > 120 ? `${line.slice(0, 117)}...` : line)}`));
      return [title, ...snippet].join('\n');
    })
    .join('\n');
}

export function formatSummary(summary: IndexSummary): string {
  const seconds = summary.durationMs / 1000;
  const rate = summary.filesChanged > 0 ? ` (${Math.round(summary.filesChanged / Math.max(seconds, 1e-3))} files/s)` : '';
  const skipped = Object.entries(summary.skippedByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return [
    // Files discovered but skipped when read (binary or undecodable content, quarantined) are not stored: count what is.
    `Indexed ${summary.filesChanged + summary.filesUnchanged} files in ${seconds.toFixed(2)}s${rate}: ${summary.filesChanged} changed, ${summary.filesUnchanged} unchanged, ${summary.filesDeleted} removed.`,
    `Chunks: ${summary.chunksTotal} in index, ${summary.chunksEmbedded} embedded, cache hit ratio ${(summary.cacheHitRatio * 100).toFixed(1)}%.`,
    summary.dependentFiles > 0 ? `Dependency refresh: ${summary.dependentFiles} dependent files, ${summary.refreshedReferences} references re-resolved.` : '',
    summary.filesSkipped > 0 ? `Skipped ${summary.filesSkipped}: ${skipped} (--list-skipped to list).` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
