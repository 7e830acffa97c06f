import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { ChunkSummaryTable, eachFtsTerm, fileRowTerms, LEXICAL_COLUMN_WEIGHTS, lexicalColumns, LexicalIndex, lexicalPathTokens, LiveLexicalIndex, rowTermEntries, searchSegments, type LexicalHit } from '../../engine/lexical/index.js';
import { chunkContentHash } from '../../engine/hashing/hash.js';
import { seededRandom } from '../../engine/random/index.js';
import { lexicalTokenText } from '../../engine/text/identifiers.js';
import type { ChunkSummary, LexicalChange } from '../../engine/store/records.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { CacheCorruptionError } from '../../engine/errors.js';
import { FIXTURES, tempDir } from '../helpers.js';
import { generatedFiles, WORDS } from './lexicalFixtures.js';

const FIXTURE_WORKSPACE = join(FIXTURES, 'workspace');

/** Every source file of the fixture workspace: real code in a dozen languages. */
function fixtureSources(): string[] {
  const texts: string[] = [];
  for (const language of readdirSync(FIXTURE_WORKSPACE)) {
    for (const name of readdirSync(join(FIXTURE_WORKSPACE, language), { recursive: true }) as string[]) {
      if (/\.\w+$/.test(name)) texts.push(readFileSync(join(FIXTURE_WORKSPACE, language, name), 'utf8'));
    }
  }
  return texts;
}

/** The terms FTS5 itself indexes for `text`, in order, with the cache's tokenizer. */
async function fts5Terms(text: string): Promise<string[]> {
  const db = new sqlite3.Database(':memory:');
  const run = (sql: string, params: unknown[] = []) => new Promise<void>((resolve, reject) => db.run(sql, params, (error) => (error ? reject(error) : resolve())));
  const all = (sql: string) => new Promise<{ term: string }[]>((resolve, reject) => db.all(sql, (error, rows: { term: string }[]) => (error ? reject(error) : resolve(rows))));
  try {
    await run("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')");
    await run('CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)');
    await run('INSERT INTO t (body) VALUES (?)', [text]);
    return (await all('SELECT term FROM v ORDER BY offset')).map((row) => row.term);
  } finally {
    await new Promise((resolve) => db.close(resolve));
  }
}

/** Words of real code and of questions, to search by: identifiers split as the index splits them. */
function queryWords(texts: readonly string[]): string[] {
  const words = new Set<string>();
  for (const text of texts) for (const word of lexicalTokenText(text).split(' ')) if (word.length > 2) words.add(word);
  return [...words].sort();
}

/** Some queries of 1 to 5 of `words`, seeded. */
function randomQueries(words: readonly string[], count: number, seed: number): string[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [...new Set(Array.from({ length: 1 + Math.floor(random() * 5) }, () => words[Math.floor(random() * words.length)]!))]);
}

/**
 * FTS5 itself over the store's chunks: a contentless `porter unicode61` table of every chunk's
 * lexical columns, scored by `bm25()` with the column weights. The reference both the in-memory
 * index and the store's segments must rank as.
 */
async function fts5Reference(store: WorkspaceStore): Promise<{ search(terms: readonly string[], limit: number): Promise<LexicalHit[]>; close(): Promise<void> }> {
  const db = new sqlite3.Database(':memory:');
  const run = (sql: string, params: unknown[] = []) => new Promise<void>((resolve, reject) => db.run(sql, params, (error) => (error ? reject(error) : resolve())));
  await run("CREATE VIRTUAL TABLE t USING fts5(symbol, path, doc, body, content='', tokenize='porter unicode61')");
  const chunks = await store.db.all<{ id: number; path: string; symbol: string | null; parent: string | null; doc: string | null; text: string }>(
    'SELECT c.id, f.path, c.symbol, c.parent, c.doc, c.text FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY c.id',
  );
  for (const chunk of chunks) await run('INSERT INTO t (rowid, symbol, path, doc, body) VALUES (?, ?, ?, ?, ?)', [chunk.id, ...lexicalColumns(lexicalPathTokens(chunk.path), chunk)]);
  const bm25 = `bm25(t, ${LEXICAL_COLUMN_WEIGHTS.map((weight) => weight.toFixed(1)).join(', ')})`;
  return {
    search: (terms, limit) =>
      new Promise((resolve, reject) =>
        db.all(`SELECT rowid AS id, ${bm25} AS rank FROM t WHERE t MATCH ? ORDER BY rank, rowid LIMIT ?`, [terms.map((term) => `"${term}"`).join(' OR '), limit], (error, rows: { id: number; rank: number }[]) =>
          error ? reject(error) : resolve(rows.map((row) => ({ id: row.id, score: -row.rank }))),
        ),
      ),
    close: () => new Promise((resolve) => db.close(() => resolve())),
  };
}

