import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { CACHE_FILE } from '../engine/codegraph.js';
import { defaultCacheDir, defaultModelDir } from '../engine/config/paths.js';
import { NotFoundError } from '../engine/errors.js';
import { sha256Hex } from '../engine/hashing/hash.js';

/** What decides which index a command reads: the workspace, and the settings that change its vectors. */
export interface IndexSettings {
  /** The resolved model folder, or null for `--model none`; undefined: the bundled default. */
  readonly modelDir?: string | null;
  readonly pca?: number;
  readonly vectorPrecision?: string;
}

const DEFAULT_VECTOR_PRECISION = 'int8';

/**
 * The cache folder for a workspace and its settings, when `--cache` is not given.
 * One index per model and settings: a one-off `--model`, `--pca` or
 * `--vector-precision` reads and builds an index of its own beside the default
 * one, so it never re-embeds or refits the index a plain command uses.
 * `--model none` (lexical only) reads the default index: it changes no vector.
 */
export function cacheDirFor(root: string, settings: IndexSettings): string {
  const base = defaultCacheDir(root);
  const parts: string[] = [];
  if (settings.modelDir && !sameDirectory(settings.modelDir, defaultModelDir())) parts.push(`model-${basename(settings.modelDir)}-${sha256Hex(resolveReal(settings.modelDir)).slice(0, 8)}`);
  if (settings.pca) parts.push(`pca${settings.pca}`);
  if (settings.vectorPrecision && settings.vectorPrecision !== DEFAULT_VECTOR_PRECISION) parts.push(settings.vectorPrecision);
  return parts.length === 0 ? base : `${base}--${parts.join('-').replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Whether a workspace has an index under any model and settings (their caches share the default's name as a prefix). */
export function isIndexedUnderAnySettings(root: string): boolean {
  const base = defaultCacheDir(root);
  if (isIndexed(base)) return true;
  let names: string[];
  try {
    names = readdirSync(dirname(base));
  } catch {
    return false;
  }
  return names.some((name) => name.startsWith(`${basename(base)}--`) && isIndexed(join(dirname(base), name)));
}

/** Whether a cache folder holds an index (without opening, and so without creating, it). */
export function isIndexed(cacheDir: string): boolean {
  return existsSync(join(cacheDir, CACHE_FILE));
}

export interface WorkspaceChoice {
  readonly root: string;
  /** Why this root: named with --dir, an indexed ancestor, the repository root, or the current directory. */
  readonly reason: 'explicit' | 'indexed' | 'repository' | 'current';
}

/**
 * The workspace a query command works on, found as git finds its repository:
 * from the current directory upwards, the nearest directory that is already
 * indexed, else the nearest one holding `.git`, else the current directory.
 * An explicit `--dir` always wins.
 */
export function findWorkspace(dir: string | undefined, cwd: string, indexedAt: (root: string) => boolean): WorkspaceChoice {
  if (dir !== undefined) return { root: resolve(cwd, dir), reason: 'explicit' };
  let repository: string | null = null;
  for (let current = resolve(cwd); ; current = dirname(current)) {
    if (indexedAt(current)) return { root: current, reason: current === resolve(cwd) ? 'current' : 'indexed' };
    if (repository === null && existsSync(join(current, '.git'))) repository = current;
    if (dirname(current) === current) break;
  }
  return repository ? { root: repository, reason: repository === resolve(cwd) ? 'current' : 'repository' } : { root: resolve(cwd), reason: 'current' };
}

/** A missing workspace is "not found" (exit 3); a file in its place is a usage error that says so. */
export function checkWorkspaceDirectory(root: string): void {
  if (!existsSync(root)) throw new NotFoundError(`Workspace directory not found: ${root}`, { root });
  if (!statSync(root).isDirectory()) throw new InvalidArgumentError(`${root} is a file, not a directory: give the workspace folder (--dir for search, similar and status)`);
}

function resolveReal(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function sameDirectory(a: string, b: string): boolean {
  return resolveReal(a) === resolveReal(b);
}
