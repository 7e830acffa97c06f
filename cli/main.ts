#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { CodeGraph, type EngineConfigInput, type IndexProgress, type SearchOptions } from '../engine/index.js';
import { WorkspaceWatcher } from '../engine/watch/watcher.js';
import { resolveModelReference } from '../engine/models/index.js';
import { EXIT, exitCodeFor } from './exitCodes.js';
import { addModelCommands } from './model.js';
import { throwIfCacheUnusable } from './cacheStatus.js';
import { addEmbedCommands, printPrometheusMetrics } from './embed.js';
import { formatHits, formatSummary, toJsonHit } from './format.js';
import { collectGlobs, collectLanguages, queryFrom } from './input.js';
import { visible } from './sanitize.js';

interface CommonOptions {
  cache?: string;
  model?: string;
  device?: 'cpu' | 'cuda' | 'auto';
  workers?: number;
  precision?: 'f32' | 'f16' | 'int8' | 'binary';
  pca?: number;
  json?: boolean;
}

interface IndexOptions extends CommonOptions {
  maxFileSize?: number;
  exclude?: string[];
  lang?: string[];
  followSymlinks?: boolean;
  gitignore?: boolean;
  listSkipped?: boolean;
}

interface QueryOptions extends CommonOptions {
  dir: string;
  limit: number;
  lang?: string[];
  path?: string[];
  mode: SearchOptions['mode'];
  fusion: SearchOptions['fusion'];
}

const positiveInt = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
};

function engineInput(dir: string, options: IndexOptions | QueryOptions): EngineConfigInput {
  const indexOptions = options as IndexOptions;
  return {
    root: resolve(dir),
    ...(options.cache ? { cacheDir: options.cache } : {}),
    ...(options.model ? { modelDir: options.model === 'none' ? null : resolveModelReference(options.model) } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.pca ? { pcaDimensions: options.pca } : {}),
    discovery: {
      ...(indexOptions.maxFileSize ? { maxFileBytes: indexOptions.maxFileSize } : {}),
      ...(indexOptions.exclude ? { excludeGlobs: indexOptions.exclude } : {}),
      ...(indexOptions.followSymlinks ? { followSymlinks: true } : {}),
      ...(indexOptions.gitignore === false ? { respectGitignore: false } : {}),
    },
  };
}

function progressReporter(enabled: boolean): { update: (progress: IndexProgress) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: 'Indexing [{bar}] {percentage}% | {value}/{total} files | {rate} files/s | ETA {eta_formatted}', hideCursor: true, stream: process.stderr, etaBuffer: 50 },
  );
  let started = false;
  const begun = performance.now();
  return {
    update: (progress) => {
      if (progress.phase !== 'indexing') return;
      const rate = Math.round(progress.filesDone / Math.max(1e-3, (performance.now() - begun) / 1000));
      if (!started) {
        bar.start(Math.max(progress.filesTotal, 1), progress.filesDone, { rate });
        started = true;
      }
      bar.setTotal(Math.max(progress.filesTotal, 1));
      bar.update(progress.filesDone, { rate });
    },
    stop: () => started && bar.stop(),
  };
}

function addCommon(command: Command): Command {
  return command
    .option('--cache <dir>', 'where the index lives (default: per-user cache dir, keyed by workspace path)')
    .option('--model <dir|id>', "model directory, installed model id (codegraph model list), or 'none' for lexical-only (default: the bundled model)")
    .addOption(new Option('--device <device>', 'inference device').choices(['cpu', 'cuda', 'auto']))
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .addOption(new Option('--precision <mode>', 'how the in-memory vector index holds vectors (docs/precision.md)').choices(['f32', 'f16', 'int8', 'binary']))
    .option('--pca <dims>', 'project vectors to this many PCA dimensions, fitted on the workspace (default: off)', positiveInt)
    .option('--json', 'machine-readable output on stdout');
}

async function withGraph<T>(input: EngineConfigInput, work: (graph: CodeGraph) => Promise<T>, onModelError: 'throw' | 'fallback' = 'throw', onCacheCorruption: 'rebuild' | 'throw' = 'rebuild'): Promise<T> {
  const graph = await CodeGraph.open(input, { onModelError, onCacheCorruption, log: (message) => process.stderr.write(`codegraph: ${visible(message)}\n`) });
  try {
    return await work(graph);
  } finally {
    await graph.dispose();
  }
}

