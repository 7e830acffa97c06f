import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CacheCorruptionError } from '../../engine/errors.js';
import type { Chunk } from '../../engine/parsing/chunk.js';
import { chunkContentHash } from '../../engine/hashing/hash.js';
import type { FileUpdate } from '../../engine/store/records.js';
import { Database } from '../../engine/store/database.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { tempDir } from '../helpers.js';

function chunk(symbol: string | null, text: string, calls: string[] = [], startLine = 1): Chunk {
  return {
    ordinal: 0, symbol, parent: null, kind: symbol ? 'function' : 'block', startLine, endLine: startLine + 2, text, piece: 0, doc: null,
    contentHash: chunkContentHash(text), metrics: { nodeCount: 3, complexity: 1 }, calls,
  };
}

function file(path: string, chunks: Chunk[]): FileUpdate {
  return { path, language: 'python', size: 10, mtimeMs: 1, contentHash: `h-${path}-${chunks.length}`, method: 'syntax', analysis: { imports: [], definitions: [], references: [] }, chunks };
}

describe('workspace store', () => {
  const dir = tempDir();
  let store: WorkspaceStore;
  before(async () => {
    store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  it('migrates a new cache to the current schema version', async () => {
    const row = await store.db.get<{ user_version: number }>('PRAGMA user_version');
    assert.equal(row!.user_version, SCHEMA_VERSION);
    const mode = await store.db.get<{ journal_mode: string }>('PRAGMA journal_mode');
    assert.equal(mode!.journal_mode, 'wal');
  });

  it('writes files, chunks, vectors and resolves references in one batch', async () => {
    const callee = chunk('refill', 'def refill(self): pass');
    const caller = chunk('allow', 'def allow(self): self.refill()', ['refill']);
    const result = await store.writeBatch('m1', [file('a.py', [callee]), file('b.py', [caller])], [], [{ contentHash: callee.contentHash, blob: Buffer.from([0, 0, 0, 0, 1]) }]);
    assert.equal(result.addedChunks.length, 2);
    const counts = await store.counts('m1');
    assert.deepEqual({ files: counts.files, chunks: counts.chunks, vectors: counts.vectorsForModel, refs: counts.references, resolved: counts.resolvedReferences }, { files: 2, chunks: 2, vectors: 1, refs: 1, resolved: 1 });
    assert.deepEqual([...(await store.missingVectors('m1', [callee.contentHash, caller.contentHash]))], [caller.contentHash]);
  });

  it('looks up missing vectors without waiting for a write in progress, and counts only committed ones', async () => {
    const hash = chunkContentHash('def pending(): return 1');
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const insertedRow = new Promise<void>((resolve) => (inserted = resolve));
    const write = store.db.transaction(async () => {
      await store.db.run('INSERT INTO vectors (model_id, content_hash, vector, last_used) VALUES (?, ?, ?, ?)', ['m1', hash, Buffer.from([0, 0, 0, 0, 1]), 1]);
      inserted();
      await committed;
    });
    await insertedRow;
    // The write connection is inside the transaction and would see its own row; the lookup does not.
    assert.deepEqual([...(await store.missingVectors('m1', [hash]))], [hash]);
    commit();
    await write;
    assert.deepEqual([...(await store.missingVectors('m1', [hash]))], []);
  });

  it('re-resolves the references of dependent files when a definition moves', async () => {
    // `refill` leaves a.py and appears in c.py: b.py's reference must follow it.
    const moved = await store.writeBatch('m1', [file('a.py', [chunk(null, 'x = 1')]), file('c.py', [chunk('refill', 'def refill(self): return 2')])], [], []);
    assert.equal(moved.dependentFiles, 1);
    const target = await store.db.get<{ path: string }>('SELECT f.path FROM refs r JOIN files f ON f.id = r.target_file_id WHERE r.name = ?', ['refill']);
    assert.equal(target!.path, 'c.py');
  });

  it('finds chunks lexically with identifier-aware tokens', async () => {
    const hits = await store.lexicalSearch(['refill'], 10);
    const records = await store.chunksByIds(hits.map((hit) => hit.id));
    assert.ok([...records.values()].some((record) => record.path === 'c.py'));
  });

  it('matches other word forms of a query term (stemmed lexical index)', async () => {
    await store.writeBatch('m1', [file('registry.py', [chunk('register_serializer', 'def register_serializer(kind, fn): SERIALIZERS[kind] = fn')])], [], []);
    const hits = await store.lexicalSearch(['registered', 'serializers'], 5);
    const records = await store.chunksByIds(hits.map((hit) => hit.id));
    assert.deepEqual([...records.values()].map((record) => record.path), ['registry.py']);
  });

  it('treats quotes and SQL in paths and queries as data', async () => {
    const path = `it's"; DROP TABLE files; --.py`;
    await store.writeBatch('m1', [file(path, [chunk('drop_tables', 'def drop_tables(): pass')])], [], []);
    assert.equal((await store.chunksOfFile(path)).length, 1);
    assert.deepEqual(await store.lexicalSearch(['it\'s" OR 1=1 --'], 5), []);
    assert.deepEqual(await store.lexicalSearch(['it\'s" OR 1=1 --', 'NEAR(x) "'], 5), []);
    assert.ok((await store.counts('m1')).files >= 4);
  });

  it('rewrites only the edited chunk of a re-analysed file, moving the others and keeping their references', async () => {
    const helper = chunk('tokenize', 'def tokenize(text): return text.split()', [], 1);
    const parser = chunk('parse', 'def parse(text): return tokenize(text)', ['tokenize'], 4);
    const user = chunk('run', 'def run(): return parse("a b")', ['parse'], 1);
    await store.writeBatch('m1', [file('lexer.py', [helper, parser]), file('main.py', [user])], [], []);
    const before = new Map((await store.chunksOfFile('lexer.py')).map((row) => [row.symbol, row]));

    // A comment line above `tokenize` changes its text; `parse` is unchanged but moves down a line.
    const edited = { ...chunk('tokenize', 'def tokenize(text):\n    # split on whitespace\n    return text.split()', [], 1), ordinal: 0 };
    const moved = { ...parser, ordinal: 1, startLine: 5, endLine: 7 };
    const result = await store.writeBatch('m1', [file('lexer.py', [edited, moved])], [], []);

    assert.deepEqual(result.removedChunkIds, [before.get('tokenize')!.id]);
    assert.deepEqual(result.addedChunks.map((added) => added.contentHash), [edited.contentHash]);
    const after = new Map((await store.chunksOfFile('lexer.py')).map((row) => [row.symbol, row]));
    assert.equal(after.get('parse')!.id, before.get('parse')!.id);
    assert.deepEqual([after.get('parse')!.startLine, after.get('parse')!.endLine], [5, 7]);
    assert.equal(after.get('parse')!.fileId, before.get('parse')!.fileId);
    const definitionLine = await store.db.get<{ line: number }>('SELECT line FROM definitions WHERE chunk_id = ?', [after.get('parse')!.id]);
    assert.equal(definitionLine!.line, 5);
    // main.py's call still points at `parse`, untouched; lexer.py's call points at the new `tokenize`.
    const targets = await store.db.all<{ name: string; target: number | null }>('SELECT name, target_chunk_id AS target FROM refs WHERE name IN (?, ?) ORDER BY name', ['parse', 'tokenize']);
    assert.deepEqual(targets, [{ name: 'parse', target: after.get('parse')!.id }, { name: 'tokenize', target: after.get('tokenize')!.id }]);
    assert.equal((await store.lexicalSearch(['whitespace'], 5)).map((hit) => hit.id).includes(after.get('tokenize')!.id), true);
    assert.deepEqual(await store.orphanCounts(), {});
    assert.deepEqual(await store.integrityCheck(), []);
  });

  it('re-resolves references into a chunk that an edit removed', async () => {
    await store.writeBatch('m1', [file('lexer.py', [chunk('tokenize', 'def tokenize(text):\n    # split on whitespace\n    return text.split()', [], 1)])], [], []);
    const dangling = await store.db.get<{ target: number | null }>('SELECT target_chunk_id AS target FROM refs WHERE name = ?', ['parse']);
    assert.equal(dangling!.target, null);
    const restored = await store.writeBatch('m1', [file('parser.py', [chunk('parse', 'def parse(text): return list(text)')])], [], []);
    assert.equal(restored.dependentFiles, 1);
    const target = await store.db.get<{ path: string }>('SELECT f.path FROM refs r JOIN files f ON f.id = r.target_file_id WHERE r.name = ?', ['parse']);
    assert.equal(target!.path, 'parser.py');
  });

  it('points a kept reference at a same-named definition an edit adds to its own file', async () => {
    const caller = chunk('shout', 'def shout(text): return emphasise(text)', ['emphasise'], 1);
    await store.writeBatch('m1', [file('style.py', [chunk('emphasise', 'def emphasise(text): return text.upper()')]), file('voice.py', [caller])], [], []);
    const local = chunk('emphasise', 'def emphasise(text): return text + "!"', [], 4);
    await store.writeBatch('m1', [file('voice.py', [caller, { ...local, ordinal: 1 }])], [], []);
    const target = await store.db.get<{ path: string }>('SELECT f.path FROM refs r JOIN files f ON f.id = r.target_file_id JOIN chunks c ON c.id = r.chunk_id WHERE c.symbol = ? AND r.name = ?', ['shout', 'emphasise']);
    assert.equal(target!.path, 'voice.py');
  });

  it('writes a path named twice in one batch once, and keeps a path that is both deleted and updated', async () => {
    const first = chunk('banner', 'def banner(): return "<b>"');
    const second = chunk('banner', 'def banner(): return "<i>"');
    await store.writeBatch('m1', [file('ui/banner.py', [first]), file('ui/banner.py', [second])], [], []);
    assert.deepEqual((await store.chunksOfFile('ui/banner.py')).map((row) => row.text), [second.text]);
    await store.writeBatch('m1', [file('ui/banner.py', [first])], ['ui/banner.py'], []);
    assert.deepEqual((await store.chunksOfFile('ui/banner.py')).map((row) => row.text), [first.text]);
    assert.deepEqual(await store.orphanCounts(), {});
  });

  it('reads the rows of given paths and of everything below a directory path, and nothing beside them', async () => {
    const names = ['pkg/a.py', 'pkg/sub/b.py', 'pkg.py', 'pkg0.py', 'pkgs/c.py'];
    await store.writeBatch('m1', names.map((name) => file(name, [chunk(null, `x = "${name}"`)])), [], []);
    assert.deepEqual([...(await store.filesAt(['pkg'])).keys()].sort(), ['pkg/a.py', 'pkg/sub/b.py']);
    assert.deepEqual([...(await store.filesAt(['pkg.py', 'pkgs/c.py', 'missing.py'])).keys()].sort(), ['pkg.py', 'pkgs/c.py']);
  });

  it('removes deleted files with their chunks, index entries and references', async () => {
    await store.writeBatch('m1', [], ['b.py'], []);
    assert.deepEqual(await store.orphanCounts(), {});
    assert.deepEqual(await store.integrityCheck(), []);
    assert.equal((await store.chunksOfFile('b.py')).length, 0);
  });

  it('streams every chunk with its vector in chunk id order', async () => {
    const first = chunk('drain', 'def drain(queue): return list(queue)');
    const second = chunk('peek', 'def peek(queue): return queue[0]');
    const third = chunk(null, 'QUEUE_LIMIT = 64');
    await store.writeBatch('m1', [file('queues.py', [first, second, third])], [], [first, second, third].map((each, at) => ({ contentHash: each.contentHash, blob: Buffer.from([at, 1, 2, 3, 4]) })));
    const rows: { id: number; vector: number[] }[] = [];
    const count = await store.eachChunkVector('m1', (row) => rows.push({ id: row.id, vector: [...row.vector] }));
    const expected = await store.db.all<{ id: number; vector: Buffer }>("SELECT c.id, v.vector FROM chunks c JOIN vectors v ON v.model_id = 'm1' AND v.content_hash = c.content_hash ORDER BY c.id");
    assert.ok(count >= 3);
    assert.equal(count, rows.length);
    assert.deepEqual(rows, expected.map((row) => ({ id: row.id, vector: [...row.vector] })));
  });

  it('garbage-collects other models and orphans beyond the reserve', async () => {
    await store.writeVectors('m2', [{ contentHash: 'old', blob: Buffer.from([0, 0, 0, 0]) }]);
    await store.writeVectors('m1', [{ contentHash: 'orphan-1', blob: Buffer.from([0, 0, 0, 0]) }]);
    const collected = await store.collectGarbage('m1', 0);
    assert.equal(collected.otherModels, 1);
    assert.ok(collected.orphans >= 1);
    assert.equal((await store.counts('m2')).vectorsForModel, 0);
  });
});

describe('keyset-paged scans', () => {
  it('returns every row once, in key order, across page boundaries and gaps in the keys', async () => {
    const dir = tempDir();
    const db = await Database.open(join(dir.path, 'pages.sqlite'));
    try {
      await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)');
      const ids = [-4, 1, 2, 3, 7, 8, 9, 20, 21, 40];
      await db.insertMany('items', ['id', 'label'], ids.map((id) => [id, `item ${id}`]));
      for (const pageRows of [1, 3, 5, 10, 11]) {
        const seen: number[] = [];
        const count = await db.eachPage<{ id: number; label: string }>('SELECT id, label FROM items WHERE id > ? ORDER BY id LIMIT ?', [], (row) => row.id, (rows) => void seen.push(...rows.map((row) => row.id)), pageRows);
        assert.deepEqual(seen, ids, `pages of ${pageRows}`);
        assert.equal(count, ids.length);
      }
      const none: number[] = [];
      assert.equal(await db.eachPage<{ id: number }>('SELECT id FROM items WHERE label = ? AND id > ? ORDER BY id LIMIT ?', ['absent'], (row) => row.id, (rows) => void none.push(...rows.map((row) => row.id)), 3), 0);
      assert.deepEqual(none, []);
    } finally {
      await db.close();
      dir.cleanup();
    }
  });
});

describe('multi-row inserts', () => {
  it('writes every row in order across many full statements and a shorter last one', async () => {
    const dir = tempDir();
    const db = await Database.open(join(dir.path, 'rows.sqlite'));
    try {
      await db.exec('CREATE TABLE items (seq INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER, label TEXT)');
      // 250 rows a statement at width 2: 21 full statements and one of 37.
      const ids = Array.from({ length: 21 * 250 + 37 }, (_, index) => index * 3);
      await db.insertMany('items', ['id', 'label'], ids.map((id) => [id, `item ${id}`]));
      const rows = await db.all<{ id: number; label: string }>('SELECT id, label FROM items ORDER BY seq');
      assert.deepEqual(rows.map((row) => row.id), ids, 'rows in the order given');
      assert.ok(rows.every((row) => row.label === `item ${row.id}`));
    } finally {
      await db.close();
      dir.cleanup();
    }
  });

  it('rejects with the error of a failing statement among many, and a rollback undoes the statements before it', async () => {
    const dir = tempDir();
    const db = await Database.open(join(dir.path, 'rows.sqlite'));
    try {
      await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)');
      // A duplicate key in the second of ten full statements.
      const ids = Array.from({ length: 2500 }, (_, index) => index);
      ids[400] = 3;
      await assert.rejects(
        db.transaction(() => db.insertMany('items', ['id', 'label'], ids.map((id) => [id, `item ${id}`]))),
        (error: unknown) => /UNIQUE constraint failed: items\.id/.test((error as Error).message),
      );
      assert.deepEqual(await db.all('SELECT count(*) AS n FROM items'), [{ n: 0 }]);
      await db.insertMany('items', ['id', 'label'], [[1, 'after']]);
      assert.deepEqual(await db.all('SELECT id, label FROM items'), [{ id: 1, label: 'after' }], 'the connection is usable after the failure');
    } finally {
      await db.close();
      dir.cleanup();
    }
  });
});

