import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { languageForPath } from '../parsing/languages.js';
import { BINARY_EXTENSIONS, EXCLUDED_DIRECTORIES, GENERATED_PATTERNS, SECRET_PATTERNS } from './defaults.js';
import type { DiscoveryOptions, SkipReason } from './types.js';

interface IgnoreLayer {
  /** Directory of the ignore file, relative to the root ('' for the root). */
  readonly base: string;
  readonly matcher: Ignore;
  readonly reason: SkipReason;
}

const IGNORE_FILES = [
  ['.gitignore', 'gitignore'],
  ['.codegraphignore', 'codegraphignore'],
] as const;

/** Whether a workspace-relative path names an ignore file, whose change alters what is indexed. */
export function isIgnoreFilePath(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return IGNORE_FILES.some(([fileName]) => fileName === name);
}

export type PathVerdict = { readonly include: true; readonly language: string } | { readonly include: false; readonly reason: SkipReason; readonly detail?: string };

/**
 * The workspace's inclusion rules: built-in exclusions, configured globs and
 * nested ignore files with git's semantics (a deeper file can re-include what
 * a shallower one excluded). Ignore files are read once per directory and
 * cached, so a watcher can check single paths as cheaply as a walk does.
 */
export class WorkspaceRules {
  private readonly directories = ignore().add(EXCLUDED_DIRECTORIES.map((name) => `${name}/`));
  private readonly generated = ignore().add(GENERATED_PATTERNS);
  private readonly secrets = ignore().add(SECRET_PATTERNS);
  private readonly globs: Ignore;
  private readonly languageFilter: Set<string>;
  private readonly layerCache = new Map<string, readonly IgnoreLayer[]>();

  constructor(
    private readonly root: string,
    private readonly options: DiscoveryOptions,
  ) {
    this.globs = ignore().add([...options.excludeGlobs]);
    this.languageFilter = new Set(options.languages);
  }

  /** Forgets cached ignore files, e.g. after one of them changed. */
  invalidate(): void {
    this.layerCache.clear();
  }

  /**
   * Whether a directory (relative path) is walked into. Without the built-in
   * directories (node_modules, build, .git, ...) only the user's rules and
   * ignore files count: what a symlink's target inside the workspace must pass.
   */
  checkDirectory(path: string, withBuiltInDirectories = true): SkipReason | null {
    if (withBuiltInDirectories && this.directories.ignores(`${path}/`)) return 'excluded-directory';
    if (this.options.excludeGlobs.length > 0 && this.globs.ignores(`${path}/`)) return 'exclude-glob';
    return this.ignoredByFiles(path, true);
  }

  /** Whether a directory and all its ancestors are walked into: the first reason one is not, or null. */
  checkDirectoryPath(path: string, withBuiltInDirectories = true): SkipReason | null {
    const parts = path.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      const reason = this.checkDirectory(parts.slice(0, depth).join('/'), withBuiltInDirectories);
      if (reason) return reason;
    }
    return null;
  }

  /** Whether a file (relative path) is indexed, and as which language. Checks ancestors too. */
  checkFile(path: string, checkAncestors = false): PathVerdict {
    const excluded = this.exclusionOf(path, checkAncestors);
    if (excluded) return { include: false, reason: excluded };
    const language = languageForPath(path);
    if (!language) return { include: false, reason: 'unsupported-type' };
    if (this.languageFilter.size > 0 && !this.languageFilter.has(language.id)) return { include: false, reason: 'language-filter', detail: language.id };
    return { include: true, language: language.id };
  }

  /**
   * Why a file is excluded whatever its language, or null: what a symlink's
   * target is checked against (the link's own name decides the language).
   */
  exclusionOf(path: string, checkAncestors = false, withBuiltInDirectories = true): SkipReason | null {
    const slash = path.lastIndexOf('/');
    if (checkAncestors && slash > 0) {
      const reason = this.checkDirectoryPath(path.slice(0, slash), withBuiltInDirectories);
      if (reason) return reason;
    }
    if (this.secrets.ignores(path)) return 'secret';
    if (this.generated.ignores(path)) return 'generated';
    if (this.options.excludeGlobs.length > 0 && this.globs.ignores(path)) return 'exclude-glob';
    const ignoredBy = this.ignoredByFiles(path, false);
    if (ignoredBy) return ignoredBy;
    if (BINARY_EXTENSIONS.has(extname(path).toLowerCase())) return 'binary-extension';
    return null;
  }

  private ignoredByFiles(path: string, isDirectory: boolean): SkipReason | null {
    const slash = path.lastIndexOf('/');
    const layers = this.layersFor(slash < 0 ? '' : path.slice(0, slash));
    const candidate = isDirectory ? `${path}/` : path;
    let verdict: SkipReason | null = null;
    for (const layer of layers) {
      const relative = layer.base === '' ? candidate : candidate.slice(layer.base.length + 1);
      const result = layer.matcher.test(relative);
      if (result.ignored) verdict = layer.reason;
      else if (result.unignored) verdict = null;
    }
    return verdict;
  }

  /** Ignore layers that apply inside `directory`: its ancestors' files, then its own. */
  private layersFor(directory: string): readonly IgnoreLayer[] {
    const cached = this.layerCache.get(directory);
    if (cached) return cached;
    const parentLayers = directory === '' ? [] : this.layersFor(directory.includes('/') ? directory.slice(0, directory.lastIndexOf('/')) : '');
    const layers = [...parentLayers];
    for (const [fileName, reason] of IGNORE_FILES) {
      if (reason === 'gitignore' && !this.options.respectGitignore) continue;
      let rules: string;
      try {
        rules = readFileSync(join(this.root, directory, fileName), 'utf8');
      } catch {
        continue;
      }
      layers.push({ base: directory, matcher: ignore().add(rules), reason });
    }
    this.layerCache.set(directory, layers);
    return layers;
  }
}
