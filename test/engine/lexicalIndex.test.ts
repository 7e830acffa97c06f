import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { ChunkSummaryTable, eachFtsTerm, LexicalIndex, LiveLexicalIndex, type LexicalHit } from '../../engine/lexical/index.js';
import { chunkContentHash } from '../../engine/hashing/hash.js';
import { seededRandom } from '../../engine/random/index.js';
import { lexicalTokenText } from '../../engine/text/identifiers.js';
import type { ChunkSummary, LexicalChange } from '../../engine/store/records.js';
import { WorkspaceStore } from '../../engine/store/store.js';
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

/** Asserts the in-memory index ranks as FTS5 does: the same rows in the same order, the same scores up to the last bits of `log`. */
async function assertSameAsFts5(index: LexicalIndex, store: WorkspaceStore, queries: readonly string[][], limit: number): Promise<void> {
  for (const terms of queries) assertSameHits(index.search(terms, limit), await store.exhaustiveLexicalSearch(terms, limit), terms);
}

function assertSameHits(actual: readonly LexicalHit[] | null, expected: readonly LexicalHit[], terms: readonly string[]): void {
  assert.ok(actual, `answered from memory: ${terms.join(' ')}`);
  assert.deepEqual(actual.map((hit) => hit.id), expected.map((hit) => hit.id), `rows for ${terms.join(' ')}`);
  actual.forEach((hit, at) => assert.ok(Math.abs(hit.score - expected[at]!.score) <= 1e-12 * Math.abs(expected[at]!.score), `score of row ${hit.id} for ${terms.join(' ')}`));
}

async function indexFromStore(store: WorkspaceStore): Promise<LexicalIndex> {
  const builder = LexicalIndex.build();
  for (let after = 0; ; ) {
    const rows = await store.lexicalRowsAfter(after, 50);
    for (const row of rows) builder.add(row.id, row.columns);
    if (rows.length < 50) return builder.finish();
    after = rows[rows.length - 1]!.id;
  }
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
      for (const row of change.added) index.add(row.id, row.columns);
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
    for (const terms of randomQueries(WORDS, 20, 5)) assertSameHits(await live.search(terms, 30), await store.exhaustiveLexicalSearch(terms, 30), terms);

    writing = true;
    const change = (await store.writeBatch('m1', generatedFiles(3, 9, 'edit'), [], [])).lexical;
    assert.equal(await live.search(['read', 'file'], 10), null, 'a committed write not yet applied: FTS5 answers');
    live.apply(change);
    writing = false;
    assertSameHits(await live.search(['read', 'file'], 10), await store.exhaustiveLexicalSearch(['read', 'file'], 10), ['read', 'file']);
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
    assertSameHits(await live.search(['read', 'stream'], 20), await store.exhaustiveLexicalSearch(['read', 'stream'], 20), ['read', 'stream']);
    live.close();
  });

  it('holds the chunks\' summaries as the store reads them, through moved, replaced and deleted chunks, and hands them to the store when stale', async () => {
    const live = new LiveLexicalIndex({ store: () => store, writing: () => false, log: (line) => logs.push(line) });
    const everyId = async () => {
      const rows = await store.lexicalRowsAfter(0, 1_000_000);
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