describe('cache corruption', () => {
  it('reports a garbage cache file as cache corruption', async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'index.sqlite');
      writeFileSync(path, Buffer.alloc(8192, 0x5a));
      await assert.rejects(WorkspaceStore.open(path), (error: unknown) => error instanceof CacheCorruptionError);
    } finally {
      dir.cleanup();
    }
  });
});

describe('reference resolution across batches', () => {
  it('resolves each reference about once on a cold index, however many batches define names earlier files use', async () => {
    const dir = tempDir();
    const store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    try {
      // Ten batches of ten files. Every file calls 25 library functions defined nowhere and one function
      // from each batch; each batch defines its function, so every batch resolves calls in every earlier file.
      const batches = 10;
      const library = Array.from({ length: 25 }, (_, index) => `library_call_${index}`);
      const project = Array.from({ length: batches }, (_, index) => `project_step_${index}`);
      let refreshed = 0;
      let references = 0;
      for (let batch = 0; batch < batches; batch++) {
        const files = Array.from({ length: 10 }, (_, index) => {
          const calls = [...library, ...project];
          references += calls.length;
          const symbol = index === 0 ? project[batch]! : `local_${batch}_${index}`;
          return file(`b${batch}/f${index}.py`, [chunk(symbol, `def ${symbol}(): ${calls.join('(); ')}()`, calls)]);
        });
        refreshed += (await store.writeBatch('m1', files, [], [])).refreshedReferences;
      }
      const resolved = await store.db.all<{ name: string; unresolved: number; target: string | null }>(
        `SELECT r.name, sum(r.target_chunk_id IS NULL) AS unresolved, min(f.path) AS target FROM refs r LEFT JOIN files f ON f.id = r.target_file_id
         WHERE r.name IN ('library_call_0', 'project_step_0', 'project_step_9') GROUP BY r.name ORDER BY r.name`,
      );
      assert.deepEqual(resolved, [
        { name: 'library_call_0', unresolved: 100, target: null },
        { name: 'project_step_0', unresolved: 0, target: 'b0/f0.py' },
        { name: 'project_step_9', unresolved: 0, target: 'b9/f0.py' },
      ]);
      // Each batch's own references once, plus each earlier call once when its name gets defined;
      // re-resolving every unresolved reference of every earlier file would be about five times that.
      assert.ok(refreshed <= 2 * references, `${refreshed} refreshed for ${references} references`);
      assert.deepEqual(await store.orphanCounts(), {});
    } finally {
      await store.close();
      dir.cleanup();
    }
  });

  it('re-resolves only the references that pointed at an edited definition, not every unresolved reference of their files', async () => {
    const dir = tempDir();
    const store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    try {
      // b.py calls util() from a.py and 200 library functions defined nowhere (as lodash.js calls its own helpers).
      const library = Array.from({ length: 200 }, (_, index) => `library_call_${index}`);
      const calls = ['util', ...library];
      await store.writeBatch('m1', [file('a.py', [chunk('util', 'def util(): return 1')]), file('b.py', [chunk('main', `def main(): ${calls.join('(); ')}()`, calls)])], [], []);
      // Editing util's body replaces its chunk: b.py's reference to it is orphaned and must follow the new chunk.
      const edited = await store.writeBatch('m1', [file('a.py', [chunk('util', 'def util(): return 2  # edited')])], [], []);
      assert.equal(edited.dependentFiles, 1);
      assert.equal(edited.refreshedReferences, 1);
      const util = await store.db.get<{ target: number; chunk: number; file: string }>(
        `SELECT r.target_chunk_id AS target, (SELECT d.chunk_id FROM definitions d WHERE d.name = 'util') AS chunk, f.path AS file
         FROM refs r JOIN files f ON f.id = r.target_file_id WHERE r.name = 'util'`,
      );
      assert.deepEqual({ target: util!.target, file: util!.file }, { target: util!.chunk, file: 'a.py' });
      const unresolved = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM refs WHERE target_chunk_id IS NULL AND target_file_id IS NULL');
      assert.equal(unresolved!.n, library.length);
      // Removing the definition leaves the reference unresolved, target file cleared with it.
      const removed = await store.writeBatch('m1', [file('a.py', [chunk(null, 'x = 1')])], [], []);
      assert.equal(removed.refreshedReferences, 1);
      const gone = await store.db.get<{ target: number | null; file: number | null }>("SELECT target_chunk_id AS target, target_file_id AS file FROM refs WHERE name = 'util'");
      assert.deepEqual(gone, { target: null, file: null });
      assert.deepEqual(await store.orphanCounts(), {});
    } finally {
      await store.close();
      dir.cleanup();
    }
  });
});

