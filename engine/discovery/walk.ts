import { isUtf8 } from 'node:buffer';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { WorkspaceRules } from './rules.js';
import type { DiscoveredFile, DiscoveryOptions, DiscoveryResult, SkippedFile, SkipReason } from './types.js';

const STAT_CONCURRENCY = 64;

/** Where a real path lies: the rules of the root that holds it, and its path relative to that root. */
interface RealPlace {
  readonly rules: WorkspaceRules;
  readonly path: string;
  /**
   * Inside the workspace itself, rather than in an allowed outside root. Such
   * a target is checked without the built-in directory exclusions: a link
   * into `.git/annex` or `build/` is the user's choice; their ignore files,
   * globs and the secret patterns still apply.
   */
  readonly inWorkspace: boolean;
}

/** The real workspace root and the outside roots the user allowed links into. */
interface Boundary {
  readonly rootReal: string;
  readonly outside: readonly { readonly real: string; readonly rules: WorkspaceRules }[];
}

/** A directory to walk: its workspace-relative path, where to read it, and (under a followed link) where it really is. */
interface WalkTarget {
  readonly relativeDir: string;
  readonly absoluteDir: string;
  readonly realDir: string;
  /** Set under a followed link: the target's own place, whose rules apply too. */
  readonly place: RealPlace | null;
}

/** What a path that is or passes through a symlink comes to. */
type LinkOutcome =
  | { readonly kind: 'skip'; readonly entry: SkippedFile }
  | { readonly kind: 'file'; readonly file: DiscoveredFile }
  | { readonly kind: 'directory'; readonly target: WalkTarget };

async function boundaryFor(root: string, options: DiscoveryOptions): Promise<Boundary> {
  const rootReal = await realpath(root).catch(() => root);
  const outside: { real: string; rules: WorkspaceRules }[] = [];
  for (const allowed of options.allowedSymlinkRoots) {
    const real = await realpath(allowed).catch(() => null);
    if (real) outside.push({ real, rules: new WorkspaceRules(real, options) });
  }
  return { rootReal, outside };
}

const relativeWithin = (base: string, path: string): string | null => (path === base ? '' : path.startsWith(base + sep) ? path.slice(base.length + 1).split(sep).join('/') : null);

function locate(real: string, boundary: Boundary, rules: WorkspaceRules): RealPlace | null {
  const inside = relativeWithin(boundary.rootReal, real);
  if (inside !== null) return { rules, path: inside, inWorkspace: true };
  for (const root of boundary.outside) {
    const path = relativeWithin(root.real, real);
    if (path !== null) return { rules: root.rules, path, inWorkspace: false };
  }
  return null;
}

const childPlace = (place: RealPlace | null, name: string): RealPlace | null => (place ? { ...place, path: place.path ? `${place.path}/${name}` : name } : null);

/**
 * A file or directory name as text: valid UTF-8 as is, each invalid byte as
 * `\xNN`, so that distinct names stay distinct in the skip list.
 */
