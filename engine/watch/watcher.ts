import { lstatSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { CodeGraph } from '../codegraph.js';
import type { IndexRunOptions, IndexSummary } from '../indexer/indexer.js';
import { isIgnoreFilePath, WorkspaceRules } from '../discovery/rules.js';
import { ChangeCoalescer } from './coalescer.js';

/**
 * A batch this large is a storm (branch switch, generator, `git clean`). Storms
 * can overflow the kernel's event queue (`fs.inotify.max_queued_events`,
 * 16,384 by default): events are then dropped without notice. Here a
 * 10,000-file checkout delivered 4,096 of 10,000 changes. Loss needs thousands
 * of queued events, so a storm's first batch always passes this size.
 */
const STORM_PATHS = 1000;

export interface WatchOptions {
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  /** Batches of at least this many paths are reconciled with a full walk instead (default 1,000). */
  readonly stormPaths?: number;
  /** After a storm, or a watcher error, a full walk runs once events have been quiet this long (default 3 s). */
  readonly settleMs?: number;
  /** Passed to every indexing run the watcher starts (e.g. the language selection of `watch --lang`). */
  readonly run?: Pick<IndexRunOptions, 'languages'>;
  readonly onBatch?: (summary: IndexSummary, paths: readonly string[]) => void;
  readonly onError?: (error: unknown) => void;
}

/** Keeps a workspace's index live from file-system events (terminal edits, checkouts, generators). */
export class WorkspaceWatcher {
  private constructor(
    private readonly watcher: FSWatcher,
    private readonly coalescer: ChangeCoalescer,
    private readonly stopSettling: () => void,
  ) {}

  static async start(graph: CodeGraph, options: WatchOptions = {}): Promise<WorkspaceWatcher> {
    const root = graph.config.root;
    const discovery = graph.config.discovery;
    const rules = new WorkspaceRules(root, discovery);
    const stormPaths = options.stormPaths ?? STORM_PATHS;
    const settleMs = options.settleMs ?? 3000;
    // Set after a storm or an error: events may have been lost, so the tree is walked again once quiet.
    let settleTimer: NodeJS.Timeout | null = null;
    let closed = false;
    const index = async (paths: string[], full: boolean) => {
      try {
        // A full walk finds what dropped events would have named; the stat fast path keeps it cheap.
        const summary = await graph.index(full ? { ...options.run } : { ...options.run, paths });
        options.onBatch?.(summary, paths);
      } catch (error) {
        options.onError?.(error);
      }
    };
    const armSettle = () => {
      if (closed) return;
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = setTimeout(() => {
        settleTimer = null;
        void index([], true);
      }, settleMs);
    };
    // Directories an ignore file kept unwatched; a rule change that reveals one adds it to the watcher
    // (`watcher` is created below, before any event can flush).
    const hiddenByIgnoreFiles = new Set<string>();
    const reloadRules = () => {
      rules.invalidate();
      for (const path of [...hiddenByIgnoreFiles]) {
        if (rules.checkDirectoryPath(path) !== null) continue;
        hiddenByIgnoreFiles.delete(path);
        watcher.add(join(root, path));
      }
    };
    const coalescer = new ChangeCoalescer(
      async (paths) => {
        const storm = paths.length >= stormPaths;
        // An edited ignore file changes what is indexed anywhere below it: a full walk adds what became visible and removes what became hidden.
        const rulesChanged = paths.some(isIgnoreFilePath);
        if (rulesChanged) reloadRules();
        await index(paths, storm || rulesChanged);
        if (storm) armSettle();
      },
      options.quietMs,
      options.maxWaitMs,
    );
    const toRelative = (path: string) => relative(root, path).split(sep).join('/');
    const rootReal = realPathOrNull(root) ?? root;
    const followedRoots = discovery.allowedSymlinkRoots.flatMap((dir) => realPathOrNull(dir) ?? []);
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: discovery.followSymlinks,
      // Excluded directories are never watched: node_modules alone can exhaust inotify watches.
      ignored: (path, stats) => {
        const relativePath = toRelative(path);
        if (!relativePath || relativePath.startsWith('..') || stats?.isDirectory() !== true) return false;
        const reason = rules.checkDirectory(relativePath);
        if (reason === 'gitignore' || reason === 'codegraphignore') hiddenByIgnoreFiles.add(relativePath);
        if (reason) return true;
        // A linked directory is watched only where discovery may walk it: inside the workspace or an allowed outside root.
        if (!discovery.followSymlinks || !isSymlink(path)) return false;
        const real = realPathOrNull(path);
        return ![rootReal, ...followedRoots].some((base) => isWithin(base, real));
      },
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) {
      watcher.on(event, (path: string) => {
        coalescer.add(toRelative(path));
        // While a storm goes on, the reconciling walk waits for it to end.
        if (settleTimer) armSettle();
      });
    }
    watcher.on('error', (error) => {
      options.onError?.(error);
      armSettle();
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return new WorkspaceWatcher(watcher, coalescer, () => {
      closed = true;
      if (settleTimer) clearTimeout(settleTimer);
    });
  }

  /** Changed paths seen but not yet handed to the index (they wait for events to go quiet). */
  get pendingPaths(): number {
    return this.coalescer.pendingCount;
  }

  async close(): Promise<void> {
    this.stopSettling();
    this.coalescer.dispose();
    await this.watcher.close();
  }
}

function realPathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

const isWithin = (base: string, path: string | null): boolean => path !== null && (path === base || path.startsWith(base + sep));