describe('schema migration 7 (stemmed lexical index)', () => {
  it('rebuilds the lexical index of a v6 cache so that other word forms match, keeping its chunks', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'index.sqlite');
    try {
      const v6 = await Database.open(path);
      for (const migration of MIGRATIONS.slice(0, 6)) await v6.exec(migration);
      await v6.exec('PRAGMA user_version = 6');
      await v6.run("INSERT INTO files (id, path, language, size, mtime_ms, content_hash, chunk_method, indexed_at) VALUES (1, 'registry.py', 'python', 10, 1, 'fh', 'syntax', 1)");
      await v6.run(
        "INSERT INTO chunks (id, file_id, ordinal, content_hash, kind, start_line, end_line, text, node_count, depth, complexity, calls, identifiers) VALUES (7, 1, 0, 'ch', 'function', 1, 1, 'def register_serializer(kind, fn): pass', 3, 1, 1, '[]', '[]')",
      );
      await v6.close();

      const store = await WorkspaceStore.open(path);
      try {
        assert.equal((await store.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, SCHEMA_VERSION);
        assert.deepEqual((await store.lexicalSearch(['registered'], 5)).map((hit) => hit.id), [7]);
        assert.equal(await store.chunkCount(), 1);
        // Later steps drop what nothing reads (migration 11: the nesting depth), keeping the rows.
        const columns = (await store.db.all<{ name: string }>('PRAGMA table_info(chunks)')).map((column) => column.name);
        assert.ok(!columns.includes('depth') && columns.includes('node_count'), columns.join(', '));
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe('page size', () => {
  it('creates a new cache with 8 KB pages and opens an existing 4 KB cache as it is', async () => {
    const dir = tempDir();
    try {
      const fresh = await WorkspaceStore.open(join(dir.path, 'new.sqlite'));
      assert.equal((await fresh.db.get<{ page_size: number }>('PRAGMA page_size'))?.page_size, 8192);
      await fresh.close();

      // A cache made before: 4 KB pages, tables already there.
      const oldPath = join(dir.path, 'old.sqlite');
      const old = await Database.open(oldPath);
      await old.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;');
      for (const step of MIGRATIONS) await old.exec(step);
      await old.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      await old.close();
      const reopened = await WorkspaceStore.open(oldPath);
      assert.equal((await reopened.db.get<{ page_size: number }>('PRAGMA page_size'))?.page_size, 4096);
      assert.equal(await reopened.chunkCount(), 0);
      await reopened.close();
    } finally {
      dir.cleanup();
    }
  });
});

describe('write-ahead log after a run', () => {
  it('empties a WAL above the size given, keeps every row, and leaves a smaller one alone', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'index.sqlite');
    try {
      const store = await WorkspaceStore.open(path);
      // A reader holding a snapshot stops SQLite's own checkpoints from reusing the log, so it grows as a long run's does.
      const reader = await Database.open(path, Database.READ_ONLY);
      await reader.exec('BEGIN');
      await reader.get('SELECT count(*) AS n FROM chunks');
      const files = Array.from({ length: 40 }, (_, index) => file(`src/m${index}.py`, [chunk(`f${index}`, `def f${index}(value):\n    return value * ${index}\n${'# padding\n'.repeat(200)}`)]));
      for (const each of files) await store.writeBatch('m1', [each], [], []);
      await reader.exec('COMMIT');
      await reader.close();
      const walBefore = statSync(`${path}-wal`).size;
      assert.ok(walBefore > 100_000, `the test needs a WAL of some size, got ${walBefore} B`);

      assert.equal(await store.truncateWriteAheadLog(walBefore + 1), false);
      assert.equal(statSync(`${path}-wal`).size, walBefore);

      assert.equal(await store.truncateWriteAheadLog(walBefore), true);
      assert.equal(statSync(`${path}-wal`).size, 0);
      assert.equal(await store.chunkCount(), 40);
      await store.close();
      const reopened = await WorkspaceStore.open(path);
      assert.equal(await reopened.chunkCount(), 40);
      await reopened.close();
    } finally {
      dir.cleanup();
    }
  });
});
