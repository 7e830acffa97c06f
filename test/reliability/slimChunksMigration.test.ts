/**
 * Schema v8 drops the chunks' unread identifier and call lists and the unused
 * reference name index. A cache written before (v7, with those columns filled)
 * must go through the migration on open by itself and lose nothing: no file is
 * indexed again, search answers the same, and the migrated cache stays sound and
 * keeps working through edits.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { copyFixtureWorkspace, TINY_MODEL } from '../helpers.js';

const QUERIES = ['levenshtein distance', 'parse tokens', 'http request'];

/**
 * Puts a current cache back in the v7 layout (no piece numbers, migration 10; a depth column, migration 11;
 * FTS5 rows instead of the lexical segments, migration 12), with the columns filled as v7 wrote them.
 */
async function downgradeToV7(cachePath: string): Promise<void> {
  const store = await WorkspaceStore.open(cachePath);
  try {
    await store.db.exec(`
      ALTER TABLE chunks ADD COLUMN calls TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE chunks ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]';
      UPDATE chunks SET calls = coalesce((SELECT json_group_array(r.name) FROM refs r WHERE r.chunk_id = chunks.id), '[]'), identifiers = json_array(symbol, text);
      CREATE INDEX refs_name ON refs(name);
      ALTER TABLE chunks DROP COLUMN piece;
      ALTER TABLE chunks ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
      DROP TABLE lexical_segments;
      CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='', tokenize='porter unicode61');
      PRAGMA user_version = 7;
    `);
  } finally {
    await store.close();
  }
}

async function answers(graph: CodeGraph): Promise<string[]> {
  const lines: string[] = [];
  for (const query of QUERIES) {
    for (const hit of await graph.search(query, { limit: 5 })) lines.push(`${query} → ${hit.path}:${hit.startLine}-${hit.endLine} ${hit.score.toFixed(6)}`);
  }
  return lines;
}

describe('migration of a v7 cache (chunk identifier and call lists, reference name index)', () => {
  const fixture = copyFixtureWorkspace();
  after(() => fixture.cleanup());

  it('happens on open and keeps every file, chunk, reference and answer', async () => {
    const options = { root: fixture.root, cacheDir: fixture.cache, modelDir: TINY_MODEL, workers: 1 };
    let graph = await CodeGraph.open(options);
    await graph.index();
    const before = await answers(graph);
    const cachePath = (await graph.status()).cachePath;
    const countsBefore = (await graph.status()).counts;
    await graph.dispose();
    assert.ok(before.length > 0, 'the fixture answers the queries');

    await downgradeToV7(cachePath);
    const old = await WorkspaceStore.open(cachePath).catch((error: unknown) => error);
    // Opening through the store migrates: the v7 file is never read as if it were v8.
    assert.ok(old instanceof WorkspaceStore);
    const version = (await old.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version;
    const columns = (await old.db.all<{ name: string }>("SELECT name FROM pragma_table_info('chunks')")).map((row) => row.name);
    const indexes = (await old.db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'refs'")).map((row) => row.name);
    await old.close();
    assert.equal(version, SCHEMA_VERSION);
    assert.ok(!columns.includes('identifiers') && !columns.includes('calls') && columns.includes('piece') && !columns.includes('depth'), `chunk columns after the migration: ${columns.join(', ')}`);
    assert.ok(!indexes.includes('refs_name'), `refs indexes after the migration: ${indexes.join(', ')}`);

    graph = await CodeGraph.open(options);
    try {
      const summary = await graph.index();
      assert.equal(summary.filesChanged, 0, 'nothing is indexed again');
      assert.equal(summary.chunksEmbedded, 0, 'nothing is embedded again');
      assert.equal(graph.serviceLevel, 'hybrid');
      const status = await graph.status({ verifyCache: true });
      assert.equal(status.cacheProblem, null);
      assert.deepEqual(status.counts, countsBefore);
      assert.deepEqual(await answers(graph), before);
      assert.deepEqual(await graph.store.integrityCheck(), []);
      assert.deepEqual(await graph.store.orphanCounts(), {});

      // The migrated cache keeps working: a new file is indexed and found.
      writeFileSync(join(fixture.root, 'added_after_migration.py'), 'def zqmigratedmarker(items):\n    return sorted(items)\n');
      const update = await graph.index({ paths: ['added_after_migration.py'] });
      assert.equal(update.filesChanged, 1);
      assert.equal((await graph.search('zqmigratedmarker', { mode: 'lexical', limit: 1 }))[0]?.path, 'added_after_migration.py');
    } finally {
      await graph.dispose();
    }
  });
});
