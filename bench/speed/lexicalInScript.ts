/**
 * Could BM25 in our own code answer a query faster than FTS5, with the same results? A measurement
 * for issue 12's warm-query goal, not part of the engine: on an existing cache it reads the postings
 * FTS5 holds (its own stemmed terms, through `fts5vocab`), keeps them in typed arrays, and scores the
 * speed benchmark's questions three ways: FTS5's exhaustive top 200, the engine's pruned
 * `lexicalSearch` (what searches use), and an exhaustive BM25 in this process with FTS5's formula and
 * weights. It checks that the script's top 200 are FTS5's, in the same order, and prints the timings.
 *
 *   node out/bench/speed/lexicalInScript.js --cache <dir holding index.sqlite> [--rounds 4]
 *
 * Reading the postings through the vocabulary table takes about 100 s at 183k chunks: a product
 * would write its own postings at index time.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sqlite3 from 'sqlite3';
import { topRows } from '../../engine/lexical/index.js';
import { parseQuery } from '../../engine/search/query.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { percentileOf } from '../quality/metrics.js';
import { QUERIES } from './queries.js';

/** `chunks_fts` column weights and FTS5's BM25 constants, as engine/store/store.ts and fts5Bm25Function use them. */
const COLUMN_WEIGHTS: Record<string, number> = { symbol: 4.0, path: 1.5, doc: 2.0, body: 1.0 };
const K1 = 1.2;
const B = 0.75;
const LIMIT = 200;
/** Terms whose instances are read in one statement (keeps one result set small). */
const TERMS_PER_READ = 2000;

interface Postings {
  readonly rows: Int32Array;
  /** Column-weighted term frequency of the term in each row. */
  readonly weightedFrequency: Float32Array;
}

interface LexicalTable {
  readonly postings: Map<string, Postings>;
  /** Tokens in each row, all columns (FTS5's xColumnSize(-1)), by rowid. */
  readonly rowTokens: Float64Array;
  readonly rowCount: number;
  readonly averageRowTokens: number;
  readonly instances: number;
}

function all<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows))));
}

function exec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
}

async function readPostings(db: sqlite3.Database): Promise<LexicalTable> {
  await exec(db, 'CREATE VIRTUAL TABLE temp.lexical_terms USING fts5vocab(main, chunks_fts, row); CREATE VIRTUAL TABLE temp.lexical_instances USING fts5vocab(main, chunks_fts, instance);');
  const terms = (await all<{ term: string }>(db, 'SELECT term FROM temp.lexical_terms ORDER BY term')).map((row) => row.term);
  const maxRow = (await all<{ id: number | null }>(db, 'SELECT max(rowid) AS id FROM chunks_fts'))[0]?.id ?? 0;
  const rowTokens = new Float64Array(maxRow + 1);
  const postings = new Map<string, Postings>();
  let instances = 0;
  for (let start = 0; start < terms.length; start += TERMS_PER_READ) {
    const first = terms[start]!;
    const last = terms[Math.min(terms.length, start + TERMS_PER_READ) - 1]!;
    const rows = await all<{ term: string; doc: number; col: string }>(db, 'SELECT term, doc, col FROM temp.lexical_instances WHERE term >= ? AND term <= ?', [first, last]);
    let term = '';
    let ids: number[] = [];
    let frequencies: number[] = [];
    const flush = () => {
      if (ids.length > 0) postings.set(term, { rows: Int32Array.from(ids), weightedFrequency: Float32Array.from(frequencies) });
    };
    for (const row of rows) {
      if (row.term !== term) {
        flush();
        term = row.term;
        ids = [];
        frequencies = [];
      }
      if (ids[ids.length - 1] !== row.doc) {
        ids.push(row.doc);
        frequencies.push(0);
      }
      frequencies[frequencies.length - 1]! += COLUMN_WEIGHTS[row.col] ?? 1;
      rowTokens[row.doc]!++;
    }
    flush();
    instances += rows.length;
  }
  const rowCount = (await all<{ n: number }>(db, 'SELECT count(*) AS n FROM chunks_fts_docsize'))[0]!.n;
  return { postings, rowTokens, rowCount, averageRowTokens: instances / rowCount, instances };
}

/** FTS5's idf: never below a tiny positive value (fts5Bm25Function). */
function inverseDocumentFrequency(rowCount: number, termRows: number): number {
  const idf = Math.log((rowCount - termRows + 0.5) / (termRows + 0.5));
  return idf <= 0 ? 1e-6 : idf;
}

