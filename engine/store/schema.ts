import { newerSchema } from './cacheErrors.js';
import type { Database } from './database.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many
 * ran. Append new steps, never edit old ones: caches in the field are at every version.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    chunk_method TEXT NOT NULL,
    imports TEXT NOT NULL DEFAULT '[]',
    indexed_at INTEGER NOT NULL
  );
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    symbol TEXT,
    parent TEXT,
    kind TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    doc TEXT,
    text TEXT NOT NULL,
    node_count INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    complexity INTEGER NOT NULL,
    calls TEXT NOT NULL,
    identifiers TEXT NOT NULL
  );
  CREATE INDEX chunks_file ON chunks(file_id);
  CREATE INDEX chunks_hash ON chunks(content_hash);
  CREATE TABLE vectors (
    model_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    last_used INTEGER NOT NULL,
    PRIMARY KEY (model_id, content_hash)
  ) WITHOUT ROWID;
  CREATE TABLE definitions (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    chunk_id INTEGER REFERENCES chunks(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL
  );
  CREATE INDEX definitions_name ON definitions(name);
  CREATE INDEX definitions_file ON definitions(file_id);
  CREATE TABLE refs (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    target_file_id INTEGER REFERENCES files(id) ON DELETE SET NULL,
    target_chunk_id INTEGER REFERENCES chunks(id) ON DELETE SET NULL
  );
  CREATE INDEX refs_chunk ON refs(chunk_id);
  CREATE INDEX refs_file ON refs(file_id);
  CREATE INDEX refs_name ON refs(name);
  CREATE INDEX refs_target_file ON refs(target_file_id);
  CREATE INDEX refs_target_chunk ON refs(target_chunk_id);
  CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='', contentless_delete=1);
  `,
  // Reference resolution seeks by (name, file): same-file definition first, then the oldest file.
  `
  DROP INDEX definitions_name;
  CREATE INDEX definitions_name_file ON definitions(name, file_id, line);
  `,
  // How the in-memory dense index holds each model's vectors: the precision mode, and a PCA
  // projection fitted on a sample of the stored vectors (null: none). Vectors stay at rest
  // unprojected, so changing either re-encodes at load and never re-embeds.
  `
  CREATE TABLE dense_settings (
    model_id TEXT PRIMARY KEY,
    precision TEXT NOT NULL,
    pca_input_dimension INTEGER,
    pca_output_dimension INTEGER,
    pca BLOB,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // Deleting or moving a chunk touches its definitions (ON DELETE CASCADE, line updates): without
  // this index each one scanned the whole table, so an edit's write grew with the workspace.
  `
  CREATE INDEX definitions_chunk ON definitions(chunk_id);
  `,
  // contentless_delete=1 never lowers FTS5's row and token totals on DELETE, so BM25 drifted from a
  // clean index with every replaced chunk. A plain contentless table takes the 'delete' command with
  // the row's old tokens, which the store re-derives from the chunk row. Dropping the meta key makes
  // WorkspaceStore.open refill the new table from the chunks. References whose target chunk left kept
  // their target file: point each at its target chunk's file (nothing when unresolved).
  `
  DROP TABLE chunks_fts;
  CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='');
  DELETE FROM meta WHERE key = 'lexical_index';
  UPDATE refs SET target_file_id = (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id)
    WHERE target_file_id IS NOT NULL AND target_file_id IS NOT (SELECT c.file_id FROM chunks c WHERE c.id = refs.target_chunk_id);
  `,
  // A batch that defines a name resolves the unresolved references to it by name: with the name
  // after the target in one index, each lookup seeks (NULL, name) and costs the references it
  // resolves. Most references stay unresolved (library calls), which made the name index scan them
  // batch after batch. The target index's own lookups (by target chunk) use its leading column.
  `
  DROP INDEX refs_target_chunk;
  CREATE INDEX refs_target_chunk_name ON refs(target_chunk_id, name);
  `,
  // Porter stemming in the lexical index: questions are asked in other word forms than code
  // spells ("registered serializers" for `registerSerializer`). Measured (bench:quality, fresh
  // indexes): BM25 NDCG@10 0.697 -> 0.703, ranked 0.803 -> 0.808, CoSQA BM25 MRR 0.626 -> 0.657.
  // Dropping the meta key makes WorkspaceStore.open refill the new table from the chunks.
  `
  DROP TABLE chunks_fts;
  CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='', tokenize='porter unicode61');
  DELETE FROM meta WHERE key = 'lexical_index';
  `,
  // Disk per chunk (bench/speed/NOTES.md): the chunks' identifier and call lists (JSON, about 400 bytes a
  // chunk) were written and never read: calls live on as refs rows, identifiers are re-derived from the
  // text where needed. No statement looks references up by name alone since the target index leads with
  // the target (migration 6), so refs_name only cost its pages and its upkeep. Freed pages are reused.
  `
  ALTER TABLE chunks DROP COLUMN identifiers;
  ALTER TABLE chunks DROP COLUMN calls;
  DROP INDEX refs_name;
  `,
  // The vector file (engine/vectorfile) is a copy of the chunks' vectors, valid while meta's
  // 'vector_generation' is the token it was written at; every write that changes chunks or vectors
  // replaces the token. Earlier versions write without replacing it, so this step raises user_version
  // past them: they refuse the cache (newer schema) instead of changing it under a file that would still look current.
  `
  DELETE FROM meta WHERE key = 'vector_generation';
  `,
  // A definition split into pieces stores and indexes its doc with its first piece only: the copies
  // on later pieces were 322 B a chunk of stored text and 74% of the doc column's FTS instances.
  // `piece` says which piece a chunk is, so that reads find the first piece's doc for the others.
  // Rows written before keep their copies and piece 0: they read as before, and their FTS rows still
  // delete exactly, being derived from the stored doc. Adding a column with a default rewrites no row.
  `
  ALTER TABLE chunks ADD COLUMN piece INTEGER NOT NULL DEFAULT 0;
  `,
  // A chunk's nesting depth took a cursor walk over every node of the file, as long as the parse
  // itself, and nothing read it back; the node count comes from the tree without a walk
  // (engine/parsing/syntaxMarks.ts). Dropping a column rewrites the table once.
  `
  ALTER TABLE chunks DROP COLUMN depth;
  `,
  // The lexical index as segments of postings written by each batch (engine/lexical/postingSegment.ts)
  // instead of FTS5: FTS5's inserts (and the reads of removed rows its contentless deletes need) were a
  // third of a cold index's serial write chain, and its index 430 B a chunk. The terms and BM25 scores
  // are FTS5's own. Dropping the meta key makes WorkspaceStore.open rebuild the segments from the chunks.
  // AUTOINCREMENT: a segment id is never given twice (merges and rebuilds write new ones), so a reader
  // that keeps the segments it read knows them by id.
  `
  DROP TABLE chunks_fts;
  CREATE TABLE lexical_segments (id INTEGER PRIMARY KEY AUTOINCREMENT, rows INTEGER NOT NULL, removed INTEGER NOT NULL, data BLOB NOT NULL);
  DELETE FROM meta WHERE key = 'lexical_index';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export async function migrate(db: Database): Promise<void> {
  if ((await schemaVersion(db)) === SCHEMA_VERSION) return;
  await db.transaction(async () => {
    // Read again under the write lock: another process opening the same new cache may have migrated it meanwhile.
    const current = await schemaVersion(db);
    for (let version = current; version < SCHEMA_VERSION; version++) {
      await db.exec(MIGRATIONS[version]!);
      await db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}

async function schemaVersion(db: Database): Promise<number> {
  const current = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw newerSchema(db.path, current, SCHEMA_VERSION);
  }
  return current;
}
