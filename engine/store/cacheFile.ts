/**
 * Opening the cache file safely: make its folder (without looping on file
 * systems that answer mkdir oddly), refuse what is not ours to touch, tell
 * corruption (the file can be moved aside and rebuilt) from a cache that cannot
 * be used for reasons outside its contents (a typed error with a hint), and run
 * a cheap structural check on every open.
 */
import { accessSync, closeSync, constants, lstatSync, mkdirSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';
import type { CacheUnusableError } from '../errors.js';
import { corrupt, foreignDatabase, fromErrno, isBusyError, newerSchema, unusable } from './cacheErrors.js';
import { Database } from './database.js';
import { migrate, SCHEMA_VERSION } from './schema.js';

/** `PRAGMA application_id` of CodeGraph caches ("CGIX"): another program's SQLite file is told apart by it. */
export const CODEGRAPH_APPLICATION_ID = 0x43474958;

/**
 * Caches up to this size get a full `PRAGMA quick_check` on every open. Measured
 * on the fastapi index (54 MB, 2,744 files, 16,345 chunks, default model; 2 cores
 * shared with other work): quick_check took 445–733 ms (about 100 MB/s); the
 * structural check below took 9–11 ms, and the whole open 14–44 ms. So 8 MB
 * costs about 80 ms on open; larger caches get the full check from `codegraph
 * status` and once a day in a whole-workspace index run (CodeGraph), where it
 * added 0.8–1.5 s of wall time to an unchanged re-index of fastapi that took
 * 2.0–2.6 s without it (the machine at load average 12 on 2 cores: slow numbers).
 */
export const QUICK_CHECK_ON_OPEN_BYTES = 8 * 1024 * 1024;

/** Tables every CodeGraph cache has had since schema v1. */
const CODEGRAPH_TABLES = ['meta', 'files', 'chunks', 'vectors'] as const;

/** Kernel pseudo file systems (statfs magic numbers): a cache can never live there, they refuse or fake file creation. */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
]);

/**
 * Creates the cache folder and its parents one level at a time. Node's
 * `mkdirSync(…, { recursive: true })` loops forever under /proc: mkdir there
 * answers ENOENT although the parent exists, so it keeps re-creating the parent.
 */
export function prepareCacheDirectory(dir: string, cachePath: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    let stats;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: something above is a file; walk up to name it.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && current !== parse(current).root) {
        missing.unshift(current);
        current = dirname(current);
        continue;
      }
      throw fromErrno(cachePath, error, `Cannot read the cache folder ${current}`);
    }
    if (!stats.isDirectory()) throw notADirectory(cachePath, current);
    break;
  }
  refusePseudoFileSystem(current, cachePath);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(folder).isDirectory()) continue;
      if (code === 'ENOENT') {
        // The parent exists (made or checked above), yet the file system says it does not: /proc, /sys and the like.
        throw unusable(cachePath, 'unsupported-file-system', `Cannot create the cache folder ${folder}: the file system refuses new folders there (${code})`, 'Choose a cache folder on an ordinary disk (--cache <dir>, or the codegraph.cacheDir setting).', error);
      }
      throw fromErrno(cachePath, error, `Cannot create the cache folder ${folder}`);
    }
  }
  // SQLite creates the -wal and -shm files beside the cache, so the folder itself must be writable.
  try {
    accessSync(resolve(dir), constants.W_OK);
  } catch (error) {
    throw fromErrno(cachePath, error, `Cannot write in the cache folder ${resolve(dir)}`);
  }
}

function refusePseudoFileSystem(dir: string, cachePath: string): void {
  let type: number | undefined;
  try {
    type = Number(statfsSync(dir).type);
  } catch {
    return; // statfs unsupported here: the open will tell
  }
  const name = PSEUDO_FILE_SYSTEMS.get(type);
  if (name) {
    throw unusable(cachePath, 'unsupported-file-system', `Cannot keep the index cache in ${dir}: it is on ${name}, a kernel pseudo file system`, 'Choose a cache folder on an ordinary disk (--cache <dir>, or the codegraph.cacheDir setting).');
  }
}

function notADirectory(cachePath: string, path: string, cause?: unknown): CacheUnusableError {
  return unusable(cachePath, 'cache-dir-not-a-directory', `Cannot use ${dirname(cachePath)} as the cache folder: ${path} is a file, not a folder`, `Move ${path} away, or choose another cache folder (--cache <dir>).`, cause);
}