/** Exhaustive BM25 over the rows holding any of `terms`, best first, ties by rowid (FTS5's `ORDER BY rank, rowid`). */
function scriptBm25(table: LexicalTable, terms: readonly string[], limit: number, scores: Float64Array, seen: Uint8Array): { id: number; score: number }[] {
  const touched: number[] = [];
  for (const term of new Set(terms)) {
    const postings = table.postings.get(term);
    if (!postings) continue;
    const idf = inverseDocumentFrequency(table.rowCount, postings.rows.length);
    const { rows, weightedFrequency } = postings;
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index]!;
      const frequency = weightedFrequency[index]!;
      if (!seen[row]) {
        seen[row] = 1;
        scores[row] = 0;
        touched.push(row);
      }
      scores[row]! += (idf * frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * table.rowTokens[row]!) / table.averageRowTokens));
    }
  }
  const best = topRows(touched, scores, limit);
  for (const row of touched) seen[row] = 0;
  return best.map((row) => ({ id: row, score: scores[row]! }));
}

/** The terms FTS5 looks up for `terms`: each through the same tokenizer, in a temporary table. */
async function stemmedTerms(db: sqlite3.Database, terms: readonly string[]): Promise<string[]> {
  const stems: string[] = [];
  for (const term of terms) {
    await exec(db, 'DELETE FROM temp.query_text');
    await all(db, 'INSERT INTO temp.query_text (text) VALUES (?)', [term]);
    stems.push(...(await all<{ term: string }>(db, 'SELECT term FROM temp.query_tokens ORDER BY offset')).map((row) => row.term));
  }
  return stems;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cache: { type: 'string' }, rounds: { type: 'string', default: '4' } } });
  if (!values.cache) throw new Error('usage: lexicalInScript --cache <dir holding index.sqlite> [--rounds 4]');
  const path = join(values.cache, 'index.sqlite');
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (error) => (error ? reject(error) : resolve(opened)));
  });
  await exec(db, "CREATE VIRTUAL TABLE temp.query_text USING fts5(text, tokenize='porter unicode61'); CREATE VIRTUAL TABLE temp.query_tokens USING fts5vocab(temp, query_text, instance);");
  const readStarted = performance.now();
  const table = await readPostings(db);
  const readMs = performance.now() - readStarted;
  let postingCount = 0;
  for (const postings of table.postings.values()) postingCount += postings.rows.length;
  const store = await WorkspaceStore.open(path);
  const scores = new Float64Array(table.rowTokens.length);
  const seen = new Uint8Array(table.rowTokens.length);
  const timings = { fts5: [] as number[], engine: [] as number[], script: [] as number[] };
  let identical = 0;
  let compared = 0;
  let largestScoreDifference = 0;
  const bm25 = 'bm25(chunks_fts, 4.0, 1.5, 2.0, 1.0)';
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const question of QUERIES) {
      const terms = parseQuery(question).terms;
      const stems = await stemmedTerms(db, terms);
      let started = performance.now();
      const fts5 = await all<{ id: number; rank: number }>(db, `SELECT rowid AS id, ${bm25} AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank, rowid LIMIT ?`, [terms.map((term) => `"${term.replace(/"/g, '""')}"`).join(' OR '), LIMIT]);
      timings.fts5.push(performance.now() - started);
      started = performance.now();
      await store.lexicalSearch(terms, LIMIT);
      timings.engine.push(performance.now() - started);
      started = performance.now();
      const script = scriptBm25(table, stems, LIMIT, scores, seen);
      timings.script.push(performance.now() - started);
      compared++;
      if (fts5.map((row) => row.id).join() === script.map((row) => row.id).join()) identical++;
      for (let index = 0; index < Math.min(fts5.length, script.length); index++) largestScoreDifference = Math.max(largestScoreDifference, Math.abs(-fts5[index]!.rank - script[index]!.score));
    }
  }
  await store.close();
  db.close();
  const line = (name: string, samples: number[]) => `| ${name} | ${percentileOf(samples, 0.5).toFixed(2)} | ${percentileOf(samples, 0.95).toFixed(2)} |`;
  console.log(
    [
      `Cache ${path}: ${table.rowCount} rows, ${table.postings.size} terms, ${postingCount} postings, ${table.instances} token instances; postings read through fts5vocab in ${(readMs / 1000).toFixed(1)} s.`,
      `Postings in typed arrays: ${((postingCount * 8) / 1e6).toFixed(1)} MB (a 4-byte row id and a 4-byte weighted frequency each).`,
      `Top ${LIMIT} of the script's BM25 equal FTS5's, in order: ${identical} of ${compared} searches; largest score difference ${largestScoreDifference.toExponential(2)}.`,
      '',
      `| BM25, top ${LIMIT}, ${QUERIES.length} questions × ${values.rounds} | p50 ms | p95 ms |`,
      '|---|---|---|',
      line('FTS5, every matching row scored', timings.fts5),
      line('engine `lexicalSearch` (FTS5, pruned)', timings.engine),
      line('this script, every matching row scored', timings.script),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
