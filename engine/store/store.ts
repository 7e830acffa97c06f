import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lexicalTokens } from '../text/identifiers.js';
import { CacheCorruptionError } from '../errors.js';
import { Database, isCorruptionError, type SqlValue } from './database.js';
import type { BatchWriteResult, ChunkRecord, FileTouch, FileUpdate, StoreCounts, StoredFile, VectorWrite } from './records.js';
import { migrate } from './schema.js';

const IN_LIST = 400;

/** Chunk columns of search results, joined with their file. */
const CHUNK_SELECT = `SELECT c.id, c.file_id AS fileId, f.path, f.language, c.symbol, c.parent, c.kind,
  c.start_line AS startLine, c.end_line AS endLine, c.doc, c.text, c.content_hash AS contentHash, c.complexity
  FROM chunks c JOIN files f ON f.id = c.file_id`;

/**
 * The workspace cache: files, chunks, quantised vectors (deduplicated by
 * content hash and keyed by model), definitions and references, and an FTS5
 * index over identifier-split chunk text. One writer; every batch is one transaction.
 */
export class WorkspaceStore {
  private constructor(readonly db: Database) {}

  static async open(path: string): Promise<WorkspaceStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = await Database.open(path);
    try {
      await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;');
      await migrate(db);
      // A truncated or garbage file often opens fine and fails on first read: touch every table once.
      await db.get('SELECT (SELECT count(*) FROM meta) + (SELECT max(id) IS NULL FROM files) + (SELECT max(id) IS NULL FROM chunks)');
    } catch (error) {
      await db.close().catch(() => undefined);
      if (error instanceof CacheCorruptionError) throw error;
      if (isCorruptionError(error) || /file is not a database|malformed/i.test(String(error))) {
        throw new CacheCorruptionError(`The index cache is corrupt (${path}): ${(error as Error).message}`, { cachePath: path }, { cause: error });
      }
      throw error;
    }
    return new WorkspaceStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async files(): Promise<Map<string, StoredFile>> {
    const rows = await this.db.all<StoredFile>('SELECT id, path, language, size, mtime_ms AS mtimeMs, content_hash AS contentHash FROM files');
    return new Map(rows.map((row) => [row.path, row]));
  }

  /** Which of `hashes` have no vector for `modelId` yet. */
  async missingVectors(modelId: string, hashes: readonly string[]): Promise<Set<string>> {
    const missing = new Set(hashes);
    for (let start = 0; start < hashes.length; start += IN_LIST) {
      const slice = hashes.slice(start, start + IN_LIST);
      const rows = await this.db.all<{ content_hash: string }>(
        `SELECT content_hash FROM vectors WHERE model_id = ? AND content_hash IN (${slice.map(() => '?').join(',')})`,
        [modelId, ...slice],
      );
      for (const row of rows) missing.delete(row.content_hash);
    }
    return missing;
  }

