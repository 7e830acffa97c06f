#!/usr/bin/env node
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CodeGraph, type EngineConfigInput, type SearchOptions } from '../engine/index.js';
import { resolveModelReference } from '../engine/models/index.js';
import { CancelledError } from '../engine/errors.js';
import { defaultCacheDir } from '../engine/config/paths.js';
import { EXIT, exitCodeFor } from './exitCodes.js';
import { boundHeapGrowthForIndexing } from './heapGrowth.js';
import { indexInterruptibly } from './interrupt.js';
import { addModelCommands } from './model.js';
import { throwIfCacheUnusable } from './cacheStatus.js';
import { addEmbedCommands, printPrometheusMetrics } from './embed.js';
import { addMcpCommand } from './mcp.js';
import { formatHits, formatSummary, toJsonHit, type FirstLineIndent } from './format.js';
import { collectGlobs, collectLanguages, queryFrom } from './input.js';
import { visible } from './sanitize.js';
import { addSymlinkOptions, symlinkDiscovery, type SymlinkFlags } from './symlinkOptions.js';
import { cacheDirFor, checkWorkspaceDirectory, findWorkspace, isIndexed, isIndexedUnderAnySettings, type IndexSettings } from './workspace.js';

interface CommonOptions {
  cache?: string;
  model?: string;
  device?: 'cpu' | 'cuda' | 'auto';
  workers?: number;
  vectorPrecision?: 'f32' | 'f16' | 'int8' | 'binary';
  /** Deprecated spelling of --vector-precision. */
  precision?: 'f32' | 'f16' | 'int8' | 'binary';
  pca?: number;
  json?: boolean;
}

interface IndexOptions extends CommonOptions, SymlinkFlags {
  maxFileSize?: number;
  exclude?: string[];
  lang?: string[];
  gitignore?: boolean;
  listSkipped?: boolean;
}

