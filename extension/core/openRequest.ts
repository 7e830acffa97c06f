/**
 * Resolving a path that arrived from outside the host (the search panel, a
 * hover link) to a file inside a workspace folder. Anything that could escape
 * the folder is refused: absolute paths, `..` segments, backslashes, NUL, and
 * symlinks whose target lies outside.
 */
import { realpath as fsRealpath } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { OutsideWorkspaceError } from './errors.js';

/** Checks the shape of a folder-relative path before touching the disk. */
export function checkRelativePath(path: string): string {
  if (path === '' || path.includes('\0')) throw new OutsideWorkspaceError('empty path or NUL byte');
  if (path.includes('\\')) throw new OutsideWorkspaceError(`backslash in '${path}'`);
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) throw new OutsideWorkspaceError(`absolute path '${path}'`);
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..')) throw new OutsideWorkspaceError(`'..' in '${path}'`);
  return segments.filter((segment) => segment !== '' && segment !== '.').join('/');
}

function inside(root: string, target: string): boolean {
  const path = relative(root, target);
  return path === '' || (!path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path));
}

/**
 * The absolute path of `relativePath` in `folderRoot`, after checking that it
 * and its real location (symlinks resolved) stay inside the folder.
 */
export async function resolveInsideFolder(folderRoot: string, relativePath: string, realpath: (path: string) => Promise<string> = fsRealpath): Promise<string> {
  const clean = checkRelativePath(relativePath);
  const absolute = join(folderRoot, clean);
  if (!inside(folderRoot, absolute)) throw new OutsideWorkspaceError(`'${relativePath}' leaves the folder`);
  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = await realpath(folderRoot);
    realTarget = await realpath(absolute);
  } catch {
    throw new OutsideWorkspaceError(`'${relativePath}' does not exist in the folder`);
  }
  if (!inside(realRoot, realTarget)) throw new OutsideWorkspaceError(`'${relativePath}' links outside the folder`);
  return absolute;
}
