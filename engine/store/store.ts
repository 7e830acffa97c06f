import { openCacheDatabase, quickCheck, walBytes } from './cacheFile.js';
import { Database, type SqlValue } from './database.js';
import { fileRowTerms, LEXICAL_INDEX_FORMAT, lexicalPathTokens, type RowTerms } from '../lexical/lexicalRows.js';
import { searchSegments } from '../lexical/lexicalIndex.js';
import { compactionStart, encodeSegment, isSmallSegment, LiveRows, mergeSegments, PostingSegment, segmentOfRows, type SegmentContent } from '../lexical/postingSegment.js';
import { corrupt } from './cacheErrors.js';
import { randomBytes } from 'node:crypto';
import type { BatchWriteResult, ChunkRecord, ChunkSummary, ChunkToStore, DenseSettingsRecord, FileTouch, FileUpdate, GenerationChange, LexicalChange, StoreCounts, StoredFile, VectorWrite } from './records.js';

const IN_LIST = 400;

const FILE_COLUMNS = ['id', 'path', 'language', 'size', 'mtime_ms', 'content_hash', 'chunk_method', 'imports', 'indexed_at'];

/** What makes a stored chunk the same as a newly analysed one: its file and everything the index derives from its text. */
function chunkIdentity(fileId: number, contentHash: string, symbol: string | null, parent: string | null, kind: string, doc: string | null): string {
  return JSON.stringify([fileId, contentHash, symbol, parent, kind, doc]);
}

function randomToken(): string {
  return randomBytes(12).toString('hex');
}

/**
 * The doc of chunk `c` as a reader sees it: its own, or for a later piece of a split definition
 * (which stores none) its first piece's, the chunk `piece` ordinals before it in the same file. Only
 * the chunks search returns read it, so it costs one walk of a file's chunks (its file index) per
 * later piece returned. Stored rows are deleted and re-indexed from `c.doc` itself, never from
 * this: it is not what their lexical row holds.
 */
const CHUNK_DOC = `CASE WHEN c.doc IS NULL AND c.piece > 0 THEN (
    SELECT first.doc FROM chunks first WHERE first.file_id = c.file_id AND first.ordinal = c.ordinal - c.piece
      AND first.piece = 0 AND first.kind = c.kind AND first.symbol IS c.symbol AND first.parent IS c.parent
  ) ELSE c.doc END`;

/** Chunk columns of search results, joined with their file. */
const CHUNK_SELECT = `SELECT c.id, c.file_id AS fileId, f.path, f.language, c.symbol, c.parent, c.kind,
  c.start_line AS startLine, c.end_line AS endLine, ${CHUNK_DOC} AS doc, c.text, c.content_hash AS contentHash, c.complexity
  FROM chunks c JOIN files f ON f.id = c.file_id`;

/** `CHUNK_SELECT` without the text, doc, hash and metrics: a query's few hundred candidates are ranked by these. */
const CHUNK_SUMMARY_SELECT = `SELECT c.id, c.file_id AS fileId, f.path, f.language, c.symbol, c.parent, c.kind,
  c.start_line AS startLine, c.end_line AS endLine
  FROM chunks c JOIN files f ON f.id = c.file_id`;

/**
 * The chunk a reference resolves to, as an SQL expression over `refs`: a definition of its name in
 * the same file first (the earliest line), then in the oldest file. Every resolution path uses it.
 */
const REFERENCE_TARGET_CHUNK = `coalesce(
           (SELECT d.chunk_id FROM definitions d WHERE d.name = refs.name AND d.file_id = refs.file_id ORDER BY d.line LIMIT 1),
           (SELECT d.chunk_id FROM definitions d WHERE d.name = refs.name ORDER BY d.file_id, d.line LIMIT 1))`;

/** What a chunk's lexical row is derived from (`fileRowTerms`), joined with its file's path. */
const LEXICAL_SOURCE_SELECT = 'SELECT c.id, f.path, c.symbol, c.parent, c.doc, c.text FROM chunks c JOIN files f ON f.id = c.file_id';

interface LexicalSourceRow {
  readonly id: number;
  readonly path: string;
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly doc: string | null;
  readonly text: string;
}

/** The summary of a chunk as written, as `chunkSummariesByIds` reads it back. */
function chunkSummaryOf(id: number, fileId: number, file: FileUpdate, chunk: ChunkToStore): ChunkSummary {
  return { id, fileId, path: file.path, language: file.language, symbol: chunk.symbol, parent: chunk.parent, kind: chunk.kind, startLine: chunk.startLine, endLine: chunk.endLine };
}

/** The meta key of `lexicalGeneration`. */
const LEXICAL_GENERATION = 'lexical_generation';

/** The random token under meta `key`, created when the cache has none yet. */
async function currentToken(db: Database, key: string): Promise<string> {
  const read = async () => (await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
  const found = await read();
  if (found !== undefined) return found;
  await db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING', [key, randomToken()]);
  return (await read())!;
}

/** Replaces the random token under meta `key`; the previous value and the new one. */
async function bumpToken(db: Database, key: string): Promise<GenerationChange> {
  const previous = (await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value ?? null;
  const current = randomToken();
  await db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, current]);
  return { previous, current };
}

/** Appends one lexical segment; AUTOINCREMENT gives it an id above every segment written before. */
async function insertSegment(db: Database, content: SegmentContent): Promise<void> {
  await db.run('INSERT INTO lexical_segments (rows, removed, data) VALUES (?, ?, ?)', [content.rows.length, content.removed.length, encodeSegment(content)]);
}

