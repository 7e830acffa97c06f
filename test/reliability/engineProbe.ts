/**
 * Shared checks for reliability tests: a hang detector, the store-versus-disk
 * comparison, and running the CLI as a child process.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeGraph } from '../../engine/codegraph.js';
import { decodeSourceText } from '../../engine/discovery/content.js';
import { discoverFiles } from '../../engine/discovery/walk.js';
import { fileContentHash } from '../../engine/hashing/hash.js';
import { REPO_ROOT } from '../helpers.js';

/**
 * A temporary directory for corpora of many files: on /dev/shm (tmpfs) when it
 * has room, because deleting 100,000 files from a disk mounted with online
 * `discard` took minutes here; otherwise in the system temp directory.
 */
export function scratchDir(prefix: string, neededBytes = 2 * 1024 ** 3): { path: string; cleanup: () => void } {
  let base = tmpdir();
  try {
    const shm = statfsSync('/dev/shm');
    if (existsSync('/dev/shm') && shm.bavail * shm.bsize > neededBytes) base = '/dev/shm';
  } catch {
    // no /dev/shm: the temp directory it is
  }
  const path = mkdtempSync(join(base, prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Rejects if `work` takes longer than `ms`: a hang detector, not a speed test. */
export async function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s (hang?)`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface StoreDiskDiff {
  /** Indexable on disk but not in the store. */
  readonly missing: string[];
  /** In the store but no longer indexable on disk. */
  readonly extra: string[];
  /** In both, but the stored content hash is not the file's. */
  readonly stale: string[];
}

/**
 * Compares the store's file rows with what discovery finds on disk now,
 * content hash included.
 */
export async function compareStoreWithDisk(graph: CodeGraph): Promise<StoreDiskDiff> {
  const stored = await graph.store.files();
  const { files } = await discoverFiles(graph.config.root, graph.config.discovery);
  const onDisk = new Map(files.map((file) => [file.path, file.absolutePath]));
  const missing: string[] = [];
  const extra: string[] = [];
  const stale: string[] = [];
  for (const [path, absolutePath] of onDisk) {
    const row = stored.get(path);
    // Binary or mis-encoded content is refused after reading, not by discovery.
    const bytes = readFileSync(absolutePath);
    const decodable = decodeSourceText(bytes).ok;
    if (!row) {
      if (decodable) missing.push(path);
    } else if (!decodable) extra.push(path);
    else if (row.contentHash !== fileContentHash(bytes)) stale.push(path);
  }
  extra.push(...[...stored.keys()].filter((path) => !onDisk.has(path)));
  return { missing, extra, stale };
}

export function isConsistent(diff: StoreDiskDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.stale.length === 0;
}

/** Integrity problems of the SQLite file and rows pointing at nothing; empty when sound. */
export async function storeProblems(graph: CodeGraph): Promise<string[]> {
  const problems = await graph.store.integrityCheck();
  for (const [kind, count] of Object.entries(await graph.store.orphanCounts())) problems.push(`${count} ${kind}`);
  return problems;
}

export function runCli(args: readonly string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'codegraph.js'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: options.env ?? process.env,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
}
