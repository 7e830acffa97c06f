import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { CodeGraph } from '../codegraph.js';
import type { IndexSummary } from '../indexer/indexer.js';
import { WorkspaceRules } from '../discovery/rules.js';
import { ChangeCoalescer } from './coalescer.js';

export interface WatchOptions {
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  readonly onBatch?: (summary: IndexSummary, paths: readonly string[]) => void;
  readonly onError?: (error: unknown) => void;
}

/** Keeps a workspace's index live from file-system events (terminal edits, checkouts, generators). */
export class WorkspaceWatcher {
  private constructor(
    private readonly watcher: FSWatcher,
    private readonly coalescer: ChangeCoalescer,
  ) {}

  static async start(graph: CodeGraph, options: WatchOptions = {}): Promise<WorkspaceWatcher> {
    const root = graph.config.root;
    const rules = new WorkspaceRules(root, graph.config.discovery);
    const coalescer = new ChangeCoalescer(
      async (paths) => {
        try {
          const summary = await graph.index({ paths });
          options.onBatch?.(summary, paths);
        } catch (error) {
          options.onError?.(error);
        }
      },
      options.quietMs,
      options.maxWaitMs,
    );
    const toRelative = (path: string) => relative(root, path).split(sep).join('/');
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: graph.config.discovery.followSymlinks,
      // Excluded directories are never watched: node_modules alone can exhaust inotify watches.
      ignored: (path, stats) => {
        const relativePath = toRelative(path);
        if (!relativePath || relativePath.startsWith('..')) return false;
        return stats?.isDirectory() === true && rules.checkDirectory(relativePath) !== null;
      },
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) {
      watcher.on(event, (path: string) => coalescer.add(toRelative(path)));
    }
    watcher.on('error', (error) => options.onError?.(error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return new WorkspaceWatcher(watcher, coalescer);
  }

  async close(): Promise<void> {
    this.coalescer.dispose();
    await this.watcher.close();
  }
}