/** What the first 100 bytes of an SQLite file say, or why they cannot be one. */
export interface SqliteHeader {
  readonly pageSize: number;
  /** Pages per the header; null when the header's count is not valid (written by an old SQLite). */
  readonly pageCount: number | null;
  readonly userVersion: number;
  readonly applicationId: number;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks what is at the cache path before SQLite opens it: a folder or a
 * special file is refused; a file that is not SQLite, or is shorter than its
 * header says (cut off), is corruption. Returns null when there is no file yet
 * (or an empty one, which SQLite initialises).
 */
export function inspectCacheFile(cachePath: string): SqliteHeader | null {
  let stats;
  try {
    stats = lstatSync(cachePath);
    if (stats.isSymbolicLink()) stats = statSync(cachePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromErrno(cachePath, error, `Cannot read the index cache ${cachePath}`);
  }
  if (stats.isDirectory()) {
    throw unusable(cachePath, 'directory', `The index cache path ${cachePath} is a folder, not a file`, `Remove or rename that folder (CodeGraph never deletes folders it did not make), or choose another cache folder (--cache <dir>).`);
  }
  if (!stats.isFile()) {
    throw unusable(cachePath, 'not-a-file', `The index cache path ${cachePath} is not a regular file`, 'Remove it, or choose another cache folder (--cache <dir>).');
  }
  if (stats.size === 0) return null;
  const bytes = Buffer.alloc(100);
  let read = 0;
  try {
    const fd = openSync(cachePath, 'r');
    try {
      read = readSync(fd, bytes, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw fromErrno(cachePath, error, `Cannot read the index cache ${cachePath}`);
  }
  if (read < 100 || !bytes.subarray(0, 16).equals(MAGIC)) throw corrupt(cachePath, 'not an SQLite database (bad header)', 'header');
  const rawPageSize = bytes.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(cachePath, `invalid page size ${rawPageSize} in the header`, 'header');
  // The header's page count is valid when the change counter matches "version valid for" (SQLite ≥ 3.7.0).
  const pageCount = bytes.readUInt32BE(24) === bytes.readUInt32BE(92) ? bytes.readUInt32BE(28) : null;
  // With a non-empty WAL the newest pages may live there, so the main file may lag the header; without one it must hold every page.
  if (pageCount !== null && pageCount > 0 && walBytes(cachePath) === 0 && stats.size < pageCount * pageSize) {
    throw corrupt(cachePath, `the file holds ${stats.size} bytes but its header says ${pageCount} pages of ${pageSize} (cut off?)`, 'header');
  }
  return { pageSize, pageCount, userVersion: bytes.readUInt32BE(60), applicationId: bytes.readUInt32BE(68) };
}

/** Size of the cache's write-ahead log; 0 when there is none. */
export function walBytes(cachePath: string): number {
  try {
    return statSync(`${cachePath}-wal`).size;
  } catch {
    return 0;
  }
}

/** Whether an open database is a CodeGraph cache: by application id, or (caches older than it) by its tables. */
export function classifyOwner(header: SqliteHeader | null, tables: ReadonlySet<string>, userVersion: number): 'ours' | 'empty' | 'foreign' {
  const applicationId = header?.applicationId ?? 0;
  if (applicationId === CODEGRAPH_APPLICATION_ID) return 'ours';
  if (applicationId !== 0) return 'foreign';
  const userTables = [...tables].filter((name) => !name.startsWith('sqlite_'));
  if (userTables.length === 0 && userVersion === 0) return 'empty';
  return CODEGRAPH_TABLES.every((name) => tables.has(name)) && userVersion > 0 ? 'ours' : 'foreign';
}

/**
 * Page size of a new cache. Chunk rows are about 1 KB (the text inline), and 4 KB pages held
 * three of them with a quarter of each page empty. Fresh cold index of the bench corpus
 * (183,395 chunks; bench/speed/NOTES.md): index.sqlite 474.5 MB at 4 KB, 436.4 MB at 8 KB,
 * 421.5 MB at 16 KB; cold index 42.4 s at 4 KB, 41.4 / 41.8 s at 8 KB and 44.7 / 44.1 s at 16 KB
 * (each page a WAL write costs is four times larger); warm query and edit-to-searchable
 * latencies equal at 4 and 8 KB.
 */
const NEW_CACHE_PAGE_SIZE = 8192;

/**
 * Opens (creating if needed) the cache at `cachePath`, refusing anything that
 * is not a CodeGraph cache of a schema this version understands, and checks it
 * (see `checkStructure`). Throws `CacheCorruptionError` for a damaged file, which
 * the caller may move aside, and `CacheUnusableError` for everything else.
 */
export async function openCacheDatabase(cachePath: string): Promise<Database> {
  if (cachePath === ':memory:') {
    const db = await Database.open(cachePath);
    await db.exec('PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
    await migrate(db);
    return db;
  }
  prepareCacheDirectory(dirname(cachePath), cachePath);
  const header = inspectCacheFile(cachePath);
  if (header && header.applicationId !== 0 && header.applicationId !== CODEGRAPH_APPLICATION_ID) throw foreignDatabase(cachePath);
  const db = await Database.open(cachePath);
  try {
    // Who owns the file is settled before anything writes to it (journal mode, migrations).
    // Wait for other processes' locks from the first statement on (this setting writes nothing).
    await db.exec('PRAGMA busy_timeout = 5000');
    // One statement, so one snapshot: another process may be creating this cache right now (tables and version commit together).
    const found = await db.get<{ names: string | null; version: number }>(
      "SELECT (SELECT group_concat(name, char(31)) FROM sqlite_schema WHERE type = 'table') AS names, (SELECT user_version FROM pragma_user_version) AS version",
    );
    const tables = new Set(found?.names ? found.names.split('\x1f') : []);
    const userVersion = found?.version ?? 0;
    const owner = classifyOwner(header, tables, userVersion);
    if (owner === 'foreign') throw foreignDatabase(cachePath);
    if (userVersion > SCHEMA_VERSION) throw newerSchema(cachePath, userVersion, SCHEMA_VERSION);
    // Only a new file takes a page size; an existing cache keeps its own (changing it needs a VACUUM).
    if (owner === 'empty') await db.exec(`PRAGMA page_size = ${NEW_CACHE_PAGE_SIZE}`);
    await useWriteAheadLog(db);
    await db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
    await migrate(db);
    if ((header?.applicationId ?? 0) !== CODEGRAPH_APPLICATION_ID) await db.exec(`PRAGMA application_id = ${CODEGRAPH_APPLICATION_ID}`);
    await checkStructure(db, cachePath);
    if (header && statSync(cachePath).size + walBytes(cachePath) <= QUICK_CHECK_ON_OPEN_BYTES) {
      await requireQuickCheck(db, cachePath);
    }
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}

/**
 * Switches a new cache to WAL (a cache keeps the mode). The switch needs the file to
 * itself and SQLite answers SQLITE_BUSY at once, without waiting, while another
 * process opening the same new cache holds it: retry for a while.
 */
async function useWriteAheadLog(db: Database): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode');
      if (mode?.journal_mode === 'wal') return;
      await db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusyError(error) || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + attempt * 5));
    }
  }
}

/**
 * The cheap check on every open: the schema is what this version made, and each
 * table and index can be entered at both ends (the first row and the last), which
 * reads the root and one path of pages down each B-tree, a few dozen pages in all,
 * and the small tables whole. Damage elsewhere is found by `quick_check` (below a
 * size on open, in `status`, periodically in full index runs) or by the first
 * statement that reads it, which every caller maps to the same recovery.
 */
export async function checkStructure(db: Database, cachePath: string): Promise<void> {
  const objects = await db.all<{ type: string; name: string; tbl_name: string; sql: string | null }>("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('table', 'index')");
  const names = new Set(objects.map((object) => object.name));
  for (const table of CODEGRAPH_TABLES) if (!names.has(table)) throw corrupt(cachePath, `table '${table}' is missing from the schema`, 'schema');
  await db.all('SELECT key, length(value) FROM meta');
  await db.all('SELECT model_id, precision FROM dense_settings');
  for (const object of objects) {
    if (object.name.startsWith('sqlite_') && object.type === 'table') continue;
    if (object.type === 'table' && object.sql && /^CREATE VIRTUAL/i.test(object.sql)) continue; // its shadow tables are checked instead
    const quoted = `"${object.name.replace(/"/g, '""')}"`;
    if (object.type === 'index') {
      // Enter an index at both ends through its leading column (INDEXED BY makes SQLite use it).
      const leading = (await db.all<{ name: string | null }>(`PRAGMA index_info(${quoted})`))[0]?.name;
      if (!leading) continue;
      const table = `"${object.tbl_name.replace(/"/g, '""')}"`;
      const column = `"${leading.replace(/"/g, '""')}"`;
      await db.all(`SELECT ${column} FROM ${table} INDEXED BY ${quoted} ORDER BY ${column} LIMIT 1`);
      await db.all(`SELECT ${column} FROM ${table} INDEXED BY ${quoted} ORDER BY ${column} DESC LIMIT 1`);
      continue;
    }
    const withoutRowid = /WITHOUT\s+ROWID/i.test(object.sql ?? '');
    if (withoutRowid) {
      await db.all(`SELECT * FROM ${quoted} LIMIT 1`);
    } else {
      await db.all(`SELECT rowid FROM ${quoted} ORDER BY rowid LIMIT 1`);
      await db.all(`SELECT * FROM ${quoted} ORDER BY rowid DESC LIMIT 1`);
    }
  }
}

/** `PRAGMA quick_check`: every page of every B-tree, about 100 MB/s here (see QUICK_CHECK_ON_OPEN_BYTES). */
export async function quickCheck(db: Database): Promise<string[]> {
  const rows = await db.all<{ quick_check: string }>('PRAGMA quick_check(20)');
  return rows.map((row) => row.quick_check).filter((message) => message !== 'ok');
}

export async function requireQuickCheck(db: Database, cachePath: string): Promise<void> {
  const problems = await quickCheck(db);
  if (problems.length > 0) throw corrupt(cachePath, `quick_check: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, 'quick_check');
}
