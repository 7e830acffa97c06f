/**
 * The multi-root registry: one FolderIndex per workspace folder, routing of
 * file events to the folder that owns them, and search across all folders.
 * Pure: folders arrive as plain `FolderRef`s.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { EXCLUDED_DIRECTORIES } from '../../engine/discovery/defaults.js';
import type { SearchHit, SearchOptions } from '../../engine/index.js';
import { Disposable, type DisposableLike } from './disposable.js';
import { Emitter } from './emitter.js';
import type { FolderEngineSettings, FolderIndex, FolderRef, FolderSnapshot } from './folderIndex.js';
import { describeError, type Logger } from './logger.js';

/** A search hit and the folder it came from. */
export interface FolderHit {
  readonly folder: FolderRef;
  readonly hit: SearchHit;
}

export interface WorkspaceSearchResult {
  readonly hits: readonly FolderHit[];
  /** Folders that could not answer, with the reason. */
  readonly failures: readonly { readonly folder: FolderRef; readonly message: string }[];
}

export interface WorkspaceIndexesOptions {
  readonly createIndex: (folder: FolderRef) => FolderIndex;
  /** Engine settings for a folder, read at the moment it (re)opens. */
  readonly settingsFor: (folder: FolderRef) => FolderEngineSettings;
  readonly log: Logger;
}

/** `root`-relative, `/`-separated path of `absolutePath`, or null when it lies outside `root`. */
export function relativeInside(root: string, absolutePath: string): string | null {
  const path = relative(root, absolutePath);
  if (path === '') return '';
  if (path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) return null;
  return path.split(sep).join('/');
}

const EXCLUDED = new Set(EXCLUDED_DIRECTORIES);

/**
 * Whether a folder-relative path lies inside a directory the engine always
 * excludes. The last segment is not checked: a file may be named `build`, and
 * an excluded directory itself holds nothing indexed.
 */
export function inExcludedDirectory(relativePath: string): boolean {
  return relativePath.split('/').slice(0, -1).some((segment) => EXCLUDED.has(segment));
}

export class WorkspaceIndexes extends Disposable {
  readonly #options: WorkspaceIndexesOptions;
  readonly #indexes = new Map<string, { index: FolderIndex; subscription: DisposableLike }>();
  readonly #onDidChange = this.register(new Emitter<void>());
  /** Fires on any folder's state change, and when folders come or go; read `snapshots()` then. */
  readonly onDidChange = this.#onDidChange.event;

