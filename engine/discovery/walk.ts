import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkspaceRules } from './rules.js';
import type { DiscoveredFile, DiscoveryOptions, DiscoveryResult, SkippedFile, SkipReason } from './types.js';

const STAT_CONCURRENCY = 64;

/**
 * Walks a workspace and returns the files worth indexing, plus every skipped
 * path with its reason. Ignored directories are reported once, not walked.
 */
export async function discoverFiles(root: string, options: DiscoveryOptions, rules = new WorkspaceRules(root, options)): Promise<DiscoveryResult> {
  const files: DiscoveredFile[] = [];
  const skipped: SkippedFile[] = [];
  // Real paths of the directories above the one being walked: a symlink back to one of them is a loop.
  const walkDirectory = async (relativeDir: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const absoluteDir = relativeDir === '' ? root : join(root, relativeDir);
    let lineage = ancestors;
    if (options.followSymlinks) {
      const real = await realpath(absoluteDir).catch(() => absoluteDir);
      if (ancestors.has(real)) {
        skipped.push({ path: relativeDir, reason: 'symlink-loop', detail: real });
        return;
      }
      lineage = new Set([...ancestors, real]);
    }
    let entries: Dirent[];
    try {
      entries = await readdir(absoluteDir, { withFileTypes: true });
    } catch (error) {
      skipped.push({ path: relativeDir || '.', reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? String(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const subdirectories: string[] = [];
    const candidates: { path: string; absolutePath: string; language: string; symlink: boolean }[] = [];
    for (const entry of entries) {
      const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      let isDirectory = entry.isDirectory();
      const isSymlink = entry.isSymbolicLink();
      if (isSymlink) {
        if (!options.followSymlinks) {
          skipped.push({ path, reason: 'symlink' });
          continue;
        }
        const target = await stat(join(absoluteDir, entry.name)).catch((error: NodeJS.ErrnoException) => error);
        if (target instanceof Error) {
          skipped.push(target.code === 'ELOOP' ? { path, reason: 'symlink-loop', detail: 'ELOOP' } : { path, reason: 'unreadable', detail: target.code ?? 'dangling symlink' });
          continue;
        }
        isDirectory = target.isDirectory();
        if (!isDirectory && !target.isFile()) {
          skipped.push({ path, reason: 'special-file', detail: specialKind(target) });
          continue;
        }
      } else if (!isDirectory && !entry.isFile()) {
        skipped.push({ path, reason: 'special-file', detail: specialKind(entry) });
        continue;
      }
      if (isDirectory) {
        const reason = rules.checkDirectory(path);
        if (reason) skipped.push({ path, reason });
        else subdirectories.push(path);
        continue;
      }
      const verdict = rules.checkFile(path);
      if (!verdict.include) {
        skipped.push(verdict.detail ? { path, reason: verdict.reason, detail: verdict.detail } : { path, reason: verdict.reason });
        continue;
      }
      candidates.push({ path, absolutePath: join(absoluteDir, entry.name), language: verdict.language, symlink: isSymlink });
    }

    for (let start = 0; start < candidates.length; start += STAT_CONCURRENCY) {
      const slice = candidates.slice(start, start + STAT_CONCURRENCY);
      const stats = await Promise.all(slice.map((candidate) => (candidate.symlink ? stat : lstat)(candidate.absolutePath).catch((error: NodeJS.ErrnoException) => error)));
      slice.forEach((candidate, index) => {
        const info = stats[index]!;
        if (info instanceof Error) {
          skipped.push({ path: candidate.path, reason: 'unreadable', detail: info.code ?? info.message });
        } else if (!info.isFile()) {
          skipped.push({ path: candidate.path, reason: 'special-file', detail: specialKind(info) });
        } else if (info.size > options.maxFileBytes) {
          skipped.push({ path: candidate.path, reason: 'too-large', detail: `${info.size} bytes` });
        } else {
          files.push({ path: candidate.path, absolutePath: candidate.absolutePath, size: info.size, mtimeMs: Math.trunc(info.mtimeMs), language: candidate.language });
        }
      });
    }
    for (const subdirectory of subdirectories) await walkDirectory(subdirectory, lineage);
  };

  await walkDirectory('', new Set());
  return { files, skipped };
}

/** What kind of non-regular file an entry is, for skip reports. */
export function specialKind(entry: Pick<Dirent, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'device';
  return 'not a regular file';
}

/** Counts skipped files by reason, for summaries. */
export function countSkipped(skipped: readonly SkippedFile[]): Partial<Record<SkipReason, number>> {
  const counts: Partial<Record<SkipReason, number>> = {};
  for (const entry of skipped) counts[entry.reason] = (counts[entry.reason] ?? 0) + 1;
  return counts;
}
