/**
 * Worker-thread entry: reads, parses and chunks files, and embeds texts.
 * Imports only from the engine. State (parser, model session) lives for the
 * worker's lifetime; expected failures come back as results, not throws.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { decodeSourceText, readSourceFile } from '../discovery/content.js';
import { adoptModelFiles, Embedder } from '../embedding/model.js';
import { serializeError } from '../errors.js';
import { fileContentHash, sha256Hex } from '../hashing/hash.js';
import { languageById } from '../parsing/languages.js';
import { CodeParser } from '../parsing/parser.js';
import { fileRowTerms, lexicalPathTokens } from '../lexical/lexicalRows.js';
import { quantizeInt8Blobs } from '../vectors/quantize.js';
import type { AnalyzedFile, AnalyzeTask, EmbedTask, WarmUpTask, WorkerConfig, WorkerResult, WorkerTask } from './protocol.js';

const config = workerData as WorkerConfig;
adoptModelFiles(config.modelFiles);
/** Test-only fault injection (see `injectFault`): a directory for its state, or unset in normal use. */
const FAULT_DIR = process.env['CODEGRAPH_TEST_FAULTS'];
const FAULT_MARKER = /codegraph-test-fault: (exit-once|exit|throw|oom)\b/;
let parser: Promise<CodeParser> | undefined;
let embedder: Promise<Embedder> | undefined;

export default async function handleTask(task: WorkerTask): Promise<WorkerResult> {
  try {
    if (task.kind === 'warm-up') return await warmUp(task);
    return task.kind === 'analyze' ? await analyze(task) : await embed(task);
  } catch (error) {
    return { kind: 'error', error: serializeError(error) };
  }
}

async function warmUp(task: WarmUpTask): Promise<WorkerResult> {
  const codeParser = await loadParser();
  const grammars: string[] = [];
  for (const id of task.languages) {
    const spec = languageById(id);
    // A grammar that does not load is the first analysis's to report (it falls back to line windows).
    if (spec && codeParser.hasGrammar(spec) && (await codeParser.language(spec).then(() => true, () => false))) grammars.push(id);
  }
  // One inference too: the runtime's first run allocates what the later ones reuse.
  if (config.modelDir) await (await loadEmbedder(config.modelDir)).embed(['warm up'], 'document');
  return { kind: 'warm-up', grammars, model: config.modelDir !== null };
}

function loadParser(): Promise<CodeParser> {
  parser ??= CodeParser.create(config.grammarsDir);
  return parser;
}

async function analyze(task: AnalyzeTask): Promise<WorkerResult> {
  const codeParser = await loadParser();
  const files: AnalyzedFile[] = [];
  for (const file of task.files) files.push(await analyzeFile(codeParser, file, task));
  return { kind: 'analyze', files };
}

async function analyzeFile(codeParser: CodeParser, file: AnalyzeTask['files'][number], task: AnalyzeTask): Promise<AnalyzedFile> {
  let bytes: Buffer;
  let mtimeMs: number;
  try {
    const read = readSourceFile(file.absolutePath, config.maxFileBytes);
    if (!read.ok) return { status: 'skipped', path: file.path, reason: read.reason, detail: read.detail };
    bytes = read.bytes;
    mtimeMs = Math.trunc(read.mtimeMs);
  } catch (error) {
    // Deleted or renamed between discovery and reading: the next pass sees the new state.
    return { status: 'skipped', path: file.path, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  if (FAULT_DIR) await injectFault(bytes, file.absolutePath);
  const contentHash = fileContentHash(bytes);
  if (contentHash === file.knownHash) return { status: 'unchanged', path: file.path, size: bytes.length, mtimeMs };
  const decoded = decodeSourceText(bytes);
  if (!decoded.ok) return { status: 'skipped', path: file.path, reason: decoded.reason, detail: decoded.detail };
  const chunked = await codeParser.chunk(decoded.text, languageById(file.language), task.chunking);
  const lexical = fileRowTerms(lexicalPathTokens(file.path), chunked.chunks);
  return {
    status: 'changed',
    path: file.path,
    language: file.language,
    size: bytes.length,
    mtimeMs,
    contentHash,
    method: chunked.method,
    // The lexical terms are computed here, where the time is spare: the workers otherwise wait on the
    // coordinator's writes, which only encode them.
    chunks: chunked.chunks.map((chunk, at) => ({ ...chunk, lexical: lexical[at]! })),
    analysis: chunked.analysis,
  };
}

async function embed(task: EmbedTask): Promise<WorkerResult> {
  if (!config.modelDir) throw new Error('No model is configured for this pool');
  const model = await loadEmbedder(config.modelDir);
  if (task.output === 'float32') {
    const detailed = await model.embedDetailed(task.texts, task.role ?? 'document', task.languages);
    return { kind: 'embed', modelId: model.modelId, dimension: model.dimension, blobs: [], vectors: detailed.vectors, truncated: detailed.truncated };
  }
  const vectors = await model.embed(task.texts, task.role ?? 'document', task.languages);
  return { kind: 'embed', modelId: model.modelId, dimension: model.dimension, blobs: quantizeInt8Blobs(vectors) };
}

function loadEmbedder(modelDir: string): Promise<Embedder> {
  embedder ??= Embedder.load(modelDir, {
    device: config.device,
    intraOpThreads: 1,
    maxBatchSize: config.maxBatchSize,
    maxBatchTokens: 32768,
    dimensions: config.dimensions,
  }).catch((error: unknown) => {
    embedder = undefined;
    throw error;
  });
  return embedder;
}

/**
 * Kills this worker for real when a file carries a fault marker, so the
 * pool's recovery is tested against actual worker deaths. Only active when
 * CODEGRAPH_TEST_FAULTS names a state directory: `exit` ends the thread,
 * `exit-once` does so the first time a path is seen, `throw` raises an
 * uncaught exception, `oom` runs the worker out of heap.
 */
async function injectFault(bytes: Buffer, absolutePath: string): Promise<void> {
  const fault = FAULT_MARKER.exec(bytes.toString('latin1'))?.[1];
  if (!fault) return;
  if (fault === 'exit-once') {
    const seen = join(FAULT_DIR!, `${sha256Hex(absolutePath).slice(0, 16)}.crashed`);
    if (existsSync(seen)) return;
    writeFileSync(seen, absolutePath);
    process.exit(70);
  }
  if (fault === 'exit') process.exit(70);
  if (fault === 'throw') {
    await new Promise<never>(() => setImmediate(() => {
      throw new Error(`injected uncaught exception in a worker (${absolutePath})`);
    }));
  }
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1 << 16).fill(hoard.length));
}
