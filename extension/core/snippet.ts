/**
 * Result snippets for the search panel: the window of a chunk's lines that
 * best matches the query, split into plain and matched segments. The webview
 * renders segments as text nodes, so nothing here is HTML.
 */

export interface SnippetSegment {
  readonly text: string;
  readonly match: boolean;
}

export interface SnippetLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly segments: readonly SnippetSegment[];
}

export interface Snippet {
  readonly lines: readonly SnippetLine[];
  readonly moreAbove: boolean;
  readonly moreBelow: boolean;
}

const STOP_WORDS = new Set(
  'a an and are as at be by do does for from how in is it of on or that the this to we what where which with code function method find get set'.split(' '),
);

/** Lower-case words of the query worth highlighting: identifiers split, stop words and one-letter words dropped. */
export function queryTerms(query: string): string[] {
  const words = query
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 2 && !STOP_WORDS.has(word));
  // Longest first, so "limiter" is matched before "limit" claims its prefix.
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

/** Splits one line into segments, marking case-insensitive occurrences of any term. */
export function highlight(text: string, terms: readonly string[]): SnippetSegment[] {
  if (terms.length === 0 || text === '') return text === '' ? [] : [{ text, match: false }];
  const lower = text.toLowerCase();
  const marks = new Uint8Array(text.length);
  for (const term of terms) {
    for (let at = lower.indexOf(term); at !== -1; at = lower.indexOf(term, at + term.length)) marks.fill(1, at, at + term.length);
  }
  const segments: SnippetSegment[] = [];
  let start = 0;
  for (let index = 1; index <= text.length; index++) {
    if (index === text.length || marks[index] !== marks[start]) {
      segments.push({ text: text.slice(start, index), match: marks[start] === 1 });
      start = index;
    }
  }
  return segments;
}

export interface SnippetOptions {
  readonly maxLines: number;
  readonly maxLineLength: number;
  /**
   * The leading whitespace of the chunk's first line in its file. A chunk's
   * text starts where its definition starts, so a method's first line comes
   * without the indentation its body lines keep; restoring it keeps the
   * indentation relative before the common part is removed.
   */
  readonly firstLineIndent: string;
}

const DEFAULT_OPTIONS: SnippetOptions = { maxLines: 8, maxLineLength: 200, firstLineIndent: '' };

/**
 * The `maxLines` consecutive lines of `text` (which starts at `startLine`)
 * with the most matched terms, opening one line above the first match for
 * context. Without any match the window starts at the top: the signature.
 */
export function buildSnippet(text: string, startLine: number, query: string, options: Partial<SnippetOptions> = {}): Snippet {
  const { maxLines, maxLineLength, firstLineIndent } = { ...DEFAULT_OPTIONS, ...options };
  const terms = queryTerms(query);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (/^[ \t]*$/.test(firstLineIndent) && !/^\s/.test(lines[0]!)) lines[0] = firstLineIndent + lines[0]!;
  while (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const hits = lines.map((line) => {
    const lower = line.toLowerCase();
    return terms.reduce((sum, term) => sum + (lower.includes(term) ? 1 : 0), 0);
  });
  let bestStart = 0;
  let bestScore = -1;
  for (let start = 0; start < Math.max(1, lines.length - maxLines + 1); start++) {
    let score = 0;
    for (let index = start; index < Math.min(lines.length, start + maxLines); index++) score += hits[index]!;
    if (score > bestScore) {
      bestScore = score;
      bestStart = start;
    }
  }
  if (bestScore > 0) {
    const firstHit = hits.findIndex((count, index) => index >= bestStart && count > 0);
    bestStart = Math.max(0, Math.min(firstHit - 1, lines.length - maxLines));
  }
  const end = Math.min(lines.length, bestStart + maxLines);
  const indent = commonIndent(lines.slice(bestStart, end));
  return {
    lines: lines.slice(bestStart, end).map((line, offset) => ({ line: startLine + bestStart + offset, segments: highlight(clip(line.slice(indent), maxLineLength, terms), terms) })),
    moreAbove: bestStart > 0,
    moreBelow: end < lines.length,
  };
}

function commonIndent(lines: readonly string[]): number {
  let indent = Infinity;
  for (const line of lines) {
    if (line.trim() === '') continue;
    indent = Math.min(indent, line.length - line.trimStart().length);
  }
  return Number.isFinite(indent) ? indent : 0;
}

/** Shortens a long line around its first match so the match stays visible. */
function clip(line: string, maxLength: number, terms: readonly string[]): string {
  if (line.length <= maxLength) return line;
  const lower = line.toLowerCase();
  const first = Math.min(...terms.map((term) => lower.indexOf(term)).filter((at) => at >= 0), Infinity);
  const start = Number.isFinite(first) && first > maxLength - 20 ? Math.max(0, first - 20) : 0;
  return `${start > 0 ? '…' : ''}${line.slice(start, start + maxLength)}…`;
}

/** The whitespace that line `line` (1-based) of `source` starts with; '' past the end. */
export function lineIndent(source: string, line: number): string {
  let start = 0;
  for (let current = 1; current < line; current++) {
    const next = source.indexOf('\n', start);
    if (next === -1) return '';
    start = next + 1;
  }
  return /^[ \t]*/.exec(source.slice(start, start + 4096))![0];
}
