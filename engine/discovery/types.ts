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
  | 'symlink'
  | 'symlink-loop'
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
  readonly followSymlinks: boolean;
  /** Extra globs (gitignore syntax) excluded on top of ignore files. */
  readonly excludeGlobs: readonly string[];
  /** Only these language ids, when non-empty. */
  readonly languages: readonly string[];
  readonly respectGitignore: boolean;
}

export const DEFAULT_DISCOVERY: DiscoveryOptions = {
  maxFileBytes: 1024 * 1024,
  followSymlinks: false,
  excludeGlobs: [],
  languages: [],
  respectGitignore: true,
};

export interface DiscoveryResult {
  readonly files: DiscoveredFile[];
  readonly skipped: SkippedFile[];
}
