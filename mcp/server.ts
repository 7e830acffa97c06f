import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CodeGraph, packageRoot, type EngineConfigInput } from '../engine/index.js';
import { WorkspaceWatcher, type WatchOptions } from '../engine/watch/watcher.js';
import { createMcpServer, type LiveIndex } from './tools.js';

export interface McpRunOptions {
  readonly input: EngineConfigInput;
  /** Diagnostics; stdout carries the protocol, so this must not write there. */
  readonly log: (message: string) => void;
  readonly watch?: Pick<WatchOptions, 'quietMs' | 'maxWaitMs'>;
}

/**
 * `codegraph mcp`: one warm engine on one workspace, kept live by the
 * watcher, served over stdio until the client closes the stream or a
 * signal arrives. The first index runs in the background; tools that need
 * it wait for it, and `index_status` reports it as stale meanwhile.
 */
export async function runMcpServer(options: McpRunOptions): Promise<void> {
  const { log } = options;
  const graph = await CodeGraph.open(options.input, { onModelError: 'fallback', log });
  let initial: 'indexing' | 'ready' | { error: string } = 'indexing';
  const ready = graph.index().then(
    (summary) => {
      initial = 'ready';
      log(`indexed ${graph.config.root}: ${summary.filesChanged} files changed, ${summary.chunksTotal} chunks`);
    },
    (error: unknown) => {
      initial = { error: (error as Error).message };
      log(`the first index failed: ${(error as Error).message}`);
    },
  );
  // After the first index, so the two do not compete: the first edit then finds everything loaded.
  void ready.then(() => graph.warmUp());
  const watcher = await WorkspaceWatcher.start(graph, {
    ...options.watch,
    onBatch: (summary, paths) => log(`${paths.length} changed paths: ${summary.filesChanged} files reindexed, ${summary.filesDeleted} removed`),
    onError: (error) => log(`watch: ${(error as Error).message}`),
  });
  const live: LiveIndex = { graph, pendingPaths: () => watcher.pendingPaths, ready, initial: () => initial };
  const server = createMcpServer(live, packageVersion());
  const transport = new StdioServerTransport();
  let closing: Promise<void> | null = null;
  const shutdown = () => {
    closing ??= (async () => {
      await watcher.close().catch(() => undefined);
      await ready;
      await server.close().catch(() => undefined);
      await graph.dispose();
    })();
    return closing;
  };
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  log(`MCP server ready on stdio for ${graph.config.root}`);
  await closed;
  await shutdown();
  // Nothing reads stdin any more; a paused stream would keep the process alive after a signal.
  process.stdin.destroy();
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
