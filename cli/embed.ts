import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { decodeSourceText } from '../engine/discovery/content.js';
import { CodeEmbedder, CodeGraph, InvalidInputError, NotFoundError, resolveEmbedLanguage, type EmbedResult, type EngineConfigInput } from '../engine/index.js';
import { DEFAULT_CHUNKING } from '../engine/parsing/chunk.js';
import { languageById, languageForPath } from '../engine/parsing/languages.js';
import type { CodeParser } from '../engine/parsing/parser.js';

/** What cli/main.ts lends these commands, so its option handling stays in one place. */
export interface CommandKit {
  readonly addCommon: (command: Command) => Command;
  readonly engineInput: (dir: string, options: never) => EngineConfigInput;
}

interface EmbedOptions {
  lang?: string;
  query?: boolean;
  json?: boolean;
  jsonl?: boolean;
  dims?: number;
  chunks?: boolean;
  dir?: string;
}

/** One vector line of `codegraph embed`'s JSON output. */
interface EmbedRecord {
  readonly source: string;
  readonly startLine?: number;
  readonly endLine?: number;
  readonly symbol?: string | null;
  readonly role: EmbedResult['role'];
  readonly language: string;
  readonly languageFallback: boolean;
  readonly truncated: boolean;
  readonly vector: number[];
}

const positiveInt = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
};

const log = (message: string) => process.stderr.write(`codegraph: ${message}\n`);