async function ensureIndexed(graph: CodeGraph, json: boolean | undefined): Promise<void> {
  const status = await graph.status();
  if (status.counts.files > 0 || status.lastIndexedAt) return;
  if (!json && !status.recoveredFromCorruption) process.stderr.write(`codegraph: no index for ${visible(graph.config.root)} yet; indexing it first\n`);
  const progress = progressReporter(process.stderr.isTTY === true && !json);
  try {
    await graph.index({ onProgress: progress.update });
  } finally {
    progress.stop();
  }
}

function searchOptions(options: QueryOptions): Partial<SearchOptions> {
  return { limit: options.limit, mode: options.mode, fusion: options.fusion, languages: options.lang ?? [], paths: options.path ?? [] };
}

export function buildProgram(): Command {
  const program = new Command('codegraph')
    .description('Local semantic code search: index a workspace, then search it by meaning.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  addCommon(program.command('index').argument('<dir>', 'workspace directory').description('index (or incrementally update) a workspace'))
    .option('--max-file-size <bytes>', 'skip files larger than this (default 1048576)', positiveInt)
    .option('--exclude <glob>', 'extra exclude glob, gitignore syntax (repeatable)', collectGlobs)
    .option('--lang <ids>', 'update only these languages, comma-separated (e.g. python,go); others stay as indexed', collectLanguages)
    .option('--follow-symlinks', 'follow symbolic links (loops are detected)')
    .option('--no-gitignore', 'do not honour .gitignore files')
    .option('--list-skipped', 'list every skipped file with its reason')
    .action(async (dir: string, options: IndexOptions) => {
      await withGraph(engineInput(dir, options), async (graph) => {
        const progress = progressReporter(process.stderr.isTTY === true && !options.json);
        // --lang selects what this run updates; it is not a workspace rule, so what it leaves out stays indexed.
        const summary = await graph.index({ onProgress: progress.update, ...(options.lang ? { languages: options.lang } : {}) }).finally(() => progress.stop());
        if (options.json) {
          const { skipped, ...rest } = summary;
          process.stdout.write(`${JSON.stringify({ ...rest, filesIndexed: rest.filesChanged + rest.filesUnchanged, cachePath: graph.cachePath, modelId: graph.modelId, ...(options.listSkipped ? { skipped } : {}) }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatSummary(summary)}\n`);
        if (options.listSkipped) for (const entry of summary.skipped) process.stdout.write(`skipped ${entry.reason}: ${visible(entry.path)}${entry.detail ? ` (${visible(entry.detail)})` : ''}\n`);
      });
    });

  const queryCommand = (command: Command) =>
    addCommon(command)
      .option('--dir <dir>', 'indexed workspace directory', '.')
      .option('-n, --limit <n>', 'number of results', positiveInt, 10)
      .option('--lang <ids>', 'only these languages, comma-separated', collectLanguages)
      .option('--path <glob>', 'only paths matching this glob (repeatable)', collectGlobs)
      .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['hybrid', 'dense', 'lexical']).default('hybrid'))
      .addOption(new Option('--fusion <method>', 'rank fusion').choices(['rrf', 'blend']).default('rrf'));

  queryCommand(program.command('search').argument('<query...>', 'what the code does, in plain words or identifiers').description('search the index by meaning'))
    .action(async (words: string[], options: QueryOptions) => {
      const query = queryFrom(words);
      await withGraph(engineInput(options.dir, options), async (graph) => {
        await ensureIndexed(graph, options.json);
        const hits = await graph.search(query, searchOptions(options));
        process.stdout.write(options.json ? `${JSON.stringify(hits.map(toJsonHit), null, 2)}\n` : `${formatHits(hits, process.stdout.isTTY === true)}\n`);
      });
    });

  queryCommand(program.command('similar').argument('<location>', 'file:line, relative to --dir').description('find code similar to the chunk at a location'))
    .action(async (location: string, options: QueryOptions) => {
      const match = /^(.*):(\d+)$/.exec(location);
      if (!match) throw new InvalidArgumentError(`expected <file>:<line>, got '${location}'`);
      await withGraph(engineInput(options.dir, options), async (graph) => {
        await ensureIndexed(graph, options.json);
        const path = match[1]!.replace(/\\/g, '/').replace(/^\.\//, '');
        const { origin, hits } = await graph.similar(path, Number(match[2]), searchOptions(options));
        if (options.json) {
          process.stdout.write(`${JSON.stringify(hits.map(toJsonHit), null, 2)}\n`);
          return;
        }
        process.stdout.write(`Similar to ${visible(origin.path)}:${origin.startLine}-${origin.endLine} ${origin.kind}${origin.symbol ? ` ${visible(origin.symbol)}` : ''}\n${formatHits(hits, process.stdout.isTTY === true)}\n`);
      });
    });

  addCommon(program.command('status').description('show the index, model and cache status'))
    .option('--dir <dir>', 'workspace directory', '.')
    .option('--metrics', 'print the metrics in the Prometheus text exposition format')
    .action(async (options: QueryOptions & { metrics?: boolean }) => {
      // A report, not a run: it shows which level of the recovery chain would serve rather than failing on a broken model,
      // and checks every page of the cache without repairing it (exit 4 when it is corrupt; index or search rebuild it).
      await withGraph(engineInput(options.dir, options), async (graph) => {
        if (options.metrics) return printPrometheusMetrics(graph);
        const status = await graph.status({ verifyCache: true });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          throwIfCacheUnusable(status);
          return;
        }
        throwIfCacheUnusable(status);
        process.stdout.write(
          [
            `Workspace: ${status.root}`,
            `Cache:     ${status.cachePath} (${(status.cacheBytes / 1048576).toFixed(1)} MB)`,
            `Model:     ${status.modelId ?? 'none (lexical only)'}${status.device ? ` on ${status.device}` : ''}`,
            `Search:    ${status.serviceLevel}${status.modelFallback ? ` (fallback: ${status.modelFallback.active ? `default model ${status.modelId ?? status.modelFallback.active}` : 'no model'} instead of ${status.modelFallback.requested}: ${status.modelFallback.reason})` : ''}`,
            `Index:     ${status.counts.files} files, ${status.counts.chunks} chunks, ${status.counts.vectorsForModel} vectors, ${status.counts.resolvedReferences}/${status.counts.references} references resolved`,
            `Updated:   ${status.lastIndexedAt ?? 'never'}`,
          ]
            .map((line) => visible(line))
            .join('\n') + '\n',
        );
      }, 'fallback', 'throw');
    });

  addCommon(program.command('watch').argument('<dir>', 'workspace directory').description('index, then keep the index live from file changes'))
    .action(async (dir: string, options: IndexOptions) => {
      const graph = await CodeGraph.open(engineInput(dir, options), { onModelError: 'throw', log: (message) => process.stderr.write(`codegraph: ${visible(message)}\n`) });
      const progress = progressReporter(process.stderr.isTTY === true && !options.json);
      const first = await graph.index({ onProgress: progress.update }).finally(() => progress.stop());
      process.stdout.write(options.json ? `${JSON.stringify({ event: 'indexed', filesChanged: first.filesChanged, chunksTotal: first.chunksTotal })}\n` : `${formatSummary(first)}\nWatching ${visible(graph.config.root)} for changes (Ctrl+C to stop)...\n`);
      const watcher = await WorkspaceWatcher.start(graph, {
        onBatch: (summary, paths) => {
          const line = options.json
            ? JSON.stringify({ event: 'updated', paths: paths.length, filesChanged: summary.filesChanged, filesDeleted: summary.filesDeleted, chunksEmbedded: summary.chunksEmbedded, durationMs: Math.round(summary.durationMs) })
            : `${new Date().toISOString()} ${paths.length} paths: ${summary.filesChanged} changed, ${summary.filesDeleted} removed, ${summary.chunksEmbedded} chunks embedded in ${Math.round(summary.durationMs)} ms`;
          process.stdout.write(`${line}\n`);
        },
        onError: (error) => process.stderr.write(`codegraph: ${visible((error as Error).message)}\n`),
      });
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', resolveStop);
        process.once('SIGTERM', resolveStop);
      });
      await watcher.close();
      await graph.dispose();
    });

  addModelCommands(program);
  addEmbedCommands(program, { addCommon, engineInput });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Thrown by our actions, so not yet printed (commander prints its own parse errors before throwing them).
    if (error instanceof InvalidArgumentError) {
      process.stderr.write(`codegraph: ${visible(error.message)}\n`);
      return EXIT.usage;
    }
    const commanderError = error as { code?: string; exitCode?: number };
    if (typeof commanderError.code === 'string' && commanderError.code.startsWith('commander.')) {
      return commanderError.code === 'commander.helpDisplayed' || commanderError.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = (error as { details?: { hint?: string } }).details?.hint;
    process.stderr.write(`codegraph: error: ${visible(message)}${hint ? `\n  hint: ${visible(hint)}` : ''}\n`);
    return exitCodeFor(error);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