/**
 * Asserts the in-memory index ranks as FTS5 does, and so does a search of the store's segments:
 * the same rows in the same order, the same scores up to the last bits of `log`.
 */
async function assertSameAsFts5(index: LexicalIndex, store: WorkspaceStore, queries: readonly string[][], limit: number): Promise<void> {
  const reference = await fts5Reference(store);
  try {
    const segments = await store.lexicalSegments();
    for (const terms of queries) {
      const expected = await reference.search(terms, limit);
      assertSameHits(index.search(terms, limit), expected, terms);
      assertSameHits(searchSegments(segments, terms, limit), expected, terms);
    }
  } finally {
    await reference.close();
  }
}

/** What FTS5 ranks first for `terms` over the store's chunks now. */
async function fts5Search(store: WorkspaceStore, terms: readonly string[], limit: number): Promise<LexicalHit[]> {
  const reference = await fts5Reference(store);
  try {
    return await reference.search(terms, limit);
  } finally {
    await reference.close();
  }
}

function assertSameHits(actual: readonly LexicalHit[] | null, expected: readonly LexicalHit[], terms: readonly string[]): void {
  assert.ok(actual, `answered from memory: ${terms.join(' ')}`);
  assert.deepEqual(actual.map((hit) => hit.id), expected.map((hit) => hit.id), `rows for ${terms.join(' ')}`);
  actual.forEach((hit, at) => assert.ok(Math.abs(hit.score - expected[at]!.score) <= 1e-12 * Math.abs(expected[at]!.score), `score of row ${hit.id} for ${terms.join(' ')}`));
}

async function indexFromStore(store: WorkspaceStore): Promise<LexicalIndex> {
  return LexicalIndex.fromSegments(await store.lexicalSegments());
}

describe('FTS5 terms in our own code (eachFtsTerm)', () => {
  it('makes exactly the terms FTS5 porter unicode61 makes of the index text of real code', async () => {
    for (const text of fixtureSources()) {
      const column = lexicalTokenText(text);
      const ours: string[] = [];
      eachFtsTerm(column, (term) => ours.push(term));
      assert.deepEqual(ours, await fts5Terms(column));
    }
  });

  it('folds ASCII case and splits on punctuation as unicode61 does, and leaves tokens over 64 characters unstemmed', async () => {
    const text = `Parsing HTTPConnections, retries_failed; x86-64 ${'generalizations'.repeat(5)} ${'a'.repeat(63)}ing`;
    const ours: string[] = [];
    eachFtsTerm(text, (term) => ours.push(term));
    assert.deepEqual(ours, await fts5Terms(text));
  });
});

describe('lexical rows (fileRowTerms)', () => {
  /** A row as stemming every token of the columns one by one makes it: terms with weighted frequencies, and the token count. */
  function referenceRow(columns: readonly string[]): { entries: [string, number][]; tokens: number } {
    const frequencies = new Map<string, number>();
    let tokens = 0;
    columns.forEach((column, at) =>
      eachFtsTerm(column, (term) => {
        tokens++;
        frequencies.set(term, (frequencies.get(term) ?? 0) + LEXICAL_COLUMN_WEIGHTS[at]!);
      }),
    );
    return { entries: [...frequencies.entries()].sort(), tokens };
  }

  it('makes the rows stemming every token makes, through files that share tokens and past a clear of the token table', () => {
    const random = seededRandom(21);
    const common = fixtureSources().slice(0, 6);
    // 150,000 distinct made-up identifiers pass the token table's 131,072 entries, so it is cleared mid-file.
    const rare = Array.from({ length: 150_000 }, (_, at) => `zq${at.toString(36)}Ingx${Math.floor(random() * 1e6)}`);
    const files = Array.from({ length: 8 }, (_, file) => {
      const chunks = Array.from({ length: 6 }, (_, chunk) => ({
        symbol: `handler${file}_${chunk}`,
        parent: chunk % 2 === 0 ? 'RequestRouter' : null,
        doc: chunk % 3 === 0 ? 'Parses the registered serializers, retrying failed connections.' : null,
        text: `${common[(file + chunk) % common.length]!.slice(0, 3000)} ${rare.slice((file * 6 + chunk) * 3200, (file * 6 + chunk + 1) * 3200).join(' ')}`,
      }));
      return { path: `src/service_${file}/HttpClient${file}.ts`, chunks };
    });
    for (const file of files) {
      const pathTokens = lexicalPathTokens(file.path);
      const rows = fileRowTerms(pathTokens, file.chunks);
      rows.forEach((row, at) => {
        const expected = referenceRow(lexicalColumns(pathTokens, file.chunks[at]!));
        assert.deepEqual(rowTermEntries(row).sort(), expected.entries, `${file.path} chunk ${at}`);
        assert.equal(row.tokens, expected.tokens);
      });
    }
  });
});

