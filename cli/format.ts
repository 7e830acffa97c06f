import type { IndexSummary, SearchHit } from '../engine/index.js';
import { visible, visibleLine } from './sanitize.js';

/** The stable JSON shape of `search` and `similar` results (documented in the README). */
export interface JsonHit {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  /** Raw ranking score (fusion units; a cosine for `similar`). */
  readonly score: number;
  /** The score normalised to 0–1. */
  readonly relevance: number;
  /** The definition's name; null for `block` chunks (top-level statements) and for line windows. */
  readonly symbol: string | null;
  readonly kind: string;
  readonly language: string;
  /** The chunk's text as indexed (a long body may be elided with a `…` line), exact: not made visible. */
  readonly text: string;
  readonly doc: string | null;
}

export function toJsonHit(hit: SearchHit): JsonHit {
  return {
    path: hit.path,
    startLine: hit.startLine,
    endLine: hit.endLine,
    score: Math.round(hit.score * 1e6) / 1e6,
    relevance: Math.round(hit.relevance * 1000) / 1000,
    symbol: hit.symbol,
    kind: hit.kind,
    language: hit.language,
    text: hit.text,
    doc: hit.doc,
  };
}

/** The indentation a chunk's first line has in its file (its text starts at the definition, after it), or null if unknown. */
export type FirstLineIndent = (path: string, line: number, firstLine: string) => string | null;

/**
 * A chunk's lines with their indentation relative to each other: the first
 * line gets back the indentation it has in the file, then the common
 * indentation of all lines is removed, so a method shows as it reads in its class.
 */
export function relativeLines(text: string, firstIndent: string | null): string[] {
  const lines = text.split('\n');
  if (firstIndent && lines.length > 0 && !/^\s/.test(lines[0]!)) lines[0] = firstIndent + lines[0]!;
  const indents = lines.filter((line) => line.trim().length > 0).map((line) => /^[ \t]*/.exec(line)![0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => (line.trim().length > 0 ? line.slice(common) : line));
}

export function formatHits(hits: readonly SearchHit[], color: boolean, firstLineIndent: FirstLineIndent = () => null, snippetLines = 3): string {
  if (hits.length === 0) return 'No results.';
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[0m` : text);
  const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
  return hits
    .map((hit, index) => {
      // Repository text is made visible before our own colouring is added around it.
      const title = `${index + 1}. ${bold(`${visible(hit.path)}:${hit.startLine}-${hit.endLine}`)}  ${visible(hit.kind)}${hit.symbol ? ` ${visible(hit.symbol)}` : ''}  ${dim(`relevance ${hit.relevance.toFixed(2)}`)}`;
      const newline = hit.text.indexOf('\n');
      const firstLine = newline < 0 ? hit.text : hit.text.slice(0, newline);
      const snippet = relativeLines(hit.text, firstLineIndent(hit.path, hit.startLine, firstLine))
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
