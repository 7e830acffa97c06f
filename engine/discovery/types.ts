export type SkipReason =
  | 'gitignore'
  | 'codegraphignore'
  | 'excluded-directory'
  | 'generated'
  | 'secret'
  | 'exclude-glob'
  | 'binary-extension'
  | 'unsupported-type'
  | 'language-filter'
  | 'too-large'
  | 'binary'
  | 'invalid-utf8'
  /** A symlink, with following turned off. */
  | 'symlink'
  | 'symlink-loop'
  /** A symlink whose target is outside the workspace and every allowed root. */
  | 'symlink-outside-root'
  /** A symlink to a file or directory already indexed under its own path (or through another link). */
  | 'symlink-duplicate'
  /** A name that is not valid UTF-8: paths are stored, searched and printed as text. */
  | 'unsupported-file-name'
  | 'unreadable'
  /** FIFOs, sockets and devices: reading one can block forever, so it is never opened. */
  | 'special-file'
  | 'quarantined';

export interface DiscoveredFile {
  /** Relative to the workspace root, with `/` separators. */
  readonly path: string;
  readonly absolutePath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly language: string;
}

export interface SkippedFile {
  readonly path: string;
  readonly reason: SkipReason;
  readonly detail?: string;
}

export interface DiscoveryOptions {
  /** Files larger than this are skipped. */
  readonly maxFileBytes: number;
  /**
   * Follow symbolic links. A link is followed only when its real target lies
   * inside the workspace root or one of `allowedSymlinkRoots`, and only when
   * the target passes the same secret and ignore rules as the link's name.
   */
  readonly followSymlinks: boolean;
  /** Absolute directories outside the workspace that links may lead into (named by the user, never implied). */
  readonly allowedSymlinkRoots: readonly string[];
  /** Extra globs (gitignore syntax) excluded on top of ignore files. */
  readonly excludeGlobs: readonly string[];
  /** Only these language ids, when non-empty. */
  readonly languages: readonly string[];
  readonly respectGitignore: boolean;
}

export const DEFAULT_DISCOVERY: DiscoveryOptions = {
  maxFileBytes: 1024 * 1024,
  followSymlinks: true,
  allowedSymlinkRoots: [],
  excludeGlobs: [],
  languages: [],
  respectGitignore: true,
};

export interface DiscoveryResult {
  readonly files: DiscoveredFile[];
  readonly skipped: SkippedFile[];
}
