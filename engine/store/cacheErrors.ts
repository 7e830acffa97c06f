/** Typed errors for an unusable or corrupt cache, from errno and SQLite result codes; each names the path and the fix. */
import { dirname } from 'node:path';
import { CacheCorruptionError, CacheUnusableError, type CacheUnusableReason } from '../errors.js';

const RECOVER_HINT = 'Run `codegraph index` on the workspace: it moves the damaged file aside and rebuilds the index from the sources.';

export function unusable(cachePath: string, reason: CacheUnusableReason, message: string, hint: string, cause?: unknown): CacheUnusableError {
  return new CacheUnusableError(message, { cachePath, reason, hint }, cause === undefined ? undefined : { cause });
}

export function corrupt(cachePath: string, why: string, check: string, cause?: unknown): CacheCorruptionError {
  return new CacheCorruptionError(`The index cache is corrupt (${cachePath}): ${why}`, { cachePath, check, hint: RECOVER_HINT }, cause === undefined ? undefined : { cause });
}

/** Maps an errno failure (fs calls) to a typed cache error; unknown errnos keep their message and get the path. */
export function fromErrno(cachePath: string, error: unknown, what: string): CacheUnusableError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const folder = dirname(cachePath);
  const reason: CacheUnusableReason = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'read-only' : code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : 'io';
  const hint =
    reason === 'read-only' ? `Make ${folder} writable, or choose another cache folder (--cache <dir>).`
    : reason === 'disk-full' ? `Free space on the disk holding ${folder}, or choose a cache folder on another disk (--cache <dir>).`
    : `Check the disk holding ${folder}, or choose another cache folder (--cache <dir>).`;
  return unusable(cachePath, reason, `${what}: ${(error as Error).message}`, hint, error);
}

export function foreignDatabase(cachePath: string): CacheUnusableError {
  return unusable(
    cachePath,
    'foreign',
    `The file at the index cache path ${cachePath} is an SQLite database of another program, not a CodeGraph cache; it was left untouched`,
    'Move that file away if it is not needed there, or choose another cache folder (--cache <dir>).',
  );
}

export function newerSchema(cachePath: string, version: number, supported: number): CacheUnusableError {
  return unusable(
    cachePath,
    'newer-schema',
    `The index cache ${cachePath} has schema v${version}, newer than this CodeGraph understands (v${supported}); it was left untouched`,
    `Upgrade CodeGraph, or delete ${cachePath} to rebuild it with this version, or choose another cache folder (--cache <dir>).`,
  );
}

const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** True for a lock another connection held past the busy timeout (raw, or in its typed form). */
export function isBusyError(error: unknown): boolean {
  if (error instanceof CacheUnusableError) return error.details['reason'] === 'busy';
  return (error as { code?: string } | null)?.code === 'SQLITE_BUSY';
}

/** True for errors that mean the database file itself is damaged. */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return typeof code === 'string' && CORRUPTION_CODES.has(code);
}

/**
 * The typed form of an SQLite failure on the cache at `cachePath`, or the error
 * itself when it says nothing about the cache (a bad statement).
 * `context` is the statement or step, kept (cut short) for diagnosis.
 */
export function fromSqlite(error: Error, cachePath: string, context: string): Error {
  if (error instanceof CacheCorruptionError || error instanceof CacheUnusableError) return error;
  const code = (error as { code?: string }).code ?? '';
  const folder = dirname(cachePath);
  const check = context.replace(/\s+/g, ' ').trim().slice(0, 60);
  if (isCorruptionError(error)) return corrupt(cachePath, error.message, check, error);
  switch (code) {
    case 'SQLITE_FULL':
      return unusable(cachePath, 'disk-full', `Cannot write the index cache ${cachePath}: the disk is full (${error.message})`, `Free space on the disk holding ${folder}, or choose a cache folder on another disk (--cache <dir>).`, error);
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return unusable(cachePath, 'read-only', `Cannot write the index cache ${cachePath}: ${error.message}`, `Make ${folder} and the files in it writable, or choose another cache folder (--cache <dir>).`, error);
    case 'SQLITE_CANTOPEN':
      return unusable(cachePath, 'cannot-open', `Cannot open the index cache ${cachePath}: ${error.message}`, `Check that ${folder} exists and is writable (SQLite also creates ${cachePath}-wal and -shm beside it), or choose another cache folder (--cache <dir>).`, error);
    case 'SQLITE_BUSY':
      // Every connection waits 5 s for another's lock (busy_timeout) before SQLite gives up.
      return unusable(
        cachePath,
        'busy',
        `The index cache ${cachePath} is busy: another process held its lock for over 5 s (${error.message})`,
        'Another CodeGraph process (an editor window, a CLI index or an MCP server on the same workspace) is writing this index; run the command again when it is done, or give this one another cache folder (--cache <dir>).',
        error,
      );
    case 'SQLITE_IOERR':
      return unusable(cachePath, 'io', `I/O error on the index cache ${cachePath}: ${error.message}`, `Check the disk holding ${folder} (and its free space), or choose another cache folder (--cache <dir>).`, error);
    default:
      return error;
  }
}
