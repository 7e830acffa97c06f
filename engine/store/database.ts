import sqlite3 from 'sqlite3';
import { fromSqlite } from './cacheErrors.js';

export { isCorruptionError } from './cacheErrors.js';

export type SqlValue = string | number | bigint | Buffer | null;

/** Rows per page of `eachPage`: large enough that a page's statement costs little next to its rows, small enough to hold (4,096 vectors are about 1.5 MB). */
const SCAN_PAGE_ROWS = 4096;

/**
 * A promise-returning face over `sqlite3` that turns failures that concern the
 * cache file, from any statement, into typed errors: `CacheCorruptionError`
 * (SQLITE_CORRUPT, SQLITE_NOTADB) or `CacheUnusableError` (full disk, read-only,
 * cannot open, I/O), each naming the path and the fix. All SQL takes bound
 * parameters; nothing is interpolated.
 */
export class Database {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly path: string,
  ) {}

  /** `open`'s mode for a connection that only reads an existing cache. */
  static readonly READ_ONLY = sqlite3.OPEN_READONLY;

  static open(path: string, mode = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE): Promise<Database> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, mode, (error) => {
        if (error) reject(fromSqlite(error, path, 'open'));
        else resolve(new Database(db, path));
      });
    });
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    const path = this.path;
    return new Promise((resolve, reject) => {
      this.db.run(sql, params as SqlValue[], function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(fromSqlite(error, path, sql));
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params as SqlValue[], (error: Error | null, row: T) => (error ? reject(fromSqlite(error, this.path, sql)) : resolve(row)));
    });
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params as SqlValue[], (error: Error | null, rows: T[]) => (error ? reject(fromSqlite(error, this.path, sql)) : resolve(rows)));
    });
  }

  /**
   * Hands the rows of a keyset-paged query to `onPage` a page at a time, awaiting it before the next page is read.
   * `sql` ends in `WHERE <key> > ? ORDER BY <key> LIMIT ?` (after `params`, the last key seen and the page size are
   * bound), and `keyOf` reads the key off a row. Unlike the driver's `each()`, which reads the whole result ahead of
   * its callbacks (a scan of every chunk's vector held them all at once), at most one page is in memory.
   */
  async eachPage<T>(sql: string, params: readonly SqlValue[], keyOf: (row: T) => number, onPage: (rows: T[]) => void | Promise<void>, pageRows = SCAN_PAGE_ROWS): Promise<number> {
    let count = 0;
    for (let after = Number.MIN_SAFE_INTEGER; ; ) {
      const rows = await this.all<T>(sql, [...params, after, pageRows]);
      if (rows.length > 0) await onPage(rows);
      count += rows.length;
      if (rows.length < pageRows) return count;
      after = keyOf(rows[rows.length - 1]!);
    }
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(fromSqlite(error, this.path, sql)) : resolve())));
  }

  /**
   * Inserts rows with multi-row VALUES statements: one statement per ~500
   * parameters instead of one per row, which is what makes batch writes fast
   * through the asynchronous driver.
   */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], verb = 'INSERT'): Promise<void> {
    return this.runMany((values) => `${verb} INTO ${table} (${columns.join(',')}) ${values}`, columns.length, rows);
  }

  /**
   * `insertMany` for statements of another shape: `sqlFor(values)` is the statement around a
   * `VALUES (?,…),(?,…)…` list of rows of `width` parameters each (e.g. `INSERT … SELECT … FROM (VALUES …)`).
   */
  async runMany(sqlFor: (values: string) => string, width: number, rows: readonly (readonly SqlValue[])[]): Promise<void> {
    if (rows.length === 0) return;
    const perStatement = Math.max(1, Math.floor(500 / width));
    const placeholder = `(${Array(width).fill('?').join(',')})`;
    const sqlOf = (count: number) => sqlFor(`VALUES ${Array(count).fill(placeholder).join(',')}`);
    const full = rows.length >= perStatement ? await this.prepared(sqlOf(perStatement)) : null;
    for (let start = 0; start < rows.length; start += perStatement) {
      const slice = rows.slice(start, start + perStatement);
      if (slice.length === perStatement) await this.runPrepared(full!.statement, full!.sql, slice.flat());
      else await this.run(sqlOf(slice.length), slice.flat());
    }
  }

  /**
   * Full-size multi-row inserts are prepared once per connection and re-bound for each slice: a cold
   * index runs thousands of them, and preparing each anew (a 500-placeholder statement) cost SQLite's
   * thread and the driver's JS, both on the coordinator's serial write chain. Finalised by `close`.
   */
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();

  private prepared(sql: string): Promise<{ statement: sqlite3.Statement; sql: string }> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = new Promise<sqlite3.Statement>((resolve, reject) => {
        const prepared: sqlite3.Statement = this.db.prepare(sql, (error: Error | null) => (error ? reject(fromSqlite(error, this.path, sql)) : resolve(prepared)));
      });
      // A failed prepare is not kept: the next call tries again (and reports its own error).
      statement.catch(() => this.statements.delete(sql));
      this.statements.set(sql, statement);
    }
    return statement.then((prepared) => ({ statement: prepared, sql }));
  }

  private runPrepared(statement: sqlite3.Statement, sql: string, params: readonly SqlValue[]): Promise<void> {
    return new Promise((resolve, reject) => {
      statement.run(params as SqlValue[], (error: Error | null) => (error ? reject(fromSqlite(error, this.path, sql)) : resolve()));
    });
  }

  /** Runs `work` inside one transaction, rolled back if it throws. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const result = await work();
      await this.exec('COMMIT');
      return result;
    } catch (error) {
      await this.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const statements = await Promise.allSettled(this.statements.values());
    this.statements.clear();
    for (const settled of statements) {
      if (settled.status === 'fulfilled') await new Promise<void>((resolve) => settled.value.finalize(() => resolve()));
    }
    return new Promise((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }
}