  /**
   * Replaces the given files, removes deleted ones, stores new vectors and
   * re-resolves the references of every file that pointed into the batch,
   * all in one transaction: a crash leaves the previous or the next state, never a mix.
   */
  async writeBatch(modelId: string, updates: readonly FileUpdate[], deletedPaths: readonly string[], vectors: readonly VectorWrite[], touches: readonly FileTouch[] = []): Promise<BatchWriteResult> {
    return this.db.transaction(async () => {
      const now = Date.now();
      const replacedPaths = [...deletedPaths, ...updates.map((update) => update.path)];
      const oldFiles = await this.selectIn<{ id: number }>('SELECT id FROM files WHERE path IN', replacedPaths);
      const oldFileIds = oldFiles.map((row) => row.id);
      const newDefinitionNames = [...new Set(updates.flatMap((update) => update.chunks.map((chunk) => chunk.symbol).filter((name): name is string => name !== null)))];

      // Files outside the batch whose references point into the files being replaced.
      const dependents = new Set<number>();
      for (const row of await this.selectIn<{ file_id: number }>('SELECT DISTINCT file_id FROM refs WHERE target_file_id IN', oldFileIds)) dependents.add(row.file_id);
      for (const id of oldFileIds) dependents.delete(id);

      const removedChunkIds = (await this.selectIn<{ id: number }>('SELECT id FROM chunks WHERE file_id IN', oldFileIds)).map((row) => row.id);
      await this.runIn('DELETE FROM chunks_fts WHERE rowid IN', removedChunkIds);
      await this.runIn('DELETE FROM files WHERE id IN', oldFileIds);

      let nextFileId = ((await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM files'))?.id ?? 0) + 1;
      let nextChunkId = ((await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM chunks'))?.id ?? 0) + 1;
      const fileRows: SqlValue[][] = [];
      const chunkRows: SqlValue[][] = [];
      const ftsRows: SqlValue[][] = [];
      const definitionRows: SqlValue[][] = [];
      const referenceRows: SqlValue[][] = [];
      const addedChunks: BatchWriteResult['addedChunks'] = [];
      const newFileIds: number[] = [];
      for (const update of updates) {
        const fileId = nextFileId++;
        newFileIds.push(fileId);
        fileRows.push([fileId, update.path, update.language, update.size, update.mtimeMs, update.contentHash, update.method, JSON.stringify(update.analysis.imports), now]);
        const pathTokens = lexicalTokens(update.path).join(' ');
        for (const chunk of update.chunks) {
          const chunkId = nextChunkId++;
          chunkRows.push([
            chunkId, fileId, chunk.ordinal, chunk.contentHash, chunk.symbol, chunk.parent, chunk.kind, chunk.startLine, chunk.endLine, chunk.doc, chunk.text,
            chunk.metrics.nodeCount, chunk.metrics.depth, chunk.metrics.complexity, JSON.stringify(chunk.calls), JSON.stringify(chunk.identifiers),
          ]);
          const symbolTokens = chunk.symbol ? lexicalTokens(`${chunk.parent ?? ''} ${chunk.symbol}`).join(' ') : '';
          ftsRows.push([chunkId, symbolTokens, pathTokens, chunk.doc ? lexicalTokens(chunk.doc).join(' ') : '', lexicalTokens(chunk.text).join(' ')]);
          if (chunk.symbol) definitionRows.push([fileId, chunkId, chunk.symbol, chunk.kind, chunk.startLine]);
          for (const name of chunk.calls) referenceRows.push([chunkId, fileId, name]);
          addedChunks.push({ id: chunkId, fileId, contentHash: chunk.contentHash });
        }
      }
      await this.db.insertMany('files', ['id', 'path', 'language', 'size', 'mtime_ms', 'content_hash', 'chunk_method', 'imports', 'indexed_at'], fileRows);
      await this.db.insertMany('chunks', ['id', 'file_id', 'ordinal', 'content_hash', 'symbol', 'parent', 'kind', 'start_line', 'end_line', 'doc', 'text', 'node_count', 'depth', 'complexity', 'calls', 'identifiers'], chunkRows);
      await this.db.insertMany('chunks_fts', ['rowid', 'symbol', 'path', 'doc', 'body'], ftsRows);
      await this.db.insertMany('definitions', ['file_id', 'chunk_id', 'name', 'kind', 'line'], definitionRows);
      await this.db.insertMany('refs', ['chunk_id', 'file_id', 'name'], referenceRows);
      await this.db.insertMany('vectors', ['model_id', 'content_hash', 'vector', 'last_used'], vectors.map((vector) => [modelId, vector.contentHash, vector.blob, now]), 'INSERT OR IGNORE');
      for (const touch of touches) await this.db.run('UPDATE files SET size = ?, mtime_ms = ? WHERE path = ?', [touch.size, touch.mtimeMs, touch.path]);

      // ...and files with unresolved references to a name the batch now defines. Resolved references
      // elsewhere keep their target: resolution prefers the same file, then the oldest file.
      for (const row of await this.selectIn<{ file_id: number }>('SELECT DISTINCT file_id FROM refs WHERE target_chunk_id IS NULL AND name IN', newDefinitionNames)) {
        if (!newFileIds.includes(row.file_id)) dependents.add(row.file_id);
      }
      let refreshedReferences = await this.resolveReferences(newFileIds, false);
      refreshedReferences += await this.resolveReferences([...dependents], true);
      return { removedChunkIds, addedChunks, dependentFiles: dependents.size, refreshedReferences };
    });
  }

  /**
   * Points references of the given files at a chunk defining that name: the
   * same file first, then the oldest file. Name-based, so it needs no type
   * information; each lookup is one seek in `definitions_name_file`.
   */
  private async resolveReferences(fileIds: readonly number[], unresolvedOnly: boolean): Promise<number> {
    let changes = 0;
    for (let start = 0; start < fileIds.length; start += IN_LIST) {
      const slice = fileIds.slice(start, start + IN_LIST);
      const list = slice.map(() => '?').join(',');
      const result = await this.db.run(
        `UPDATE refs SET target_chunk_id = coalesce(
           (SELECT d.chunk_id FROM definitions d WHERE d.name = refs.name AND d.file_id = refs.file_id ORDER BY d.line LIMIT 1),
           (SELECT d.chunk_id FROM definitions d WHERE d.name = refs.name ORDER BY d.file_id, d.line LIMIT 1))
         WHERE file_id IN (${list})${unresolvedOnly ? ' AND target_chunk_id IS NULL' : ''}`,
        slice,
      );
      await this.db.run(
        `UPDATE refs SET target_file_id = (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id)
         WHERE file_id IN (${list}) AND target_chunk_id IS NOT NULL AND target_file_id IS NOT (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id)`,
        slice,
      );
      changes += result.changes;
    }
    return changes;
  }

  /** Content hashes (with text) of indexed chunks that have no vector for `modelId`, e.g. after a model change. */
  async chunksWithoutVectors(modelId: string, limit: number): Promise<{ contentHash: string; text: string }[]> {
    return this.db.all(
      `SELECT c.content_hash AS contentHash, min(c.text) AS text FROM chunks c
       WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.content_hash = c.content_hash)
       GROUP BY c.content_hash LIMIT ?`,
      [modelId, limit],
    );
  }

  async writeVectors(modelId: string, vectors: readonly VectorWrite[]): Promise<void> {
    const now = Date.now();
    await this.db.transaction(() => this.db.insertMany('vectors', ['model_id', 'content_hash', 'vector', 'last_used'], vectors.map((vector) => [modelId, vector.contentHash, vector.blob, now]), 'INSERT OR IGNORE'));
  }

  /** Chunk ids and files that use each of the given content hashes. */
  async chunksWithHashes(hashes: readonly string[]): Promise<{ id: number; fileId: number; contentHash: string }[]> {
    return this.selectIn('SELECT id, file_id AS fileId, content_hash AS contentHash FROM chunks WHERE content_hash IN', hashes);
  }

  /** Streams (chunk, vector) pairs of a model for building the in-memory dense index. */
  eachChunkVector(modelId: string, onRow: (row: { id: number; fileId: number; vector: Buffer }) => void): Promise<number> {
    return this.db.each('SELECT c.id, c.file_id AS fileId, v.vector FROM chunks c JOIN vectors v ON v.model_id = ? AND v.content_hash = c.content_hash', [modelId], onRow);
  }

  async vectorsFor(modelId: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (let start = 0; start < hashes.length; start += IN_LIST) {
      const slice = hashes.slice(start, start + IN_LIST);
      const rows = await this.db.all<{ content_hash: string; vector: Buffer }>(
        `SELECT content_hash, vector FROM vectors WHERE model_id = ? AND content_hash IN (${slice.map(() => '?').join(',')})`,
        [modelId, ...slice],
      );
      for (const row of rows) found.set(row.content_hash, row.vector);
    }
    return found;
  }

  async fileIndex(): Promise<Map<number, { path: string; language: string }>> {
    const rows = await this.db.all<{ id: number; path: string; language: string }>('SELECT id, path, language FROM files');
    return new Map(rows.map((row) => [row.id, { path: row.path, language: row.language }]));
  }

  /** BM25 over the FTS index; lower SQLite bm25 is better, so scores are negated (higher is better). */
  async lexicalSearch(match: string, limit: number): Promise<{ id: number; score: number }[]> {
    if (!match) return [];
    const rows = await this.db.all<{ id: number; rank: number }>(
      'SELECT rowid AS id, bm25(chunks_fts, 4.0, 1.5, 2.0, 1.0) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?',
      [match, limit],
    );
    return rows.map((row) => ({ id: row.id, score: -row.rank }));
  }

  async chunksByIds(ids: readonly number[]): Promise<Map<number, ChunkRecord>> {
    const rows = await this.selectIn<ChunkRecord>(`${CHUNK_SELECT} WHERE c.id IN`, ids);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The innermost chunk covering `line` of `path`. */
  async chunkAt(path: string, line: number): Promise<ChunkRecord | undefined> {
    return this.db.get<ChunkRecord>(`${CHUNK_SELECT} WHERE f.path = ? AND c.start_line <= ? AND c.end_line >= ? ORDER BY (c.end_line - c.start_line), c.id LIMIT 1`, [path, line, line]);
  }

  async chunksOfFile(path: string): Promise<ChunkRecord[]> {
    return this.db.all<ChunkRecord>(`${CHUNK_SELECT} WHERE f.path = ? ORDER BY c.ordinal`, [path]);
  }

  async counts(modelId: string): Promise<StoreCounts> {
    const row = await this.db.get<StoreCounts>(
      `SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM chunks) AS chunks, (SELECT count(*) FROM vectors) AS vectors,
        (SELECT count(*) FROM vectors WHERE model_id = ?) AS vectorsForModel, (SELECT count(*) FROM refs) AS "references",
        (SELECT count(*) FROM refs WHERE target_chunk_id IS NOT NULL) AS resolvedReferences`,
      [modelId],
    );
    return row!;
  }

  /**
   * Drops vectors of other models, and unreferenced vectors of this one beyond
   * a reserve (kept so that switching back to a branch reuses them), oldest first.
   */
  async collectGarbage(modelId: string, orphanReserve: number): Promise<{ otherModels: number; orphans: number }> {
    return this.db.transaction(async () => {
      const otherModels = (await this.db.run('DELETE FROM vectors WHERE model_id != ?', [modelId])).changes;
      const orphanCount = (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM vectors v WHERE model_id = ? AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = v.content_hash)', [modelId]))!.n;
      let orphans = 0;
      if (orphanCount > orphanReserve) {
        orphans = (await this.db.run(
          `DELETE FROM vectors WHERE model_id = ? AND content_hash IN (
             SELECT content_hash FROM vectors v WHERE model_id = ? AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = v.content_hash)
             ORDER BY last_used LIMIT ?)`,
          [modelId, modelId, orphanCount - orphanReserve],
        )).changes;
      }
      return { otherModels, orphans };
    });
  }

  async integrityCheck(): Promise<string[]> {
    const rows = await this.db.all<{ integrity_check: string }>('PRAGMA integrity_check');
    return rows.map((row) => row.integrity_check).filter((message) => message !== 'ok');
  }

  /** Rows that reference something missing; empty for a consistent cache. */
  async orphanCounts(): Promise<Record<string, number>> {
    const row = await this.db.get<Record<string, number>>(
      `SELECT (SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = c.file_id)) AS chunksWithoutFile,
        (SELECT count(*) FROM refs r WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = r.chunk_id)) AS refsWithoutChunk,
        (SELECT count(*) FROM definitions d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = d.file_id)) AS definitionsWithoutFile,
        (SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)) AS ftsWithoutChunk`,
    );
    return Object.fromEntries(Object.entries(row ?? {}).filter(([, count]) => count > 0));
  }

  private async selectIn<T>(prefix: string, values: readonly SqlValue[]): Promise<T[]> {
    const rows: T[] = [];
    for (let start = 0; start < values.length; start += IN_LIST) {
      const slice = values.slice(start, start + IN_LIST);
      rows.push(...(await this.db.all<T>(`${prefix} (${slice.map(() => '?').join(',')})`, slice)));
    }
    return rows;
  }

  private async runIn(prefix: string, values: readonly SqlValue[]): Promise<void> {
    for (let start = 0; start < values.length; start += IN_LIST) {
      const slice = values.slice(start, start + IN_LIST);
      await this.db.run(`${prefix} (${slice.map(() => '?').join(',')})`, slice);
    }
  }
}