/** Rows a segment holds when the store rebuilds the lexical index from the chunks. */
const REBUILD_SEGMENT_ROWS = 16_384;

/**
 * The workspace cache: files, chunks, quantised vectors (deduplicated by
 * content hash and keyed by model), definitions and references, and the lexical
 * index over identifier-split chunk text as segments of postings (engine/lexical/postingSegment.ts).
 * One writer; every batch is one transaction.
 */
export class WorkspaceStore {
  private constructor(readonly db: Database) {}

  /**
   * A second, read-only connection for `missingVectors`: on the write connection the indexer's
   * lookup of the next batch queued behind the write transactions of the ones before it, and the
   * workers waited for both. Opened at the first lookup, so a process that only searches never
   * opens it; the write connection itself for an in-memory cache.
   */
  private lookups: Promise<Database> | null = null;

  private lookupConnection(): Promise<Database> {
    if (this.db.path === ':memory:') return Promise.resolve(this.db);
    if (!this.lookups) {
      const opening = Database.open(this.db.path, Database.READ_ONLY).then(async (lookups) => {
        await lookups.exec('PRAGMA busy_timeout = 5000');
        return lookups;
      });
      // A failed open is not kept: the next lookup tries again (and reports its own error).
      opening.catch(() => {
        if (this.lookups === opening) this.lookups = null;
      });
      this.lookups = opening;
    }
    return this.lookups;
  }