export function printableName(raw: Buffer): string {
  let text = '';
  let index = 0;
  while (index < raw.length) {
    const byte = raw[index]!;
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte < 0xe0 ? 2 : byte >= 0xe0 && byte < 0xf0 ? 3 : byte >= 0xf0 && byte < 0xf5 ? 4 : 0;
    if (length > 0 && index + length <= raw.length && isUtf8(raw.subarray(index, index + length))) {
      text += raw.toString('utf8', index, index + length);
      index += length;
    } else {
      text += `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      index++;
    }
  }
  return text;
}

type EntryKind = Pick<Dirent, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;

/**
 * A directory's entries with their names. Names that are not valid UTF-8 are
 * reported (once each) and left out: paths are stored and printed as text, and
 * the lossy string would name no file. Decoding replaces invalid bytes with
 * U+FFFD, so only a directory with that character is read again as bytes.
 */
async function readNames(absoluteDir: string, relativeDir: string, skipped: SkippedFile[]): Promise<{ name: string; entry: EntryKind }[]> {
  const entries = await readdir(absoluteDir, { withFileTypes: true });
  if (!entries.some((entry) => entry.name.includes('\uFFFD'))) return entries.map((entry) => ({ name: entry.name, entry }));
  const named: { name: string; entry: EntryKind }[] = [];
  for (const entry of await readdir(absoluteDir, { withFileTypes: true, encoding: 'buffer' })) {
    if (isUtf8(entry.name)) named.push({ name: entry.name.toString('utf8'), entry });
    else {
      const shown = printableName(entry.name);
      skipped.push(skip(relativeDir === '' ? shown : `${relativeDir}/${shown}`, 'unsupported-file-name', 'the name is not valid UTF-8 (invalid bytes shown as \\xNN)'));
    }
  }
  return named;
}

/** `join` for a name that has no separator in it, without normalising again. */
const childPath = (dir: string, name: string): string => (dir.endsWith(sep) ? dir + name : dir + sep + name);

const skip = (path: string, reason: SkipReason, detail?: string): SkippedFile => (detail === undefined ? { path, reason } : { path, reason, detail });

/**
 * Decides a path that is a symlink or lies under one. A link is followed only
 * if its real target is inside the workspace or an allowed outside root, and
 * passes the secret and ignore rules there as well as under its own name.
 * A target the walk reaches under its own path is a duplicate; so links add
 * files only from outside roots and from built-in excluded directories.
 */
async function resolveLinked(path: string, absolutePath: string, parentReal: string | null, boundary: Boundary, rules: WorkspaceRules, options: DiscoveryOptions): Promise<LinkOutcome> {
  if (!options.followSymlinks) return { kind: 'skip', entry: skip(path, 'symlink') };
  const real = await realpath(absolutePath).catch((error: NodeJS.ErrnoException) => error);
  if (real instanceof Error) {
    const entry = real.code === 'ELOOP' ? skip(path, 'symlink-loop', 'ELOOP') : skip(path, 'unreadable', real.code === 'ENOENT' ? 'dangling symlink' : (real.code ?? real.message));
    return { kind: 'skip', entry };
  }
  const info = await stat(real).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) return { kind: 'skip', entry: skip(path, 'unreadable', info.code ?? info.message) };
  if (!info.isFile() && !info.isDirectory()) return { kind: 'skip', entry: skip(path, 'special-file', specialKind(info)) };
  const place = locate(real, boundary, rules);
  if (!place) return { kind: 'skip', entry: skip(path, 'symlink-outside-root', `leads to ${real}, outside the workspace; follow it only by naming that root (--follow-symlinks-outside)`) };
  const shown = place.inWorkspace ? place.path : real;
  const withBuiltIns = !place.inWorkspace;
  if (info.isDirectory()) {
    if (parentReal !== null && (parentReal === real || parentReal.startsWith(real + sep))) return { kind: 'skip', entry: skip(path, 'symlink-loop', real) };
    const byName = rules.checkDirectoryPath(path);
    if (byName) return { kind: 'skip', entry: skip(path, byName) };
    const byTarget = place.path === '' ? null : place.rules.checkDirectoryPath(place.path, withBuiltIns);
    if (byTarget) return { kind: 'skip', entry: skip(path, byTarget, `link to ${shown}`) };
    if (place.inWorkspace && (place.path === '' || rules.checkDirectoryPath(place.path) === null)) return { kind: 'skip', entry: skip(path, 'symlink-duplicate', `${shown} is indexed under its own path`) };
    return { kind: 'directory', target: { relativeDir: path, absoluteDir: real, realDir: real, place } };
  }
  const verdict = rules.checkFile(path, true);
  if (!verdict.include) return { kind: 'skip', entry: skip(path, verdict.reason, verdict.detail) };
  const byTarget = place.rules.exclusionOf(place.path, true, withBuiltIns);
  if (byTarget) return { kind: 'skip', entry: skip(path, byTarget, `link to ${shown}`) };
  const slash = place.path.lastIndexOf('/');
  if (place.inWorkspace && (slash < 0 || rules.checkDirectoryPath(place.path.slice(0, slash)) === null)) return { kind: 'skip', entry: skip(path, 'symlink-duplicate', `same file as ${shown}`) };
  if (info.size > options.maxFileBytes) return { kind: 'skip', entry: skip(path, 'too-large', `${info.size} bytes`) };
  // Read from the real path, so that a link re-pointed after this check cannot redirect the read.
  return { kind: 'file', file: { path, absolutePath: real, size: info.size, mtimeMs: Math.trunc(info.mtimeMs), language: verdict.language } };
}

/**
 * Walks a workspace and returns the files worth indexing, plus every skipped
 * path with its reason. Ignored directories are reported once, not walked.
 * `under` walks only that subdirectory (a directory named by a file event).
 * A full walk reads every ignore file afresh.
 */
export async function discoverFiles(root: string, options: DiscoveryOptions, rules = new WorkspaceRules(root, options), under = ''): Promise<DiscoveryResult> {
  if (under === '') rules.invalidate();
  const files: DiscoveredFile[] = [];
  const skipped: SkippedFile[] = [];
  const boundary = await boundaryFor(root, options);
  // Real directories walked, with the path each was walked as: every one is walked once.
  const walked = new Map<string, string>();
  // Real paths of files reached through links into outside roots, which two links may share.
  const claimed = new Map<string, string>();
  // Links are decided once the tree is walked, in the order found: only links into outside roots add files.
  const links: { path: string; absolutePath: string; parentReal: string }[] = [];

  const walkDirectory = async ({ relativeDir, absoluteDir, realDir, place }: WalkTarget): Promise<void> => {
    walked.set(realDir, relativeDir);
    let named: { name: string; entry: EntryKind }[];
    try {
      named = await readNames(absoluteDir, relativeDir, skipped);
    } catch (error) {
      skipped.push(skip(relativeDir || '.', 'unreadable', (error as NodeJS.ErrnoException).code ?? String(error)));
      return;
    }
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const subdirectories: WalkTarget[] = [];
    const candidates: { path: string; absolutePath: string; language: string }[] = [];
    for (const { name, entry } of named) {
      const path = relativeDir === '' ? name : `${relativeDir}/${name}`;
      const realPath = childPath(realDir, name);
      const real = childPlace(place, name);
      if (entry.isSymbolicLink()) {
        if (options.followSymlinks) links.push({ path, absolutePath: join(absoluteDir, name), parentReal: realDir });
        else skipped.push(skip(path, 'symlink'));
        continue;
      }
      if (entry.isDirectory()) {
        const reason = rules.checkDirectory(path) ?? (real ? real.rules.checkDirectory(real.path, !real.inWorkspace) : null);
        const seenAs = walked.get(realPath);
        if (reason) skipped.push(skip(path, reason));
        else if (seenAs !== undefined) skipped.push(skip(path, 'symlink-duplicate', `${seenAs || '.'} is the same directory`));
        else subdirectories.push({ relativeDir: path, absoluteDir: join(absoluteDir, name), realDir: realPath, place: real });
        continue;
      }
      if (!entry.isFile()) {
        skipped.push(skip(path, 'special-file', specialKind(entry)));
        continue;
      }
      const verdict = rules.checkFile(path);
      if (!verdict.include) {
        skipped.push(skip(path, verdict.reason, verdict.detail));
        continue;
      }
      if (real) {
        const byTarget = real.rules.exclusionOf(real.path);
        const seenAs = claimed.get(realPath);
        if (byTarget) {
          skipped.push(skip(path, byTarget, `link to ${realPath}`));
          continue;
        }
        if (seenAs !== undefined) {
          skipped.push(skip(path, 'symlink-duplicate', `same file as ${seenAs}`));
          continue;
        }
        claimed.set(realPath, path);
      }
      candidates.push({ path, absolutePath: join(absoluteDir, name), language: verdict.language });
    }

    for (let start = 0; start < candidates.length; start += STAT_CONCURRENCY) {
      const slice = candidates.slice(start, start + STAT_CONCURRENCY);
      const stats = await Promise.all(slice.map((candidate) => lstat(candidate.absolutePath).catch((error: NodeJS.ErrnoException) => error)));
      slice.forEach((candidate, index) => {
        const info = stats[index]!;
        if (info instanceof Error) {
          skipped.push(skip(candidate.path, 'unreadable', info.code ?? info.message));
        } else if (!info.isFile()) {
          skipped.push(skip(candidate.path, 'special-file', specialKind(info)));
        } else if (info.size > options.maxFileBytes) {
          skipped.push(skip(candidate.path, 'too-large', `${info.size} bytes`));
        } else {
          files.push({ path: candidate.path, absolutePath: candidate.absolutePath, size: info.size, mtimeMs: Math.trunc(info.mtimeMs), language: candidate.language });
        }
      });
    }
    for (const subdirectory of subdirectories) await walkDirectory(subdirectory);
  };

  const decideLink = async (path: string, absolutePath: string, parentReal: string | null) => {
    const outcome = await resolveLinked(path, absolutePath, parentReal, boundary, rules, options);
    if (outcome.kind === 'skip') skipped.push(outcome.entry);
    else if (outcome.kind === 'file') {
      const seenAs = claimed.get(outcome.file.absolutePath);
      if (seenAs !== undefined) skipped.push(skip(path, 'symlink-duplicate', `same file as ${seenAs}`));
      else {
        claimed.set(outcome.file.absolutePath, path);
        files.push(outcome.file);
      }
    } else {
      const seenAs = walked.get(outcome.target.realDir);
      if (seenAs !== undefined) skipped.push(skip(path, 'symlink-duplicate', `${seenAs || '.'} is the same directory`));
      else await walkDirectory(outcome.target);
    }
  };

  if (under === '') {
    await walkDirectory({ relativeDir: '', absoluteDir: root, realDir: boundary.rootReal, place: null });
  } else {
    const absoluteDir = join(root, under);
    const parentReal = await realpath(dirname(absoluteDir)).catch(() => null);
    const realDir = await realpath(absoluteDir).catch(() => null);
    const reason = rules.checkDirectoryPath(under);
    if (reason) skipped.push(skip(under, reason));
    else if (realDir === null || parentReal === null) skipped.push(skip(under, 'unreadable', 'ENOENT'));
    else if (realDir === join(boundary.rootReal, under)) await walkDirectory({ relativeDir: under, absoluteDir, realDir, place: null });
    else await decideLink(under, absoluteDir, parentReal);
  }
  for (let index = 0; index < links.length; index++) {
    const link = links[index]!;
    await decideLink(link.path, link.absolutePath, link.parentReal);
  }
  return { files, skipped };
}

/** What a path named by a file event comes to. */
export type PathCheck =
  | { readonly kind: 'gone' }
  | { readonly kind: 'file'; readonly file: DiscoveredFile }
  | { readonly kind: 'skipped'; readonly entry: SkippedFile }
  /** A directory to walk with `discoverFiles(root, options, rules, path)`. */
  | { readonly kind: 'directory' };

/**
 * Checks one workspace-relative path, as a walk would have decided it: the
 * ignore rules with its ancestors, and, when it is or lies under a symlink,
 * the link rules of `discoverFiles`.
 */
export async function checkPath(root: string, path: string, options: DiscoveryOptions, rules: WorkspaceRules): Promise<PathCheck> {
  const absolutePath = join(root, path);
  const info = await lstat(absolutePath).catch(() => null);
  if (!info) return { kind: 'gone' };
  const boundary = await boundaryFor(root, options);
  const parentReal = await realpath(dirname(absolutePath)).catch(() => null);
  if (parentReal === null) return { kind: 'gone' };
  const direct = !info.isSymbolicLink() && parentReal === dirname(join(boundary.rootReal, path));
  if (!direct) {
    const outcome = await resolveLinked(path, absolutePath, parentReal, boundary, rules, options);
    if (outcome.kind === 'skip') return { kind: 'skipped', entry: outcome.entry };
    return outcome.kind === 'file' ? outcome : { kind: 'directory' };
  }
  if (info.isDirectory()) return { kind: 'directory' };
  const verdict = rules.checkFile(path, true);
  if (!verdict.include) return { kind: 'skipped', entry: skip(path, verdict.reason, verdict.detail) };
  // A FIFO would block the worker that opens it forever.
  if (!info.isFile()) return { kind: 'skipped', entry: skip(path, 'special-file', specialKind(info)) };
  if (info.size > options.maxFileBytes) return { kind: 'skipped', entry: skip(path, 'too-large', `${info.size} bytes`) };
  return { kind: 'file', file: { path, absolutePath, size: info.size, mtimeMs: Math.trunc(info.mtimeMs), language: verdict.language } };
}

/** What kind of non-regular file an entry is, for skip reports. */
export function specialKind(entry: Pick<Dirent | Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
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