describe('BM25 in memory (LexicalIndex)', () => {
  const dir = tempDir();
  let store: WorkspaceStore;
  const words = [...WORDS, ...queryWords(fixtureSources()).slice(0, 200)];
  before(async () => {
    store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    await store.writeBatch('m1', generatedFiles(120), [], []);
    // Real code beside the generated chunks, so that queries meet stemmed words of several forms.
    const sources = fixtureSources();
    const carriers = generatedFiles(sources.length, 5, 'real');
    await store.writeBatch('m1', carriers.map((file, at) => ({ ...file, chunks: [{ ...file.chunks[0]!, text: sources[at]!, contentHash: chunkContentHash(sources[at]!) }] })), [], []);
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  it('returns the rows, order and scores of FTS5 scoring every matched row', async () => {
    const index = await indexFromStore(store);
    assert.equal(index.rowCount, (await store.counts('m1')).chunks);
    await assertSameAsFts5(index, store, randomQueries(words, 150, 3), 25);
    await assertSameAsFts5(index, store, randomQueries(WORDS, 40, 4), 1000);
  });

  it('counts two query words with one stem as two phrases, as FTS5 does', async () => {
    const index = await indexFromStore(store);
    await assertSameAsFts5(index, store, [['parse', 'parsing', 'parser'], ['retry', 'retries']], 50);
  });

  it('stays equal to FTS5 through edits, deletions, reused chunk ids and compactions', async () => {
    const index = await indexFromStore(store);
    const apply = (change: LexicalChange | undefined) => {
      assert.ok(change, 'a write that changes chunks reports its FTS change');
      for (const id of change.removed) index.remove(id);
      for (const row of change.added) index.add(row.id, row.terms);
    };
    const random = seededRandom(11);
    for (let round = 0; round < 6; round++) {
      const files = [...(await store.files()).values()].sort((a, b) => a.id - b.id).map((file) => file.path);
      // Rewrite some files with new words (half of them new paths), and delete the newest: their chunk ids are the highest, reused by the next write.
      const rewritten = generatedFiles(8, 100 + round, `r${round}_`).map((file, at) => ({ ...file, path: files[Math.floor(random() * files.length)]! + (at % 2 === 0 ? '' : `.${round}`) }));
      const deleted = files.slice(-3);
      apply((await store.writeBatch('m1', rewritten, deleted, [])).lexical);
      await assertSameAsFts5(index, store, randomQueries(words, 30, 20 + round), 40);
      if (round % 2 === 1) {
        index.compact();
        await assertSameAsFts5(index, store, randomQueries(words, 30, 40 + round), 40);
      }
    }
    assert.equal(index.rowCount, (await store.counts('m1')).chunks);
  });
});

describe('the lexical segments of the store', () => {
  const dir = tempDir();
  let store: WorkspaceStore;
  before(async () => {
    store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  const segmentShape = () => store.db.all<{ id: number; rows: number; removed: number }>('SELECT id, rows, removed FROM lexical_segments ORDER BY id');

  it('answers each search from the segments it read before and those written since, as a fresh read would', async () => {
    await store.writeBatch('m1', generatedFiles(30, 61, 'snap'), [], []);
    const queries = randomQueries(WORDS, 12, 62);
    const fresh = async (terms: readonly string[]) => {
      const reader = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
      try {
        return await reader.lexicalSearch(terms, 20);
      } finally {
        await reader.close();
      }
    };
    for (let edit = 0; edit < 20; edit++) {
      const files = [...(await store.files()).keys()];
      await store.writeBatch('m1', generatedFiles(1, 700 + edit, `snap${edit}_`).map((file) => ({ ...file, path: edit % 3 === 0 ? files[edit]! : file.path })), edit % 4 === 1 ? [files[files.length - 1]!] : [], []);
      const terms = queries[edit % queries.length]!;
      assert.deepEqual(await store.lexicalSearch(terms, 20), await fresh(terms), `after write ${edit}: ${terms.join(' ')}`);
    }
  });

  it('merges small segments as writes pile them up, and ranks as FTS5 does across the merges', async () => {
    await store.writeBatch('m1', generatedFiles(200, 5, 'base'), [], []);
    const random = seededRandom(17);
    let mostSegments = 0;
    for (let edit = 0; edit < 60; edit++) {
      // One file a write, as an editor session writes: a new file, or an existing one rewritten or deleted.
      const files = [...(await store.files()).keys()];
      const pick = files[Math.floor(random() * files.length)]!;
      if (edit % 5 === 4) await store.writeBatch('m1', [], [pick], []);
      else await store.writeBatch('m1', generatedFiles(1, 300 + edit, `e${edit}_`).map((file) => ({ ...file, path: edit % 2 === 0 ? pick : file.path })), [], []);
      mostSegments = Math.max(mostSegments, (await segmentShape()).length);
    }
    assert.ok(mostSegments <= 17, `at most the base segment and a run of small ones: ${mostSegments}`);
    assert.ok((await segmentShape()).length < 60, 'small segments were merged');
    const index = LexicalIndex.fromSegments(await store.lexicalSegments());
    assert.equal(index.rowCount, (await store.counts('m1')).chunks);
    await assertSameAsFts5(index, store, randomQueries(WORDS, 60, 8), 30);
    assert.deepEqual(await store.orphanCounts(), {});
  });

  it('drops removed rows by merging every segment once they outweigh a quarter of the live rows', async () => {
    const bulk = generatedFiles(1400, 9, 'bulk');
    await store.writeBatch('m1', bulk, [], []);
    // 5,600 chunks removed at once (a branch switch), against about 900 left.
    await store.writeBatch('m1', [], bulk.map((file) => file.path), []);
    const shape = await segmentShape();
    assert.equal(shape.length, 1, 'one segment after the full merge');
    assert.equal(shape[0]!.removed, 0, 'a merge from the first segment keeps no removed ids');
    const index = LexicalIndex.fromSegments(await store.lexicalSegments());
    assert.equal(index.rowCount, (await store.counts('m1')).chunks);
    await assertSameAsFts5(index, store, randomQueries(WORDS, 40, 9), 30);
  });

  it('reports a segment whose bytes are damaged as a corrupt cache', async () => {
    const [first] = await segmentShape();
    await store.db.run('UPDATE lexical_segments SET data = substr(data, 1, 20) WHERE id = ?', [first!.id]);
    // A process that opens the damaged cache (this one keeps the segments it read before).
    const reader = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    try {
      await assert.rejects(reader.lexicalSearch(['read'], 5), (error: Error) => error instanceof CacheCorruptionError && /lexical segment/.test(error.message));
    } finally {
      await reader.close();
    }
  });
});

describe('chunk summaries in memory (ChunkSummaryTable)', () => {
  it('returns what was set, replaced or removed, by id, as its columns grow past their first size', () => {
    const table = new ChunkSummaryTable();
    const expected = new Map<number, ChunkSummary>();
    const random = seededRandom(3);
    const kinds = ['function', 'method', 'class', 'block'];
    for (let step = 0; step < 6000; step++) {
      const id = 1 + Math.floor(random() * 5000);
      if (random() < 0.2) {
        table.remove(id);
        expected.delete(id);
        continue;
      }
      const fileId = 1 + Math.floor(random() * 40);
      const summary: ChunkSummary = {
        id, fileId, path: `src/file${fileId}.ts`, language: 'typescript', symbol: random() < 0.8 ? `name${step}` : null, parent: random() < 0.5 ? `Class${fileId}` : null,
        kind: kinds[step % kinds.length]!, startLine: step, endLine: step + Math.floor(random() * 50),
      };
      table.set(summary);
      expected.set(id, summary);
    }
    assert.equal(table.size, expected.size);
    const ids = Array.from({ length: 5100 }, (_, at) => 5099 - at);
    assert.deepEqual([...table.many(ids).entries()], [...expected.entries()].sort((a, b) => a[0] - b[0]));
    assert.equal(table.get(0), undefined);
    assert.equal(table.get(-4), undefined);
  });
});

describe('BM25 in memory, kept current (LiveLexicalIndex)', () => {
  const dir = tempDir();
  let store: WorkspaceStore;
  const logs: string[] = [];
  before(async () => {
    store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    await store.writeBatch('m1', generatedFiles(60), [], []);
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  it('answers as FTS5 once built, follows this process\'s writes, and hands a search to FTS5 (null) while it cannot answer', async () => {
    let writing = false;
    const live = new LiveLexicalIndex({ store: () => store, writing: () => writing, log: (line) => logs.push(line) });
    assert.equal(await live.search(['read'], 10), null, 'not built yet');
    const loading = live.load();
    // A write committed during the build is applied after the rows are read.
    live.apply((await store.writeBatch('m1', generatedFiles(5, 7, 'during'), [], [])).lexical);
    await loading;
    assert.ok(live.ready);
    for (const terms of randomQueries(WORDS, 20, 5)) assertSameHits(await live.search(terms, 30), await fts5Search(store, terms, 30), terms);

    writing = true;
    const change = (await store.writeBatch('m1', generatedFiles(3, 9, 'edit'), [], [])).lexical;
    assert.equal(await live.search(['read', 'file'], 10), null, 'a committed write not yet applied: FTS5 answers');
    live.apply(change);
    writing = false;
    assertSameHits(await live.search(['read', 'file'], 10), await fts5Search(store, ['read', 'file'], 10), ['read', 'file']);
    live.close();
  });

  it('rebuilds when another connection changed the FTS rows', async () => {
    const live = new LiveLexicalIndex({ store: () => store, writing: () => false, log: (line) => logs.push(line) });
    await live.load();
    const other = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    try {
      await other.writeBatch('m1', generatedFiles(4, 13, 'other'), [], []);
    } finally {
      await other.close();
    }
    assert.equal(await live.search(['read'], 10), null, 'stale: FTS5 answers and a rebuild starts');
    await live.load();
    assertSameHits(await live.search(['read', 'stream'], 20), await fts5Search(store, ['read', 'stream'], 20), ['read', 'stream']);
    live.close();
  });

  it('holds the chunks\' summaries as the store reads them, through moved, replaced and deleted chunks, and hands them to the store when stale', async () => {
    const live = new LiveLexicalIndex({ store: () => store, writing: () => false, log: (line) => logs.push(line) });
    const everyId = async () => {
      const rows = await store.chunkSummariesAfter(0, 1_000_000);
      // Ids that hold no chunk (removed, or past the end) too: neither side returns them.
      return Array.from({ length: rows.at(-1)!.id + 10 }, (_, at) => at);
    };
    const assertSameSummaries = async (what: string) => {
      const ids = await everyId();
      const fromMemory = await live.summariesOf(ids);
      assert.ok(fromMemory, `answered from memory ${what}`);
      assert.deepEqual([...fromMemory.entries()], [...(await store.chunkSummariesByIds(ids)).entries()], what);
    };
    await live.load();
    await assertSameSummaries('once built');

    const [moved, replaced, ...rest] = generatedFiles(4, 31, 'sum');
    live.apply((await store.writeBatch('m1', [moved!, replaced!, ...rest], [], [])).lexical);
    await assertSameSummaries('after new files');
    // The same chunks three lines lower (kept rows, new lines), one file's chunks all new, another file gone.
    const shifted = { ...moved!, chunks: moved!.chunks.map((chunk) => ({ ...chunk, startLine: chunk.startLine + 3, endLine: chunk.endLine + 3 })) };
    const [fresh] = generatedFiles(1, 32, 'new');
    const change = (await store.writeBatch('m1', [shifted, { ...fresh!, path: replaced!.path }], [rest[0]!.path], [])).lexical;
    assert.ok(change, 'a write of chunks reports its change');
    assert.equal(change.summaries.length, 8, 'every chunk of the files written, kept and new');
    live.apply(change);
    await assertSameSummaries('after moved, replaced and deleted chunks');
    assert.equal((await live.summariesOf([change.summaries[0]!.id]))!.get(change.summaries[0]!.id)!.startLine, moved!.chunks[0]!.startLine + 3);

    const other = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    try {
      await other.writeBatch('m1', generatedFiles(2, 33, 'elsewhere'), [], []);
    } finally {
      await other.close();
    }
    assert.equal(await live.summariesOf([1, 2, 3]), null, 'another process wrote: the store answers');
    await live.load();
    await assertSameSummaries('rebuilt after another process wrote');
    live.close();
  });

  it('hands words it does not tokenize as FTS5 does to FTS5', async () => {
    const live = new LiveLexicalIndex({ store: () => store, writing: () => false, log: (line) => logs.push(line) });
    await live.load();
    assert.equal(await live.search(['äpfel'], 10), null);
    assert.ok(live.ready, 'such a word does not drop the copy');
    live.close();
  });
});
