import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CacheCorruptionError } from '../../engine/errors.js';
import type { Chunk } from '../../engine/parsing/chunk.js';
import { chunkContentHash } from '../../engine/hashing/hash.js';
import type { FileUpdate } from '../../engine/store/records.js';
import { SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { tempDir } from '../helpers.js';

function chunk(symbol: string | null, text: string, calls: string[] = [], startLine = 1): Chunk {
  return {
    ordinal: 0, symbol, parent: null, kind: symbol ? 'function' : 'block', startLine, endLine: startLine + 2, text, doc: null,
    contentHash: chunkContentHash(text), metrics: { nodeCount: 3, depth: 1, complexity: 1 }, calls, identifiers: [],
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

  it('re-resolves the references of dependent files when a definition moves', async () => {
    // `refill` leaves a.py and appears in c.py: b.py's reference must follow it.
    const moved = await store.writeBatch('m1', [file('a.py', [chunk(null, 'x = 1')]), file('c.py', [chunk('refill', 'def refill(self): return 2')])], [], []);
    assert.equal(moved.dependentFiles, 1);
    const target = await store.db.get<{ path: string }>('SELECT f.path FROM refs r JOIN files f ON f.id = r.target_file_id WHERE r.name = ?', ['refill']);
    assert.equal(target!.path, 'c.py');
  });

  it('finds chunks lexically with identifier-aware tokens', async () => {
    const hits = await store.lexicalSearch('"refill"', 10);
    const records = await store.chunksByIds(hits.map((hit) => hit.id));
    assert.ok([...records.values()].some((record) => record.path === 'c.py'));
  });

  it('treats quotes and SQL in paths and queries as data', async () => {
    const path = `it's"; DROP TABLE files; --.py`;
    await store.writeBatch('m1', [file(path, [chunk('drop_tables', 'def drop_tables(): pass')])], [], []);
    assert.equal((await store.chunksOfFile(path)).length, 1);
    assert.deepEqual(await store.lexicalSearch('"it\'s"" OR 1=1 --"', 5), []);
    assert.ok((await store.counts('m1')).files >= 4);
  });

  it('removes deleted files with their chunks, index entries and references', async () => {
    await store.writeBatch('m1', [], ['b.py'], []);
    assert.deepEqual(await store.orphanCounts(), {});
    assert.deepEqual(await store.integrityCheck(), []);
    assert.equal((await store.chunksOfFile('b.py')).length, 0);
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