interface QueryOptions extends CommonOptions {
  dir?: string;
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

/** The model folder a command names (null: lexical only), resolved once; undefined: the bundled default. */
function modelDirOf(options: CommonOptions): string | null | undefined {
  if (!options.model) return undefined;
  return options.model === 'none' ? null : resolveModelReference(options.model);
}

function settingsOf(options: CommonOptions): IndexSettings {
  const vectorPrecision = options.vectorPrecision ?? options.precision;
  const modelDir = modelDirOf(options);
  return { ...(modelDir !== undefined ? { modelDir } : {}), ...(options.pca ? { pca: options.pca } : {}), ...(vectorPrecision ? { vectorPrecision } : {}) };
}

/** The cache a command reads: --cache, else the per-user one for this workspace and its model and settings. */
function cacheOf(root: string, options: CommonOptions): string {
  return options.cache ? resolve(options.cache) : cacheDirFor(root, settingsOf(options));
}

function engineInput(dir: string, options: IndexOptions | QueryOptions): EngineConfigInput {
  const indexOptions = options as IndexOptions;
  const root = resolve(dir);
  checkWorkspaceDirectory(root);
  if (options.precision && !options.vectorPrecision) process.stderr.write('codegraph: --precision is deprecated: it is now --vector-precision (how vectors are held, not which model weights load)\n');
  const vectorPrecision = options.vectorPrecision ?? options.precision;
  const modelDir = modelDirOf(options);
  return {
    root,
    cacheDir: cacheOf(root, options),
    ...(modelDir !== undefined ? { modelDir } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
    ...(vectorPrecision ? { precision: vectorPrecision } : {}),
    ...(options.pca ? { pcaDimensions: options.pca } : {}),
    discovery: {
      ...(indexOptions.maxFileSize ? { maxFileBytes: indexOptions.maxFileSize } : {}),
      ...(indexOptions.exclude ? { excludeGlobs: indexOptions.exclude } : {}),
      ...symlinkDiscovery(indexOptions),
      ...(indexOptions.gitignore === false ? { respectGitignore: false } : {}),
    },
  };
}

/** The progress bar of index runs, loaded on first use: a one-off search that finds its index never needs it. */
function progressReporter(...args: Parameters<typeof import('./progress.js').progressReporter>): ReturnType<typeof import('./progress.js').progressReporter> {
  return (require('./progress.js') as typeof import('./progress.js')).progressReporter(...args);
}

/** The workspace of a query command (search, similar, status): --dir, else found upwards from here; says which when it is not here. */
function queryRoot(options: QueryOptions): string {
  const choice = findWorkspace(options.dir, process.cwd(), (root) => !options.cache && isIndexedUnderAnySettings(root));
  if (choice.reason === 'indexed') process.stderr.write(`codegraph: using the index of ${visible(choice.root)} (the nearest indexed folder above here; --dir to choose another)\n`);
  if (choice.reason === 'repository') process.stderr.write(`codegraph: using the repository root ${visible(choice.root)} (--dir to choose another)\n`);
  return choice.root;
}

function addCommon(command: Command): Command {
  return command
    .option('--cache <dir>', 'where the index lives (default: per-user cache dir, one per workspace and model settings)')
    .option('--model <dir|id>', "model directory, installed model id (codegraph model list), or 'none' for lexical-only (default: the bundled model)")
    .addOption(new Option('--device <device>', 'inference device').choices(['cpu', 'cuda', 'auto']))
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .addOption(new Option('--vector-precision <mode>', 'how the in-memory vector index holds vectors (default int8; docs/precision.md); not the model weights').choices(['f32', 'f16', 'int8', 'binary']))
    .addOption(new Option('--precision <mode>', 'deprecated: --vector-precision').choices(['f32', 'f16', 'int8', 'binary']).hideHelp())
    .option('--pca <dims>', 'project vectors to this many PCA dimensions, fitted on the workspace (default: off); its own index, as --model', positiveInt)
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
  if (await graph.hasIndex()) return;
  const status = await graph.status();
  if (status.counts.files > 0 || status.lastIndexedAt) return;
  const ownIndex = graph.config.cacheDir !== defaultCacheDir(graph.config.root) && graph.config.cacheDir.startsWith(`${defaultCacheDir(graph.config.root)}--`);
  if (!json && !status.recoveredFromCorruption) process.stderr.write(`codegraph: no index for ${visible(graph.config.root)}${ownIndex ? ' with this model and settings (an index of its own: the default one is kept)' : ''} yet; indexing it first\n`);
  const progress = progressReporter(process.stderr, !json);
  try {
    await indexInterruptibly((signal) => graph.index({ onProgress: progress.update, signal }));
  } finally {
    progress.stop();
  }
}

/** Reads the indentation of a hit's first line from its file, where that line still holds the chunk's start. */
function indentOfFirstLine(root: string): FirstLineIndent {
  const files = new Map<string, string[] | null>();
  return (path, line, firstLine) => {
    if (!files.has(path)) {
      let lines: string[] | null = null;
      try {
        const absolute = resolve(root, path);
        if (statSync(absolute).size <= 4 * 1024 * 1024) lines = readFileSync(absolute, 'utf8').split('\n');
      } catch {
        // Gone or unreadable since it was indexed: the snippet is shown as stored.
      }
      files.set(path, lines);
    }
    const source = files.get(path)?.[line - 1];
    if (source === undefined || firstLine.trim().length === 0 || !source.trimStart().startsWith(firstLine.trim())) return null;
    return /^[ \t]*/.exec(source)![0];
  };
}

/** Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env['NO_COLOR'];
}

/** A location's file as the index names it: relative to the workspace, also when given absolute or from elsewhere. */
function workspacePath(root: string, file: string): string {
  const absolute = isAbsolute(file) ? file : resolve(process.cwd(), file);
  const inside = relative(root, absolute);
  // A relative name that is not a file from here is relative to the workspace (as git takes paths from the root).
  if (!isAbsolute(file) && (!existsSync(absolute) || inside.startsWith('..'))) return file.replace(/\\/g, '/').replace(/^\.\//, '');
  if (inside.startsWith('..') || isAbsolute(inside)) throw new InvalidArgumentError(`${file} is outside the workspace ${root}`);
  return inside.split(/[\\/]/).join('/');
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

  // The filters `index` and `watch` share.
  const indexFilters = (command: Command) =>
    addSymlinkOptions(addCommon(command))
      .option('--max-file-size <bytes>', 'skip files larger than this (default 1048576)', positiveInt)
      .option('--exclude <glob>', 'extra exclude glob, gitignore syntax (repeatable)', collectGlobs)
      .option('--lang <ids>', 'update only these languages, comma-separated (e.g. python,go); others stay as indexed', collectLanguages)
      .option('--no-gitignore', 'do not honour .gitignore files');

  indexFilters(program.command('index').argument('<dir>', 'workspace directory').description('index (or incrementally update) a workspace'))
    .option('--list-skipped', 'list every skipped file with its reason')
    .action(async (dir: string, options: IndexOptions) => {
      boundHeapGrowthForIndexing();
      await withGraph(engineInput(dir, options), async (graph) => {
        const progress = progressReporter(process.stderr, !options.json);
        // --lang selects what this run updates; it is not a workspace rule, so what it leaves out stays indexed.
        const summary = await indexInterruptibly((signal) => graph.index({ onProgress: progress.update, signal, ...(options.lang ? { languages: options.lang } : {}) }).finally(() => progress.stop()));
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
      .option('--dir <dir>', 'indexed workspace directory (default: the nearest indexed folder or repository root above here)')
      .option('-n, --limit <n>', 'number of results', positiveInt, 10)
      .option('--lang <ids>', 'only these languages, comma-separated', collectLanguages)
      .option('--path <glob>', 'only paths matching this glob (repeatable)', collectGlobs)
      .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['hybrid', 'dense', 'lexical']).default('hybrid'))
      .addOption(new Option('--fusion <method>', 'rank fusion').choices(['rrf', 'blend']).default('rrf'));

  queryCommand(program.command('search').argument('<query...>', 'what the code does, in plain words or identifiers').description('search the index by meaning'))
    .action(async (words: string[], options: QueryOptions) => {
      const query = queryFrom(words);
      const root = queryRoot(options);
      await withGraph(engineInput(root, options), async (graph) => {
        await ensureIndexed(graph, options.json);
        const hits = await graph.search(query, searchOptions(options));
        process.stdout.write(options.json ? `${JSON.stringify(hits.map(toJsonHit), null, 2)}\n` : `${formatHits(hits, useColor(process.stdout), indentOfFirstLine(root))}\n`);
      });
    });

  queryCommand(program.command('similar').argument('<location>', 'file:line, relative to the workspace (or an absolute path inside it)').description('find code similar to the chunk at a location'))
    .action(async (location: string, options: QueryOptions) => {
      const match = /^(.*):(\d+)$/.exec(location);
      if (!match || match[1]!.length === 0) throw new InvalidArgumentError(`expected <file>:<line>, e.g. src/app.py:42, got '${location}'`);
      const root = queryRoot(options);
      const path = workspacePath(root, match[1]!);
      await withGraph(engineInput(root, options), async (graph) => {
        await ensureIndexed(graph, options.json);
        const { origin, hits } = await graph.similar(path, Number(match[2]), searchOptions(options));
        if (options.json) {
          process.stdout.write(`${JSON.stringify(hits.map(toJsonHit), null, 2)}\n`);
          return;
        }
        process.stdout.write(`Similar to ${visible(origin.path)}:${origin.startLine}-${origin.endLine} ${origin.kind}${origin.symbol ? ` ${visible(origin.symbol)}` : ''}\n${formatHits(hits, useColor(process.stdout), indentOfFirstLine(root))}\n`);
      });
    });

  addCommon(program.command('status').description('show the index, model and cache status'))
    .option('--dir <dir>', 'workspace directory (default: the nearest indexed folder or repository root above here)')
    .option('--metrics', 'print the metrics in the Prometheus text exposition format')
    .action(async (options: QueryOptions & { metrics?: boolean }) => {
      const root = queryRoot(options);
      const input = engineInput(root, options);
      // A report, not a run: opening an unindexed workspace would create an empty cache for it.
      if (!isIndexed(input.cacheDir!)) {
        process.stdout.write(options.json ? `${JSON.stringify({ root, indexed: false, cachePath: null }, null, 2)}\n` : `Workspace: ${visible(root)}\nIndex:     not indexed yet (codegraph index ${visible(root)})\n`);
        return;
      }
      // It shows which level of the recovery chain would serve rather than failing on a broken model,
      // and checks every page of the cache without repairing it (exit 4 when it is corrupt; index or search rebuild it).
      await withGraph(input, async (graph) => {
        if (options.metrics) return printPrometheusMetrics(graph);
        const status = await graph.status({ verifyCache: true });
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...status, indexed: true }, null, 2)}\n`);
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

  indexFilters(program.command('watch').argument('<dir>', 'workspace directory').description('index, then keep the index live from file changes'))
    .action(async (dir: string, options: IndexOptions) => {
      boundHeapGrowthForIndexing();
      const graph = await CodeGraph.open(engineInput(dir, options), { onModelError: 'throw', log: (message) => process.stderr.write(`codegraph: ${visible(message)}\n`) });
      const progress = progressReporter(process.stderr, !options.json);
      const selection = options.lang ? { languages: options.lang } : {};
      const first = await indexInterruptibly((signal) => graph.index({ onProgress: progress.update, signal, ...selection }).finally(() => progress.stop())).catch(async (error: unknown) => {
        await graph.dispose();
        throw error;
      });
      process.stdout.write(options.json ? `${JSON.stringify({ event: 'indexed', filesChanged: first.filesChanged, chunksTotal: first.chunksTotal })}\n` : `${formatSummary(first)}\nWatching ${visible(graph.config.root)} for changes (Ctrl+C to stop)...\n`);
      // The first edit then finds the workers' grammars and model, and the dense index, loaded.
      void graph.warmUp();
      const { WorkspaceWatcher } = require('../engine/watch/watcher.js') as typeof import('../engine/watch/watcher.js');
      const watcher = await WorkspaceWatcher.start(graph, {
        run: selection,
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
  addMcpCommand(program, { addCommon, engineInput });
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
    if (error instanceof CancelledError) {
      process.stderr.write(`codegraph: ${visible(error.message)}\n`);
      return EXIT.interrupted;
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
