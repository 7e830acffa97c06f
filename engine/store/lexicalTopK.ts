/**
 * Exact top-k BM25 over FTS5 that scores fewer rows (MaxScore pruning).
 *
 * FTS5 evaluates `bm25()` for every row an OR query matches, about 1–2 µs a
 * row, so a question of common words ("read a file line by line": 31,000 rows
 * at 183k chunks) spends 50–65 ms scoring rows that can never reach the top
 * 200. Each term adds at most `idf × (k1 + 1)` to a row's score (FTS5's BM25,
 * fts5Bm25Function). Once `limit` rows are known to score at least θ, rows
 * that match only terms whose bounds sum below θ cannot enter the top `limit`,
 * so only rows holding an "essential" term are scored. The full OR stays the
 * MATCH of every scored row, so every score is FTS5's own, bit for bit; the
 * pruning only filters rows out before `bm25()` runs.
 *
 * Pure: plans from counts; the store runs the statements.
 */

/** FTS5's BM25 constant k1 (fts5Bm25Function). */
const K1 = 1.2;
/**
 * A term's contribution is strictly below `idf × (k1 + 1)`; the margin covers
 * rounding between this product and FTS5's own arithmetic.
 */
const BOUND_MARGIN = 1 + 1e-9;
/**
 * The first scoring pass reads the rows of the rarest terms until they hold
 * this many times `limit` rows, so that θ comes from full scores of enough
 * rows to be high. 1×, 2×, 4× and 8× measured within noise of each other
 * (bench/speed/NOTES.md, "BM25 that scores fewer rows"); 2× is the middle.
 */
const FIRST_PASS_ROWS = 2;

export interface TermHits {
  readonly term: string;
  /** Rows holding the term (FTS5's nHit). */
  readonly rows: number;
}

/** The most one term can add to a row's BM25 score (higher is better), given the table's row count. */
export function termScoreBound(tableRows: number, termRows: number): number {
  let idf = Math.log((tableRows - termRows + 0.5) / (termRows + 0.5));
  if (idf <= 0) idf = 1e-6;
  return idf * (K1 + 1) * BOUND_MARGIN;
}

/** The terms whose rows the first pass scores: the rarest (highest bound) until they hold enough rows. */
export function firstPassTerms(hits: readonly TermHits[], limit: number): string[] {
  const rarestFirst = hits.filter((hit) => hit.rows > 0).sort((a, b) => a.rows - b.rows);
  const picked: string[] = [];
  let rows = 0;
  for (const hit of rarestFirst) {
    picked.push(hit.term);
    rows += hit.rows;
    if (rows >= FIRST_PASS_ROWS * limit) break;
  }
  return picked;
}

/**
 * The terms a row must hold to reach a score of `threshold`: all but the
 * longest run of lowest-bound terms whose bounds sum below it. Terms no row
 * holds are never essential.
 */
export function essentialTerms(hits: readonly TermHits[], tableRows: number, threshold: number): string[] {
  const lowestFirst = hits
    .filter((hit) => hit.rows > 0)
    .map((hit) => ({ term: hit.term, bound: termScoreBound(tableRows, hit.rows) }))
    .sort((a, b) => a.bound - b.bound);
  let sum = 0;
  let skipped = 0;
  while (skipped < lowestFirst.length && sum + lowestFirst[skipped]!.bound < threshold) sum += lowestFirst[skipped++]!.bound;
  return lowestFirst.slice(skipped).map((entry) => entry.term);
}

export interface RankedRow {
  readonly id: number;
  /** FTS5's bm25(): lower is better. */
  readonly rank: number;
}

/** The order of `ORDER BY rank, rowid`: ties go to the lower rowid. */
export function compareRanked(a: RankedRow, b: RankedRow): number {
  return a.rank - b.rank || a.id - b.id;
}

/** One FTS5 phrase per term: quoting makes each a literal string, so FTS operators in user input do nothing. */
export function ftsPhrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

export function ftsAny(terms: readonly string[]): string {
  return terms.map(ftsPhrase).join(' OR ');
}