  constructor(options: WorkspaceIndexesOptions) {
    super();
    this.#options = options;
    this.register({ dispose: () => this.#closeAll() });
  }

  get size(): number {
    return this.#indexes.size;
  }

  all(): FolderIndex[] {
    return [...this.#indexes.values()].map((entry) => entry.index);
  }

  get(key: string): FolderIndex | undefined {
    return this.#indexes.get(key)?.index;
  }

  byName(name: string): FolderIndex | undefined {
    return this.all().find((index) => index.folder.name === name);
  }

  snapshots(): FolderSnapshot[] {
    return this.all().map((index) => index.snapshot());
  }

  /**
   * Makes the open folders exactly `folders`: new ones are opened and indexed,
   * removed ones closed. Returns the indexes that were started.
   */
  setFolders(folders: readonly FolderRef[]): FolderIndex[] {
    const wanted = new Map(folders.map((folder) => [folder.key, folder]));
    for (const [key, entry] of this.#indexes) {
      if (wanted.has(key)) continue;
      this.#indexes.delete(key);
      entry.subscription.dispose();
      this.#options.log.info(`Folder removed: ${entry.index.folder.name}`);
      void entry.index.close().catch((error: unknown) => this.#options.log.error(`Closing ${entry.index.folder.name} failed`, error));
    }
    const started: FolderIndex[] = [];
    for (const folder of wanted.values()) {
      if (this.#indexes.has(folder.key)) continue;
      const index = this.#options.createIndex(folder);
      const subscription = index.onDidChange(() => this.#onDidChange.fire(undefined));
      this.#indexes.set(folder.key, { index, subscription });
      this.#options.log.info(`Folder added: ${folder.name} (${folder.root})`);
      this.#start(index, 'start');
      started.push(index);
    }
    this.#onDidChange.fire(undefined);
    return started;
  }

  /** The folder that contains an absolute path, innermost first (nested folders). */
  locate(absolutePath: string): { index: FolderIndex; relativePath: string } | undefined {
    let best: { index: FolderIndex; relativePath: string } | undefined;
    for (const index of this.all()) {
      const relativePath = relativeInside(index.folder.root, absolutePath);
      if (relativePath === null) continue;
      if (!best || index.folder.root.length > best.index.folder.root.length) best = { index, relativePath };
    }
    return best;
  }

  /**
   * Routes a file event to its folder. Paths outside every folder, and inside
   * directories the engine never indexes (`.git`, `node_modules`, ...), are
   * dropped here: a git command touches `.git/` constantly, and each event
   * would otherwise cost an indexing run that changes nothing.
   */
  notifyChanged(absolutePath: string): boolean {
    const located = this.locate(absolutePath);
    if (!located || located.relativePath === '' || inExcludedDirectory(located.relativePath)) return false;
    located.index.notifyChanged(located.relativePath);
    return true;
  }

  pauseAll(): void {
    for (const index of this.all()) index.pause();
  }

  resumeAll(): void {
    for (const index of this.all()) index.resume();
  }

  get anyPaused(): boolean {
    return this.all().some((index) => index.paused);
  }

  async reindexAll(): Promise<void> {
    await Promise.all(this.all().map((index) => index.reindex()));
  }

  reconfigureAll(): void {
    for (const index of this.all()) this.#start(index, 'reconfigure');
  }

  async clearAll(): Promise<void> {
    await Promise.all(this.all().map((index) => index.clear(this.#options.settingsFor(index.folder))));
  }

  /** Searches every folder and merges by score; a failing folder is reported, not fatal. */
  async search(query: string, options: Partial<SearchOptions>): Promise<WorkspaceSearchResult> {
    const limit = options.limit ?? 20;
    type Answer = { readonly folder: FolderRef; readonly hits: readonly SearchHit[] } | { readonly folder: FolderRef; readonly error: string };
    const results = await Promise.all(
      this.all().map(async (index): Promise<Answer> => {
        try {
          return { folder: index.folder, hits: await index.search(query, { ...options, limit }) };
        } catch (error) {
          return { folder: index.folder, error: describeError(error) };
        }
      }),
    );
    const hits: FolderHit[] = [];
    const failures: { folder: FolderRef; message: string }[] = [];
    for (const result of results) {
      if ('error' in result) failures.push({ folder: result.folder, message: result.error });
      else for (const hit of result.hits) hits.push({ folder: result.folder, hit });
    }
    hits.sort((a, b) => b.hit.score - a.hit.score);
    return { hits: hits.slice(0, limit), failures };
  }

  async whenSettled(): Promise<FolderSnapshot[]> {
    return Promise.all(this.all().map((index) => index.whenSettled()));
  }

  #start(index: FolderIndex, what: 'start' | 'reconfigure'): void {
    let settings: FolderEngineSettings;
    try {
      settings = this.#options.settingsFor(index.folder);
    } catch (error) {
      this.#options.log.error(`[${index.folder.name}] Cannot ${what}: invalid settings`, error);
      return;
    }
    const operation = what === 'start' ? index.start(settings) : index.reconfigure(settings);
    void operation.catch((error: unknown) => this.#options.log.error(`[${index.folder.name}] ${what} failed`, error));
  }

  #closeAll(): void {
    for (const entry of this.#indexes.values()) {
      entry.subscription.dispose();
      entry.index.dispose();
    }
    this.#indexes.clear();
  }

  /** Closes every engine and waits for them (deactivation). */
  async closeAll(): Promise<void> {
    const indexes = this.all();
    this.#closeAll();
    await Promise.all(indexes.map((index) => index.close()));
  }
}