/** `codegraph embed` and `codegraph similarity`: vectors and cosines from the index's model, without needing an index. */
export function addEmbedCommands(program: Command, kit: CommandKit): void {
  kit
    .addCommon(program.command('embed').argument('[file]', "file to embed, or '-' for stdin (default: stdin)").description('print embedding vectors of a file, of stdin, or of each chunk of a file'))
    .option('--lang <id>', 'language of the text (default: from the file name; unknown ids fall back to text)')
    .option('--query', 'embed as a search query (the model\'s query side) instead of code')
    .option('--jsonl', 'one JSON object per vector, one per line')
    .option('--dims <n>', 'keep the first N dimensions (Matryoshka models; as the index setting of that name)', positiveInt)
    .option('--chunks', 'cut the file into chunks as the indexer does and print one vector per chunk')
    .addHelpText('after', '\nWithout --json/--jsonl each vector is printed as one line of space-separated numbers.')
    .action(async (file: string | undefined, options: EmbedOptions) => {
      if (options.json && options.jsonl) throw new InvalidInputError('choose one of --json and --jsonl', { argument: '--jsonl' });
      if (options.chunks && options.query) throw new InvalidInputError('--chunks cuts code into chunks; it does not combine with --query', { argument: '--chunks' });
      const source = readSource(file);
      const language = options.lang ?? (source.path ? (languageForPath(source.path)?.id ?? null) : null);
      const embedder = await CodeEmbedder.open({ ...modelInput(kit, options), ...(options.dims ? { dimensions: options.dims } : {}) }, { log });
      try {
        let records: EmbedRecord[];
        if (options.chunks) {
          records = await embedChunks(embedder, source, language);
        } else {
          const result = await embedder.embed({ code: source.text, language, role: options.query ? 'query' : 'document' });
          records = [toRecord(source.label, result)];
        }
        for (const record of records) {
          if (record.truncated) log(`${record.source}${record.startLine ? `:${record.startLine}` : ''}: longer than the model's window of ${embedder.maxTokens} tokens; only its start was embedded${options.chunks ? '' : ' (--chunks embeds every part)'}`);
        }
        if (records[0]?.languageFallback) log(`unknown language '${options.lang}': embedded as text`);
        writeRecords(records, options, embedder);
      } finally {
        await embedder.dispose();
      }
    });

  kit
    .addCommon(program.command('similarity').argument('<a>', "a file, file:line (the indexed chunk there, relative to --dir), or '-' for stdin").argument('<b>', 'the same, for the other side').description('print the cosine similarity of two pieces of code'))
    .option('--dir <dir>', 'indexed workspace, for file:line arguments', '.')
    .option('--lang <id>', 'language of files and stdin (default: from the file name)')
    .action(async (a: string, b: string, options: EmbedOptions) => {
      if (a === '-' && b === '-') throw new InvalidInputError('only one side can be stdin', { argument: 'b' });
      const sides = [a, b].map((argument) => classify(argument));
      const needsIndex = sides.some((side) => side.kind === 'location');
      const texts: { label: string; code: string; language: string | null }[] = [];
      let similarity: number;
      let modelId: string | null;
      if (needsIndex) {
        const graph = await CodeGraph.open(kit.engineInput(options.dir ?? '.', options as never), { onModelError: 'throw', log });
        try {
          await indexIfEmpty(graph, options.json === true);
          for (const side of sides) texts.push(side.kind === 'location' ? await chunkText(graph, side.path, side.line) : sideText(side, options.lang));
          similarity = await graph.similarity(await graph.embedCode(texts[0]!.code, texts[0]!.language), await graph.embedCode(texts[1]!.code, texts[1]!.language));
          modelId = graph.modelId;
        } finally {
          await graph.dispose();
        }
      } else {
        for (const side of sides) texts.push(sideText(side, options.lang));
        const embedder = await CodeEmbedder.open(modelInput(kit, options), { log });
        try {
          similarity = await embedder.similarity(await embedder.embedCode(texts[0]!.code, texts[0]!.language), await embedder.embedCode(texts[1]!.code, texts[1]!.language));
          modelId = embedder.modelId;
        } finally {
          await embedder.dispose();
        }
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ similarity, modelId, a: { source: texts[0]!.label, language: texts[0]!.language ?? 'text' }, b: { source: texts[1]!.label, language: texts[1]!.language ?? 'text' } }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${similarity.toFixed(6)}\n`);
    });
}

/** `codegraph status --metrics`: the engine's metrics in the Prometheus text format. */
export async function printPrometheusMetrics(graph: CodeGraph): Promise<void> {
  process.stdout.write(await graph.prometheusMetrics());
}

function modelInput(kit: CommandKit, options: EmbedOptions): EngineConfigInput {
  // The same model resolution as the index commands; the workspace is irrelevant to embedding.
  const { root: _root, ...input } = kit.engineInput('.', options as never);
  return { ...input, root: process.cwd() };
}

interface Source {
  readonly label: string;
  readonly path: string | null;
  readonly text: string;
}

function readSource(file: string | undefined): Source {
  if (file === undefined || file === '-') return { label: '<stdin>', path: null, text: decode(readFileSync(0), '<stdin>') };
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new NotFoundError(`File not found: ${file}`, { path });
  return { label: file, path, text: decode(readFileSync(path), file) };
}

function decode(bytes: Buffer, label: string): string {
  const decoded = decodeSourceText(bytes);
  if (!decoded.ok) throw new InvalidInputError(`Cannot embed ${label}: ${decoded.reason}${decoded.detail ? ` (${decoded.detail})` : ''}`, { argument: label });
  if (decoded.text.trim().length === 0) throw new InvalidInputError(`Nothing to embed: ${label} is empty`, { argument: label });
  return decoded.text;
}

async function embedChunks(embedder: CodeEmbedder, source: Source, language: string | null): Promise<EmbedRecord[]> {
  // Loaded here: web-tree-sitter is of no use to the other commands, a one-off search among them.
  const { CodeParser: Parser } = require('../engine/parsing/parser.js') as typeof import('../engine/parsing/parser.js');
  const parser: CodeParser = await Parser.create(embedder.config.grammarsDir);
  let chunks;
  try {
    const spec = language ? languageById(resolveEmbedLanguage(language).language) : undefined;
    ({ chunks } = await parser.chunk(source.text, spec, { ...DEFAULT_CHUNKING, maxChars: embedder.maxChunkChars }));
  } finally {
    parser.dispose();
  }
  const results = await embedder.embedBatch(chunks.map((chunk) => ({ code: chunk.text, language })));
  return chunks.map((chunk, index) => ({ ...toRecord(source.label, results[index]!), startLine: chunk.startLine, endLine: chunk.endLine, symbol: chunk.symbol }));
}

function toRecord(label: string, result: EmbedResult): EmbedRecord {
  return { source: label, role: result.role, language: result.language, languageFallback: result.languageFallback, truncated: result.truncated, vector: Array.from(result.vector) };
}

function writeRecords(records: readonly EmbedRecord[], options: EmbedOptions, embedder: CodeEmbedder): void {
  if (options.jsonl) {
    for (const record of records) process.stdout.write(`${JSON.stringify({ modelId: embedder.modelId, dimension: embedder.dimension, ...record })}\n`);
  } else if (options.json) {
    const body = options.chunks ? { modelId: embedder.modelId, dimension: embedder.dimension, chunks: records } : { modelId: embedder.modelId, dimension: embedder.dimension, ...records[0]! };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  } else {
    for (const record of records) process.stdout.write(`${record.vector.join(' ')}\n`);
  }
}

type Side = { kind: 'stdin' } | { kind: 'file'; path: string; label: string } | { kind: 'location'; path: string; line: number; label: string };

/** A file that exists wins over a `file:line` reading of the same argument. */
function classify(argument: string): Side {
  if (argument === '-') return { kind: 'stdin' };
  if (existsSync(argument) && statSync(argument).isFile()) return { kind: 'file', path: resolve(argument), label: argument };
  const match = /^(.*):(\d+)$/.exec(argument);
  if (match) return { kind: 'location', path: match[1]!.replace(/\\/g, '/').replace(/^\.\//, ''), line: Number(match[2]), label: argument };
  throw new NotFoundError(`File not found: ${argument}`, { path: argument, hint: "Pass a file, file:line (a chunk of the index), or '-' for stdin." });
}

function sideText(side: Side, language: string | undefined): { label: string; code: string; language: string | null } {
  if (side.kind === 'location') throw new Error('a location needs the index');
  const source = readSource(side.kind === 'stdin' ? '-' : side.path);
  return { label: side.kind === 'stdin' ? '<stdin>' : side.label, code: source.text, language: language ?? (source.path ? (languageForPath(source.path)?.id ?? null) : null) };
}

async function chunkText(graph: CodeGraph, path: string, line: number): Promise<{ label: string; code: string; language: string }> {
  const chunk = await graph.store.chunkAt(path, line);
  if (!chunk) throw new NotFoundError(`No indexed chunk at ${path}:${line}`, { path, line, hint: `Is ${path} inside ${graph.config.root} and indexed?` });
  return { label: `${chunk.path}:${chunk.startLine}-${chunk.endLine}`, code: chunk.text, language: chunk.language };
}

async function indexIfEmpty(graph: CodeGraph, quiet: boolean): Promise<void> {
  const status = await graph.status();
  if (status.counts.files > 0 || status.lastIndexedAt) return;
  if (!quiet) log(`no index for ${graph.config.root} yet; indexing it first`);
  await graph.index();
}