  /** Opens or creates the cache; see `openCacheDatabase` for what is refused and checked. */
  static async open(path: string): Promise<WorkspaceStore> {
    const db = await openCacheDatabase(path);
    try {
      await rebuildLexicalIndexIfStale(db);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return new WorkspaceStore(db);
  }

  async close(): Promise<void> {
    const lookups = this.lookups;
    this.lookups = null;
    if (lookups) await (await lookups.catch(() => null))?.close().catch(() => undefined);
    return this.db.close();
  }

  /**
   * Returns a large write-ahead log's disk space once a run is over. SQLite reuses the WAL from
   * its start after a checkpoint but never shrinks the file, and a cold index of the bench
   * corpus (183,395 chunks) left it at 118 MB beside a 385 MB cache (the lookup connection's
   * reads hold back checkpoints mid-run), for as long as the session stays open. A TRUNCATE
   * checkpoint copies what is left into the cache and empties the file; below `minimumBytes` it
   * is not worth the fsync (an editor's one-file runs stay under a few MB). A checkpoint that
   * cannot finish (another process reading) leaves the WAL as it was: the next run tries again.
   */
  async truncateWriteAheadLog(minimumBytes: number): Promise<boolean> {
    if (this.db.path === ':memory:') return false;
    const bytes = walBytes(this.db.path);
    // 0: no WAL file (not in WAL mode yet, or removed) or an empty one, nothing to return.
    if (bytes === 0 || bytes < minimumBytes) return false;
    const result = await this.db.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)');
    return result?.busy === 0;
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

  /** The languages of the indexed files. */
  async indexedLanguages(): Promise<string[]> {
    return (await this.db.all<{ language: string }>('SELECT DISTINCT language FROM files')).map((row) => row.language);
  }

  /**
   * The stored files at these workspace-relative paths or below them (a path may
   * name a directory): what an update for a few changed paths needs, without
   * reading every file row. Each path is one index seek (exact) plus one range.
   */
  async filesAt(paths: readonly string[]): Promise<Map<string, StoredFile>> {
    const found = new Map<string, StoredFile>();
    for (const path of new Set(paths)) {
      // '/' + 1 is '0': [path/, path0) is everything below the directory `path`.
      const rows = await this.db.all<StoredFile>(
        'SELECT id, path, language, size, mtime_ms AS mtimeMs, content_hash AS contentHash FROM files WHERE path = ? OR (path >= ? AND path < ?)',
        [path, `${path}/`, `${path}0`],
      );
      for (const row of rows) found.set(row.path, row);
    }
    return found;
  }

  /**
   * Which of `hashes` have no committed vector for `modelId` yet. Read on the lookup connection, so
   * it does not wait for a write in progress and does not see its rows: the indexer counts the
   * vectors it has embedded but not yet committed as present itself.
   */
  async missingVectors(modelId: string, hashes: readonly string[]): Promise<Set<string>> {
    const missing = new Set(hashes);
    const db = await this.lookupConnection();
    for (let start = 0; start < hashes.length; start += IN_LIST) {
      const slice = hashes.slice(start, start + IN_LIST);
      const rows = await db.all<{ content_hash: string }>(
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
  /**
   * Writes one batch in one transaction. A re-analysed file keeps its file id
   * and the rows of every chunk whose content did not change (matched by content
   * hash, symbol, parent, kind and doc); only their position is updated. An edit
   * therefore rewrites the chunks it touched, and references into the rest of
   * the file stay resolved.
   */
  async writeBatch(modelId: string, updates: readonly FileUpdate[], deletedPaths: readonly string[], vectors: readonly VectorWrite[], touches: readonly FileTouch[] = []): Promise<BatchWriteResult> {
    // One row per path: a later update of a path wins, and a path both updated and deleted is updated.
    updates = [...new Map(updates.map((update) => [update.path, update])).values()];
    const updatedPaths = new Set(updates.map((update) => update.path));
    deletedPaths = [...new Set(deletedPaths)].filter((path) => !updatedPaths.has(path));
    return this.writing(async () => {
      // First in the transaction: a reader on this connection that sees any of its rows sees the new token too.
      const willChange = updates.length > 0 || deletedPaths.length > 0 || vectors.length > 0;
      const generation = willChange ? await this.bumpGeneration() : await this.unchangedGeneration();
      const lexicalGeneration = updates.length > 0 || deletedPaths.length > 0 ? await bumpToken(this.db, LEXICAL_GENERATION) : null;
      const now = Date.now();
      const oldFiles = await this.selectIn<{ id: number; path: string }>('SELECT id, path FROM files WHERE path IN', [...deletedPaths, ...updates.map((update) => update.path)]);
      const oldFileIdByPath = new Map(oldFiles.map((row) => [row.path, row.id]));
      const deletedFileIds = deletedPaths.map((path) => oldFileIdByPath.get(path)).filter((id): id is number => id !== undefined);
      const updatedFileIds = updates.map((update) => oldFileIdByPath.get(update.path)).filter((id): id is number => id !== undefined);

      // Existing chunks of re-analysed files, by identity, to keep the unchanged ones.
      const keptByKey = new Map<string, number[]>();
      for (const row of await this.selectIn<{ id: number; file_id: number; content_hash: string; symbol: string | null; parent: string | null; kind: string; doc: string | null }>(
        'SELECT id, file_id, content_hash, symbol, parent, kind, doc FROM chunks WHERE file_id IN',
        updatedFileIds,
      )) {
        const key = chunkIdentity(row.file_id, row.content_hash, row.symbol, row.parent, row.kind, row.doc);
        keptByKey.set(key, [...(keptByKey.get(key) ?? []), row.id]);
      }

      let nextFileId = ((await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM files'))?.id ?? 0) + 1;
      let nextChunkId = ((await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM chunks'))?.id ?? 0) + 1;
      const insertedFileRows: SqlValue[][] = [];
      const updatedFileRows: SqlValue[][] = [];
      const chunkRows: SqlValue[][] = [];
      const movedChunkRows: SqlValue[][] = [];
      const segmentRows: { id: number; row: RowTerms }[] = [];
      const definitionRows: SqlValue[][] = [];
      const referenceRows: SqlValue[][] = [];
      const addedChunks: BatchWriteResult['addedChunks'] = [];
      const addedLexical: LexicalChange['added'][number][] = [];
      const summaries: ChunkSummary[] = [];
      const writtenFileIds: number[] = [];
      for (const update of updates) {
        const existingId = oldFileIdByPath.get(update.path);
        const fileId = existingId ?? nextFileId++;
        writtenFileIds.push(fileId);
        const fileRow = [fileId, update.path, update.language, update.size, update.mtimeMs, update.contentHash, update.method, JSON.stringify(update.analysis.imports), now];
        (existingId === undefined ? insertedFileRows : updatedFileRows).push(fileRow);
        // Chunks that come without their rows (an API caller, not the workers) share one dictionary, as the workers' do.
        const pathTokens = lexicalPathTokens(update.path);
        const derivedRows = update.chunks.some((chunk) => !chunk.lexical) ? fileRowTerms(pathTokens, update.chunks) : null;
        for (const [at, chunk] of update.chunks.entries()) {
          const kept = existingId === undefined ? undefined : keptByKey.get(chunkIdentity(fileId, chunk.contentHash, chunk.symbol, chunk.parent, chunk.kind, chunk.doc))?.shift();
          if (kept !== undefined) {
            // Same content up to whitespace: the lexical row stays valid, the text takes the new whitespace.
            // A later piece stores no doc, so it is kept when only its first piece (or the doc) changed;
            // its piece number follows, since reads find the first piece through it.
            movedChunkRows.push([kept, chunk.ordinal, chunk.startLine, chunk.endLine, chunk.text, chunk.piece]);
            summaries.push(chunkSummaryOf(kept, fileId, update, chunk));
            continue;
          }
          const chunkId = nextChunkId++;
          summaries.push(chunkSummaryOf(chunkId, fileId, update, chunk));
          chunkRows.push([
            chunkId, fileId, chunk.ordinal, chunk.contentHash, chunk.symbol, chunk.parent, chunk.kind, chunk.startLine, chunk.endLine, chunk.doc, chunk.text,
            chunk.metrics.nodeCount, chunk.metrics.complexity, chunk.piece,
          ]);
          const terms = chunk.lexical ?? derivedRows![at]!;
          segmentRows.push({ id: chunkId, row: terms });
          addedLexical.push({ id: chunkId, terms });
          if (chunk.symbol) definitionRows.push([fileId, chunkId, chunk.symbol, chunk.kind, chunk.startLine]);
          if (chunk.calls.length > 0) referenceRows.push([chunkId, fileId, JSON.stringify(chunk.calls)]);
          addedChunks.push({ id: chunkId, fileId, contentHash: chunk.contentHash });
        }
      }

      // Chunks that left: those of deleted files and the unmatched ones of re-analysed files.
      const removedChunkIds = [
        ...(await this.selectIn<{ id: number }>('SELECT id FROM chunks WHERE file_id IN', deletedFileIds)).map((row) => row.id),
        ...[...keptByKey.values()].flat(),
      ];
      // References that pointed at what is being removed, and the files outside the batch that hold them.
      const orphaned = await this.selectIn<{ rowid: number; file_id: number }>('SELECT rowid, file_id FROM refs WHERE target_chunk_id IN', removedChunkIds);
      const dependents = new Set(orphaned.map((row) => row.file_id));
      await this.runIn('DELETE FROM chunks WHERE id IN', removedChunkIds);
      await this.runIn('DELETE FROM files WHERE id IN', deletedFileIds);

      await this.db.insertMany('files', FILE_COLUMNS, insertedFileRows);
      // An UPDATE, not INSERT OR REPLACE: replacing would delete the row and cascade to its chunks.
      for (const [id, ...row] of updatedFileRows) {
        await this.db.run('UPDATE files SET path = ?, language = ?, size = ?, mtime_ms = ?, content_hash = ?, chunk_method = ?, imports = ?, indexed_at = ? WHERE id = ?', [...row, id!]);
      }
      await this.db.insertMany('chunks', ['id', 'file_id', 'ordinal', 'content_hash', 'symbol', 'parent', 'kind', 'start_line', 'end_line', 'doc', 'text', 'node_count', 'complexity', 'piece'], chunkRows);
      await this.moveChunks(movedChunkRows);
      if (segmentRows.length > 0 || removedChunkIds.length > 0) await this.appendLexicalSegment(segmentRows, removedChunkIds);
      await this.db.insertMany('definitions', ['file_id', 'chunk_id', 'name', 'kind', 'line'], definitionRows);
      // One row per chunk, its called names as a JSON array expanded by json_each: a cold index binds
      // about 4.6 names a chunk, and binding every (chunk, file, name) row was the largest share of the
      // driver's parameter work on the coordinator's thread.
      await this.db.runMany((values) => `INSERT INTO refs (chunk_id, file_id, name) SELECT v.column1, v.column2, j.value FROM (${values}) AS v, json_each(v.column3) AS j`, 3, referenceRows);
      await this.db.insertMany('vectors', ['model_id', 'content_hash', 'vector', 'last_used'], vectors.map((vector) => [modelId, vector.contentHash, vector.blob, now]), 'INSERT OR IGNORE');
      for (const touch of touches) await this.db.run('UPDATE files SET size = ?, mtime_ms = ? WHERE path = ?', [touch.size, touch.mtimeMs, touch.path]);

      // ...and files with unresolved references to a name the batch newly defines (kept chunks' names
      // were defined already). Resolved references elsewhere keep their target: resolution prefers
      // the same file, then the oldest file. The unary + keeps SQLite on the name index: most
      // references are unresolved (library calls), so the target index would scan them all.
      const namesDefinedAnew = [...new Set(definitionRows.map((row) => row[2] as string))];
      for (const id of writtenFileIds) dependents.delete(id);
      for (const id of deletedFileIds) dependents.delete(id);
      // New files resolve every reference. A re-analysed file's kept references are still right unless
      // their target left (now unresolved) or the file gained a same-named definition (same file wins).
      const insertedFileIds = insertedFileRows.map((row) => row[0] as number);
      let refreshedReferences = await this.resolveReferences(insertedFileIds, 'all');
      refreshedReferences += await this.resolveReferences(updatedFileIds, { unresolvedOrNamed: namesDefinedAnew });
      // In the files outside the batch only the orphaned references can change: any other unresolved one names
      // nothing defined (names the batch defines anew resolve below). Re-resolving every unresolved reference of
      // those files instead cost 0.2-0.4 s per edit when one of them was a 100k-reference file (lodash.js).
      refreshedReferences += await this.resolveReferenceRows(orphaned.filter((row) => dependents.has(row.file_id)).map((row) => row.rowid));
      // Unresolved references elsewhere to a name the batch newly defines resolve by name, through the
      // partial index of unresolved references: the cost is the references that resolve, not every
      // unresolved reference of every file that has one (a cold index re-resolved millions of rows).
      const written = new Set(writtenFileIds);
      const resolvedByName = await this.resolveUnresolvedNamed(namesDefinedAnew, written);
      refreshedReferences += resolvedByName.references;
      for (const id of resolvedByName.files) dependents.add(id);
      const lexical = lexicalGeneration ? { generation: lexicalGeneration, removed: removedChunkIds, added: addedLexical, summaries } : undefined;
      return { removedChunkIds, addedChunks, dependentFiles: dependents.size, refreshedReferences, generation, lexical };
    });
  }

  /** Appends one write's lexical segment, then merges segments when they have piled up (`compactionStart`). */
  private async appendLexicalSegment(rows: readonly { id: number; row: RowTerms }[], removed: readonly number[]): Promise<void> {
    await insertSegment(this.db, segmentOfRows(rows, removed));
    const segments = await this.db.all<{ id: number; rows: number; removed: number }>('SELECT id, rows, removed FROM lexical_segments ORDER BY id');
    const start = compactionStart(segments);
    if (start === null) return;
    const merged = segments.slice(start);
    const views = await this.readSegments(merged[0]!.id);
    const mergedContent = mergeSegments(views, start === 0);
    await this.db.run('DELETE FROM lexical_segments WHERE id >= ?', [merged[0]!.id]);
    // A new id (AUTOINCREMENT), above every segment left, since the run was the last: the order holds.
    await insertSegment(this.db, mergedContent);
  }

  /** The lexical segments from id `fromId` on, in order. */
  private async readSegments(fromId = 0): Promise<PostingSegment[]> {
    const rows = await this.db.all<{ id: number; data: Buffer }>('SELECT id, data FROM lexical_segments WHERE id >= ? ORDER BY id', [fromId]);
    return rows.map((row) => this.segmentOf(row));
  }

  private segmentOf(row: { id: number; data: Buffer }): PostingSegment {
    try {
      return new PostingSegment(row.data);
    } catch (error) {
      throw corrupt(this.db.path, `lexical segment ${row.id}: ${(error as Error).message}`, 'lexical-segments', error);
    }
  }

  /**
   * The segments a search of this process read last, with their live rows. Segments never change
   * once written (a merge or a rebuild writes new ids), so a later search reads only the segments
   * after the last large one (`isSmallSegment`: merges only ever replace a trailing run of small
   * ones) and extends the live rows at that point by them: after an editor's write, where reading
   * every segment again cost 50 ms at 183k chunks (bench:speed's edit probe).
   */
  private segmentSnapshot: {
    readonly ids: readonly number[];
    readonly segments: readonly PostingSegment[];
    readonly live: LiveRows;
    /** How many segments lead up to and include the last large one, and the live rows after them. */
    readonly settled: number;
    readonly settledLive: LiveRows;
  } | null = null;

  /** The segments now, and their live rows; one statement, so a write in between cannot split what is read. */
  private async currentSegments(): Promise<{ readonly segments: readonly PostingSegment[]; readonly live: LiveRows }> {
    const known = this.segmentSnapshot;
    const after = known && known.settled > 0 ? known.ids[known.settled - 1]! : -1;
    const rows = await this.db.all<{ id: number; data: Buffer | null }>('SELECT id, CASE WHEN id > ? THEN data END AS data FROM lexical_segments ORDER BY id', [after]);
    let settled = 0;
    let settledLive = LiveRows.of([]);
    let kept: PostingSegment[] = [];
    if (known && rows.length >= known.settled && known.ids.slice(0, known.settled).every((id, at) => rows[at]!.id === id)) {
      if (rows.length === known.ids.length && rows.every((row, at) => row.id === known.ids[at])) return known;
      settled = known.settled;
      settledLive = known.settledLive;
      kept = known.segments.slice(0, settled);
    } else if (known) {
      // A full merge or a rebuild (or another process's): read every segment again, in one statement.
      this.segmentSnapshot = null;
      return this.currentSegments();
    }
    const fresh = rows.slice(settled).map((row) => this.segmentOf(row as { id: number; data: Buffer }));
    // The large ones among the fresh segments settle too: no merge of a trailing small run reaches them.
    let lastLarge = -1;
    fresh.forEach((segment, at) => {
      if (!isSmallSegment(segment)) lastLarge = at;
    });
    if (lastLarge >= 0) {
      settledLive = settledLive.extended(fresh.slice(0, lastLarge + 1), settled);
      settled += lastLarge + 1;
    }
    const segments = [...kept, ...fresh];
    const live = settledLive.extended(segments.slice(settled), settled);
    this.segmentSnapshot = { ids: rows.map((row) => row.id), segments, live, settled, settledLive };
    return this.segmentSnapshot;
  }

  /** Drops the segments kept for searches (`currentSegments`): a session whose copy in memory answers no longer needs them. */
  releaseLexicalSegments(): void {
    this.segmentSnapshot = null;
  }

  /** Updates the position and text of kept chunks (`[id, ordinal, startLine, endLine, text, piece]` rows) and their definitions' lines. */
  private async moveChunks(rows: readonly SqlValue[][]): Promise<void> {
    const perStatement = 100;
    for (let start = 0; start < rows.length; start += perStatement) {
      const slice = rows.slice(start, start + perStatement);
      const values = slice.map(() => '(?,?,?,?,?,?)').join(',');
      const parameters = slice.flat();
      await this.db.run(
        `UPDATE chunks SET ordinal = v.column2, start_line = v.column3, end_line = v.column4, text = v.column5, piece = v.column6 FROM (VALUES ${values}) AS v
         WHERE chunks.id = v.column1 AND (chunks.ordinal, chunks.start_line, chunks.end_line, chunks.text, chunks.piece) IS NOT (v.column2, v.column3, v.column4, v.column5, v.column6)`,
        parameters,
      );
      await this.db.run(`UPDATE definitions SET line = v.column3 FROM (VALUES ${values}) AS v WHERE definitions.chunk_id = v.column1 AND definitions.line != v.column3`, parameters);
    }
  }

  /**
   * Points references of the given files at a chunk defining that name: the
   * same file first, then the oldest file. Name-based, so it needs no type
   * information; each lookup is one seek in `definitions_name_file`.
   */
  private async resolveReferences(fileIds: readonly number[], scope: 'all' | { readonly unresolvedOrNamed: readonly string[] }): Promise<number> {
    // A long name list costs more than re-resolving everything.
    if (typeof scope === 'object' && scope.unresolvedOrNamed.length > IN_LIST) scope = 'all';
    const names = typeof scope === 'object' ? scope.unresolvedOrNamed : [];
    // The unary + keeps SQLite on refs_file: on refs_target_chunk_name it walks every unresolved reference of the index.
    const filter = scope === 'all' ? '' : names.length === 0 ? ' AND +target_chunk_id IS NULL' : ` AND (target_chunk_id IS NULL OR name IN (${names.map(() => '?').join(',')}))`;
    let changes = 0;
    for (let start = 0; start < fileIds.length; start += IN_LIST) {
      const slice = fileIds.slice(start, start + IN_LIST);
      const list = slice.map(() => '?').join(',');
      const result = await this.db.run(
        `UPDATE refs SET target_chunk_id = ${REFERENCE_TARGET_CHUNK}
         WHERE file_id IN (${list})${filter}`,
        [...slice, ...names],
      );
      // The target file follows the target chunk, and is cleared with it: deleting a chunk nulls only target_chunk_id.
      await this.db.run(
        `UPDATE refs SET target_file_id = (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id)
         WHERE file_id IN (${list}) AND ((target_chunk_id IS NOT NULL AND target_file_id IS NOT (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id))
           OR (target_chunk_id IS NULL AND target_file_id IS NOT NULL))`,
        slice,
      );
      changes += result.changes;
    }
    return changes;
  }

  /** Resolves the references with these rowids again (same preference as `resolveReferences`); returns how many. */
  private async resolveReferenceRows(rowids: readonly number[]): Promise<number> {
    let changes = 0;
    for (let start = 0; start < rowids.length; start += IN_LIST) {
      const slice = rowids.slice(start, start + IN_LIST);
      const list = slice.map(() => '?').join(',');
      const result = await this.db.run(
        `UPDATE refs SET target_chunk_id = ${REFERENCE_TARGET_CHUNK}
         WHERE rowid IN (${list})`,
        slice,
      );
      await this.db.run(`UPDATE refs SET target_file_id = (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id) WHERE rowid IN (${list})`, slice);
      changes += result.changes;
    }
    return changes;
  }

  /**
   * Points unresolved references to any of `names` (outside `skipFiles`, already resolved by file) at
   * their definition, with the same preference as `resolveReferences`: the same file, then the oldest
   * file. Returns how many resolved and the files they belong to.
   */
  private async resolveUnresolvedNamed(names: readonly string[], skipFiles: ReadonlySet<number>): Promise<{ references: number; files: Set<number> }> {
    const files = new Set<number>();
    let references = 0;
    for (let start = 0; start < names.length; start += IN_LIST) {
      const slice = names.slice(start, start + IN_LIST);
      const rows = await this.db.all<{ file_id: number }>(
        `UPDATE refs INDEXED BY refs_target_chunk_name SET
           target_chunk_id = ${REFERENCE_TARGET_CHUNK},
           target_file_id = coalesce(
             (SELECT d.file_id FROM definitions d WHERE d.name = refs.name AND d.file_id = refs.file_id LIMIT 1),
             (SELECT d.file_id FROM definitions d WHERE d.name = refs.name ORDER BY d.file_id, d.line LIMIT 1))
         WHERE target_chunk_id IS NULL AND name IN (${slice.map(() => '?').join(',')})
         RETURNING file_id`,
        slice,
      );
      for (const row of rows) {
        if (skipFiles.has(row.file_id)) continue;
        files.add(row.file_id);
        references++;
      }
    }
    return { references, files };
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

  /** Stores vectors; returns the generation change (see `vectorGeneration`). */
  async writeVectors(modelId: string, vectors: readonly VectorWrite[]): Promise<GenerationChange> {
    const now = Date.now();
    return this.writing(async () => {
      const generation = vectors.length > 0 ? await this.bumpGeneration() : await this.unchangedGeneration();
      await this.db.insertMany('vectors', ['model_id', 'content_hash', 'vector', 'last_used'], vectors.map((vector) => [modelId, vector.contentHash, vector.blob, now]), 'INSERT OR IGNORE');
      return generation;
    });
  }

  /**
   * The token naming the cache's current chunks and vectors: replaced (by a
   * random one) in the same transaction as every write that changes either, so
   * a copy of them made at one token is current exactly while the token is
   * (the vector file, engine/vectorfile). Created when the cache has none yet.
   */
  vectorGeneration(): Promise<string> {
    return currentToken(this.db, 'vector_generation');
  }

  /**
   * Counts write transactions begun and ended on this connection: a reader that
   * finds it even (none open) and unchanged after its reads read committed state only.
   */
  get writeEpoch(): number {
    return this.epoch;
  }

  private epoch = 0;

  private async writing<T>(work: () => Promise<T>): Promise<T> {
    this.epoch++;
    try {
      return await this.db.transaction(work);
    } finally {
      this.epoch++;
    }
  }

  private bumpGeneration(): Promise<GenerationChange> {
    return bumpToken(this.db, 'vector_generation');
  }

  /**
   * The token naming the cache's lexical rows, as `vectorGeneration` names chunks and vectors: replaced
   * in the same transaction as every write that changes them, so a copy of those rows
   * (engine/lexical) made at one token is current exactly while the token is.
   */
  lexicalGeneration(): Promise<string> {
    return currentToken(this.db, LEXICAL_GENERATION);
  }

  /** The lexical segments in order, one statement (a consistent read): what `searchSegments` and `LexicalIndex.fromSegments` take. */
  async lexicalSegments(): Promise<readonly PostingSegment[]> {
    return (await this.currentSegments()).segments;
  }

  /** The summaries of up to `limit` chunks with ids above `afterId`, in id order. */
  async chunkSummariesAfter(afterId: number, limit: number): Promise<ChunkSummary[]> {
    return this.db.all<ChunkSummary>(`${CHUNK_SUMMARY_SELECT} WHERE c.id > ? ORDER BY c.id LIMIT ?`, [afterId, limit]);
  }

  private async unchangedGeneration(): Promise<GenerationChange> {
    const current = (await this.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'vector_generation'"))?.value ?? null;
    return current === null ? this.bumpGeneration() : { previous: current, current };
  }

  /** Chunk ids and files that use each of the given content hashes. */
  async chunksWithHashes(hashes: readonly string[]): Promise<{ id: number; fileId: number; contentHash: string }[]> {
    return this.selectIn('SELECT id, file_id AS fileId, content_hash AS contentHash FROM chunks WHERE content_hash IN', hashes);
  }

  /**
   * Streams (chunk, vector) pairs of a model in ascending chunk id order, for the in-memory dense index and the
   * vector file (written as the rows come): the chunks are scanned by id and each vector found by its key (CROSS JOIN
   * fixes that order), so nothing is sorted, and a page at a time, so memory stays at one page however large the index.
   */
  eachChunkVector(modelId: string, onRow: (row: { id: number; fileId: number; vector: Buffer }) => void): Promise<number> {
    return this.db.eachPage<{ id: number; fileId: number; vector: Buffer }>(
      'SELECT c.id, c.file_id AS fileId, v.vector FROM chunks c CROSS JOIN vectors v ON v.model_id = ? AND v.content_hash = c.content_hash WHERE c.id > ? ORDER BY c.id LIMIT ?',
      [modelId],
      (row) => row.id,
      (rows) => rows.forEach(onRow),
    );
  }

  async vectorsFor(modelId: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    return this.vectorsOn(this.db, modelId, hashes);
  }

  /** `vectorsFor` on the lookup connection: committed rows only, read beside the writes instead of queued behind them. */
  async committedVectorsFor(modelId: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    return this.vectorsOn(await this.lookupConnection(), modelId, hashes);
  }

  private async vectorsOn(db: Database, modelId: string, hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (let start = 0; start < hashes.length; start += IN_LIST) {
      const slice = hashes.slice(start, start + IN_LIST);
      const rows = await db.all<{ content_hash: string; vector: Buffer }>(
        `SELECT content_hash, vector FROM vectors WHERE model_id = ? AND content_hash IN (${slice.map(() => '?').join(',')})`,
        [modelId, ...slice],
      );
      for (const row of rows) found.set(row.content_hash, row.vector);
    }
    return found;
  }

  /** Distinct vectors of `modelId` that indexed chunks use. */
  async countChunkVectors(modelId: string): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      'SELECT count(*) AS n FROM vectors v WHERE v.model_id = ? AND EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = v.content_hash)',
      [modelId],
    );
    return row?.n ?? 0;
  }

  /**
   * Up to `limit` vectors of `modelId` that indexed chunks use, in content-hash
   * order: hashes are uniform, so this is a deterministic pseudo-random sample.
   */
  async sampleChunkVectors(modelId: string, limit: number): Promise<Buffer[]> {
    const rows = await this.db.all<{ vector: Buffer }>(
      'SELECT v.vector FROM vectors v WHERE v.model_id = ? AND EXISTS (SELECT 1 FROM chunks c WHERE c.content_hash = v.content_hash) ORDER BY v.content_hash LIMIT ?',
      [modelId, limit],
    );
    return rows.map((row) => row.vector);
  }

  async denseSettings(modelId: string): Promise<DenseSettingsRecord | undefined> {
    return this.db.get<DenseSettingsRecord>(
      'SELECT model_id AS modelId, precision, pca_input_dimension AS pcaInputDimension, pca_output_dimension AS pcaOutputDimension, pca FROM dense_settings WHERE model_id = ?',
      [modelId],
    );
  }

  async saveDenseSettings(settings: DenseSettingsRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO dense_settings (model_id, precision, pca_input_dimension, pca_output_dimension, pca, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(model_id) DO UPDATE SET precision = excluded.precision, pca_input_dimension = excluded.pca_input_dimension,
         pca_output_dimension = excluded.pca_output_dimension, pca = excluded.pca, updated_at = excluded.updated_at`,
      [settings.modelId, settings.precision, settings.pcaInputDimension, settings.pcaOutputDimension, settings.pca, Date.now()],
    );
  }

  async fileIndex(): Promise<Map<number, { path: string; language: string }>> {
    const rows = await this.db.all<{ id: number; path: string; language: string }>('SELECT id, path, language FROM files');
    return new Map(rows.map((row) => [row.id, { path: row.path, language: row.language }]));
  }

  /**
   * BM25 over the lexical segments: the `limit` best chunks for any of `terms` (lowercase ASCII words),
   * best first, ties by chunk id; FTS5's `bm25()` over the same rows (engine/lexical/lexicalIndex.ts).
   */
  async lexicalSearch(terms: readonly string[], limit: number): Promise<{ id: number; score: number }[]> {
    if (terms.length === 0 || limit <= 0) return [];
    const { segments, live } = await this.currentSegments();
    return searchSegments(segments, terms, limit, live);
  }

  async chunksByIds(ids: readonly number[]): Promise<Map<number, ChunkRecord>> {
    const rows = await this.selectIn<ChunkRecord>(`${CHUNK_SELECT} WHERE c.id IN`, ids);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** `chunksByIds` without the text and doc (see `ChunkSummary`), for ranking search candidates. */
  async chunkSummariesByIds(ids: readonly number[]): Promise<Map<number, ChunkSummary>> {
    const rows = await this.selectIn<ChunkSummary>(`${CHUNK_SUMMARY_SELECT} WHERE c.id IN`, ids);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The text and doc of these chunks (those still stored), for the results of a search. */
  async chunkTextsByIds(ids: readonly number[]): Promise<Map<number, { text: string; doc: string | null }>> {
    const rows = await this.selectIn<{ id: number; text: string; doc: string | null }>(`SELECT c.id, c.text, ${CHUNK_DOC} AS doc FROM chunks c WHERE c.id IN`, ids);
    return new Map(rows.map((row) => [row.id, { text: row.text, doc: row.doc }]));
  }

  /** The innermost chunk covering `line` of `path`. */
  async chunkAt(path: string, line: number): Promise<ChunkRecord | undefined> {
    return this.db.get<ChunkRecord>(`${CHUNK_SELECT} WHERE f.path = ? AND c.start_line <= ? AND c.end_line >= ? ORDER BY (c.end_line - c.start_line), c.id LIMIT 1`, [path, line, line]);
  }

  async chunksOfFile(path: string): Promise<ChunkRecord[]> {
    return this.db.all<ChunkRecord>(`${CHUNK_SELECT} WHERE f.path = ? ORDER BY c.ordinal`, [path]);
  }

  async hasFiles(): Promise<boolean> {
    return (await this.db.get<{ one: number }>('SELECT 1 AS one FROM files LIMIT 1')) !== undefined;
  }

  async chunkCount(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM chunks'))!.n;
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
  async collectGarbage(modelId: string, orphanReserve: number): Promise<{ otherModels: number; orphans: number; generation: GenerationChange }> {
    return this.writing(async () => {
      // Bumped up front (a reader on this connection must not see the deletions under the old token), reverted if nothing was deleted.
      const generation = await this.bumpGeneration();
      const otherModels = (await this.db.run('DELETE FROM vectors WHERE model_id != ?', [modelId])).changes;
      await this.db.run('DELETE FROM dense_settings WHERE model_id != ?', [modelId]);
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
      if (otherModels === 0 && orphans === 0 && generation.previous !== null) {
        await this.db.run("UPDATE meta SET value = ? WHERE key = 'vector_generation'", [generation.previous]);
        return { otherModels, orphans, generation: { previous: generation.previous, current: generation.previous } };
      }
      return { otherModels, orphans, generation };
    });
  }

  /**
   * Re-keys a model's vectors (and its dense settings) under a new id, keeping
   * only vectors of `dimension` (int8 blobs: a 4-byte scale, then one byte per
   * dimension). Returns how many were kept; the rest are collected as another model's.
   */
  async renameModelVectors(from: string, to: string, dimension: number): Promise<number> {
    return this.writing(async () => {
      await this.bumpGeneration();
      const kept = (await this.db.run('UPDATE OR IGNORE vectors SET model_id = ? WHERE model_id = ? AND length(vector) = ?', [to, from, dimension + 4])).changes;
      await this.db.run('UPDATE OR IGNORE dense_settings SET model_id = ? WHERE model_id = ?', [to, from]);
      return kept;
    });
  }

  /** `PRAGMA quick_check`: every page, without cross-checking indexes against tables; empty when sound. */
  quickCheck(): Promise<string[]> {
    return quickCheck(this.db);
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
        (SELECT count(*) FROM definitions d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = d.file_id)) AS definitionsWithoutFile`,
    );
    const live = new Set(LiveRows.of(await this.readSegments()).ids);
    let chunksWithoutLexicalRow = 0;
    for (const { id } of await this.db.all<{ id: number }>('SELECT id FROM chunks')) {
      if (!live.delete(id)) chunksWithoutLexicalRow++;
    }
    const counts = { ...row, lexicalRowsWithoutChunk: live.size, chunksWithoutLexicalRow };
    return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
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

/**
 * Rebuilds the lexical segments from the chunks when they were not derived the way
 * this version derives terms (a new cache, a cache from before the segments, or a
 * changed tokeniser or stemmer): their terms would no longer be what queries look up.
 */
async function rebuildLexicalIndexIfStale(db: Database): Promise<void> {
  const format = async () => (await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'lexical_index'"))?.value;
  if ((await format()) === LEXICAL_INDEX_FORMAT) return;
  await db.transaction(async () => {
    if ((await format()) === LEXICAL_INDEX_FORMAT) return; // rebuilt by another process meanwhile
    await bumpToken(db, LEXICAL_GENERATION);
    await db.run('DELETE FROM lexical_segments');
    let pending: { id: number; row: RowTerms }[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const content = segmentOfRows(pending, []);
      pending = [];
      await insertSegment(db, content);
    };
    await db.eachPage<LexicalSourceRow>(
      `${LEXICAL_SOURCE_SELECT} WHERE c.id > ? ORDER BY c.id LIMIT ?`,
      [],
      (row) => row.id,
      async (rows) => {
        // A file's chunks have neighbouring ids: each run of one path shares its path tokens and dictionary.
        for (let start = 0; start < rows.length; ) {
          let end = start + 1;
          while (end < rows.length && rows[end]!.path === rows[start]!.path) end++;
          const run = rows.slice(start, end);
          fileRowTerms(lexicalPathTokens(run[0]!.path), run).forEach((row, at) => pending.push({ id: run[at]!.id, row }));
          start = end;
        }
        if (pending.length >= REBUILD_SEGMENT_ROWS) await flush();
      },
      2000,
    );
    await flush();
    await db.run("INSERT INTO meta (key, value) VALUES ('lexical_index', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [LEXICAL_INDEX_FORMAT]);
  });
}
