import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import './ortEnvironment.js';
import type * as ort from 'onnxruntime-node';
import type { GraphCodeBertEncoder, GraphCodeBertInput } from '../dataflow/index.js';
import { readModelInputConfig } from '../dataflow/inputConfig.js';
import { InferenceError, ModelLoadError } from '../errors.js';
import { BagOfWordsModel, readBagOfWordsGraph, widenAll, type BagOfWordsWeights } from './bagOfWords.js';
import { planBatches } from './batching.js';
import { completeHfManifest, HF_METADATA_FILES, isHfModelDir, planHfModel } from './hfLayout.js';
import { MANIFEST_FILE, readModelManifest, refuseNativeCodeRequest, type ModelManifest } from './manifest.js';
import { ModelRoots } from './modelRoots.js';
import { foreignDomains, inspectOnnxModel, OnnxFormatError } from './onnxGraph.js';
import { finalizeVector, poolOutput } from './pooling.js';
import { TextTokenizer } from './tokenizer.js';

export type Device = 'cpu' | 'cuda' | 'auto';

/**
 * ONNX Runtime, the data-flow encoder and the input builders, loaded on first use: a
 * bag-of-words model runs without them, and they were a tenth of a one-off search's start.
 */
function onnxSide() {
  return {
    ort: require('onnxruntime-node') as typeof import('onnxruntime-node'),
    dataFlow: require('../dataflow/index.js') as typeof import('../dataflow/index.js'),
    buildModelInputs: (require('./inputs.js') as typeof import('./inputs.js')).buildModelInputs,
  };
}

export interface EmbedderOptions {
  readonly device: Device;
  /** Threads inside one inference; workers each get their own session. */
  readonly intraOpThreads: number;
  readonly maxBatchSize: number;
  /** Padded tokens per batch; bounds peak memory. */
  readonly maxBatchTokens: number;
  /** Keep only the first N dimensions (Matryoshka-trained models); 0 keeps all. */
  readonly dimensions: number;
  /**
   * Folders the model may be read from (the engine passes its configured model
   * folders). Absent: the model directory itself, an explicit choice of the caller.
   * Every file the model reads must resolve, symbolic links followed, inside one.
   */
  readonly modelRoots?: readonly string[];
  readonly log?: (message: string) => void;
  /**
   * `auto` (default) runs graphs exported by training/export_bow_onnx.py (bag of
   * subwords) in TypeScript, which gives the same vectors without ONNX Runtime's
   * per-batch cost; `onnxruntime` runs every graph through ONNX Runtime.
   */
  readonly runtime?: 'auto' | 'onnxruntime';
}

export const DEFAULT_EMBEDDER: EmbedderOptions = { device: 'cpu', intraOpThreads: 1, maxBatchSize: 128, maxBatchTokens: 32768, dimensions: 0 };

/**
 * An ONNX text encoder: tokenizes, batches by length, runs onnxruntime-node and
 * pools and normalises the output. Produces float32 vectors of `dimension`.
 */
export class Embedder {
  readonly stats = { texts: 0, tokens: 0, paddedTokens: 0, batches: 0 };

  private constructor(
    readonly modelDir: string,
    readonly manifest: ModelManifest,
    /**
     * Manifest id plus a digest of the weights and of every setting that changes
     * the vectors (tokenizer, pooling, prefixes, window, …; see `vectorSettings`):
     * vectors made any other way never mix with these.
     */
    readonly modelId: string,
    /** The id as CodeGraph ≤ 0.1 computed it (weights only); caches keyed by it are re-keyed once, see CodeGraph. */
    readonly legacyModelId: string,
    readonly dimension: number,
    readonly device: 'cpu' | 'cuda',
    /** Null when the graph runs in TypeScript (`bagOfWords`). */
    private readonly session: ort.InferenceSession | null,
    private readonly tokenizer: TextTokenizer,
    private readonly options: EmbedderOptions,
    /** Builds GraphCodeBERT data-flow inputs, for models whose manifest asks for them. */
    private readonly dataFlow: GraphCodeBertEncoder | null = null,
    private readonly bagOfWords: BagOfWordsModel | null = null,
  ) {}

  /** Which runtime computes the vectors. */
  get runtime(): 'typescript' | 'onnxruntime' {
    return this.bagOfWords ? 'typescript' : 'onnxruntime';
  }

  /**
   * Loads a model folder: a CodeGraph manifest (`codegraph-model.json`) or a
   * Hugging Face export (`config.json`, `tokenizer.json`, an ONNX file),
   * through one path. Refuses folders and files outside the model roots,
   * graphs that need custom operators, and requests to load native code.
   */
  static async load(modelDir: string, options: EmbedderOptions = DEFAULT_EMBEDDER): Promise<Embedder> {
    const dir = resolve(modelDir);
    refuseNativeCodeRequest(options as unknown as Record<string, unknown>, 'the embedder options', dir);
    if (!existsSync(dir)) {
      throw new ModelLoadError(`Model directory not found: ${dir}`, { modelDir: dir, hint: 'Check the model setting, or omit it to use the bundled default model.' });
    }
    const roots = ModelRoots.of(options.modelRoots ?? [dir]);
    roots.check(dir, 'model directory', dir);
    // A Hugging Face export is recognised by its config.json; a codegraph-model.json beside it only overrides.
    const isHf = isHfModelDir(dir);
    for (const name of isHf ? HF_METADATA_FILES : [MANIFEST_FILE]) if (existsSync(join(dir, name))) roots.check(join(dir, name), 'model metadata', dir);
    const hfPlan = isHf ? planHfModel(dir) : null;
    const known = hfPlan ? null : readModelManifest(dir);
    const onnxName = hfPlan ? (hfPlan.derived['onnx'] as string) : known!.onnx;
    const tokenizerName = hfPlan ? (hfPlan.derived['tokenizer'] as string) : known!.tokenizer;
    const onnxPath = roots.check(join(dir, onnxName), 'model file', dir);
    if (!existsSync(onnxPath)) {
      throw new ModelLoadError(`Model file not found: ${onnxPath}`, { modelDir: dir, file: onnxPath, hint: hfPlan ? 'Export the model to ONNX into this folder.' : `The manifest ${MANIFEST_FILE} names '${onnxName}'.` });
    }
    const tokenizerPath = roots.check(join(dir, tokenizerName), 'tokenizer', dir);
    const { digest, bagOfWords } = checkGraph(onnxPath, dir, roots);
    const inputConfig = readModelInputConfig(dir);
    const native = bagOfWords && !hfPlan && options.runtime !== 'onnxruntime' && inputConfig.input !== 'graphcodebert-dfg' && known!.outputName === 'sentence_embedding' && known!.pooling === 'model'
      ? new BagOfWordsModel(bagOfWords, known!.padTokenId)
      : null;
    const { session, device } = native ? { session: null, device: 'cpu' as const } : await createSession(onnxPath, dir, options);
    const inputNames = session?.inputNames ?? ['input_ids', 'attention_mask'];
    const outputNames = session?.outputNames ?? ['sentence_embedding'];
    let dataFlow: GraphCodeBertEncoder | null = null;
    try {
      if (inputConfig.input === 'graphcodebert-dfg') onnxSide().dataFlow.checkGraphCodeBertSignature(session!.inputNames, dir);
      const dataFlowInput = inputConfig.input === 'graphcodebert-dfg';
      let manifest = known!;
      // One tiny inference: the graph's real output widths (metadata may leave them symbolic), and proof that it runs at all.
      // The TypeScript path read its width from the weights, and its window from the position table.
      const widths = native
        ? new Map([['sentence_embedding', native.weights.dimension]])
        : await probeOutputWidths(session!, hfPlan ? (hfPlan.derived['padTokenId'] as number) : manifest.padTokenId, dir, dataFlowInput);
      if (hfPlan) manifest = completeHfManifest(hfPlan, session!, (output) => widths.get(output) ?? 0);
      if (!inputNames.includes('input_ids') || !outputNames.includes(manifest.outputName)) {
        throw new ModelLoadError(`Model ${onnxPath} must take 'input_ids' and produce '${manifest.outputName}'; it takes [${inputNames.join(', ')}] and produces [${outputNames.join(', ')}]`, { modelDir: dir, file: onnxPath });
      }
      checkDimension(manifest, widths.get(manifest.outputName) ?? 0, dir, hfPlan ? 'override' : 'manifest');
      // Data-flow graphs take a second, graph-shaped input whose size the encoder bounds itself; the probe covers plain token inputs.
      if (native) checkNativeWindow(native, manifest, dir);
      else if (!dataFlowInput) await checkWindow(session!, manifest, dir);
      const tokenizer = TextTokenizer.load(tokenizerPath, manifest, dir);
      const dimension = options.dimensions > 0 ? Math.min(options.dimensions, manifest.dimension) : manifest.dimension;
      const truncated = dimension !== manifest.dimension ? `/d${dimension}` : '';
      const settings = vectorSettings(manifest, tokenizerPath, inputConfig);
      const modelId = `${manifest.id}@${createHash('sha256').update(digest).update(settings).digest('hex').slice(0, 12)}${truncated}`;
      const legacyModelId = `${manifest.id}@${digest.slice(0, 12)}${truncated}`;
      if (dataFlowInput) dataFlow = await onnxSide().dataFlow.GraphCodeBertEncoder.create({ ...manifest, modelDir: dir, tokenizerPath, dataFlowLength: inputConfig.dataFlowLength });
      return new Embedder(dir, manifest, modelId, legacyModelId, dimension, device, session, tokenizer, options, dataFlow, native);
    } catch (error) {
      dataFlow?.dispose();
      await session?.release();
      throw error;
    }
  }

  /** Largest chunk in characters that fits the model's window. */
  get maxChunkChars(): number {
    return Math.floor(this.manifest.maxTokens * this.manifest.charsPerToken);
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.embed([text], 'query');
    return vector!;
  }

  /** Embeds texts in length-sorted batches; the result is in input order. */
  async embed(texts: readonly string[], role: 'query' | 'document' = 'document', languages: readonly (string | null)[] = []): Promise<Float32Array[]> {
    return (await this.embedDetailed(texts, role, languages)).vectors;
  }

  /** `embed`, also saying which texts were cut to fit the model's window. */
  async embedDetailed(texts: readonly string[], role: 'query' | 'document' = 'document', languages: readonly (string | null)[] = []): Promise<{ vectors: Float32Array[]; truncated: boolean[] }> {
    const graphInputs = this.dataFlow ? await this.dataFlow.encodeAll(texts, role, languages) : null;
    const detailed = graphInputs ? null : texts.map((text) => this.tokenizer.encodeDetailed(text, role));
    if (this.bagOfWords) return { vectors: this.embedInTypeScript(detailed!.map((entry) => entry.ids)), truncated: detailed!.map((entry) => entry.truncated) };
    const encoded = graphInputs ? graphInputs.map((input) => input.inputIds as number[]) : detailed!.map((entry) => entry.ids);
    // Data-flow inputs hold code tokens and graph nodes; the plain tokenization says whether the code itself fit.
    const truncated = detailed ? detailed.map((entry) => entry.truncated) : texts.map((text) => this.tokenizer.encodeDetailed(text, role).truncated);
    const lengths = encoded.map((ids) => ids.length);
    const batches = planBatches(lengths, this.options.maxBatchSize, this.options.maxBatchTokens);
    const results = new Array<Float32Array>(texts.length);
    for (const batch of batches) {
      const vectors = await this.runBatch(batch.indices.map((index) => encoded[index]!), batch.length, graphInputs && batch.indices.map((index) => graphInputs[index]!));
      batch.indices.forEach((index, row) => (results[index] = vectors[row]!));
      this.stats.batches++;
      this.stats.paddedTokens += batch.length * batch.indices.length;
    }
    this.stats.texts += texts.length;
    for (const length of lengths) this.stats.tokens += length;
    return { vectors: results, truncated };
  }

  private embedInTypeScript(encoded: readonly (readonly number[])[]): Float32Array[] {
    const model = this.bagOfWords!;
    return encoded.map((ids) => {
      let vector: Float32Array;
      try {
        vector = model.embedVector(ids, this.dimension, this.manifest.normalize);
      } catch (error) {
        throw new InferenceError(`Inference failed for a text of ${ids.length} tokens: ${(error as Error).message}`, { modelDir: this.modelDir, length: ids.length }, { cause: error });
      }
      this.stats.texts++;
      this.stats.batches++;
      this.stats.tokens += ids.length;
      this.stats.paddedTokens += Math.max(1, ids.length);
      return vector;
    });
  }

  private async runBatch(rows: readonly number[][], length: number, graphInputs: readonly GraphCodeBertInput[] | null = null): Promise<Float32Array[]> {
    const width = Math.max(1, length);
    const { dataFlow, buildModelInputs } = onnxSide();
    const { feeds, mask } = graphInputs
      ? dataFlow.graphCodeBertFeeds(graphInputs, width, this.session!.inputNames, this.dataFlow!.specialTokens.pad)
      : buildModelInputs(rows, width, { inputNames: this.session!.inputNames, padTokenId: this.manifest.padTokenId, paddingSide: this.manifest.paddingSide, positionOffset: this.manifest.positionOffset });
    let output: ort.Tensor;
    try {
      const result = await this.session!.run(feeds);
      output = result[this.manifest.outputName]!;
    } catch (error) {
      throw new InferenceError(`Inference failed for a batch of ${rows.length}×${width}: ${(error as Error).message}`, { modelDir: this.modelDir, batch: rows.length, length: width }, { cause: error });
    }
    const pooled = poolOutput(output.data as Float32Array, output.dims, mask, this.manifest.pooling);
    return pooled.map((vector) => finalizeVector(vector, this.dimension, this.manifest.normalize));
  }

  async dispose(): Promise<void> {
    this.dataFlow?.dispose();
    await this.session?.release();
  }
}

async function createSession(onnxPath: string, modelDir: string, options: EmbedderOptions): Promise<{ session: ort.InferenceSession; device: 'cpu' | 'cuda' }> {
  const { ort } = onnxSide();
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // A failing kernel also comes back as the rejected promise, whose message the engine logs and
    // retries on; ONNX Runtime's own copy of it on stderr (red, per attempt) only repeats it raw.
    logSeverityLevel: 4,
  };
  const missingCuda = options.device !== 'cpu' ? missingCudaProvider() : null;
  if (missingCuda) {
    // Asking ONNX Runtime anyway would make it print a red "Failed to load libonnxruntime_providers_shared.so"
    // on stderr before it falls back: harmless, but it reads as a failure. Say why in our own words instead.
    options.log?.(`CUDA execution provider unavailable (device '${options.device}'), using CPU: ${missingCuda}. See docs/models.md, "GPU (CUDA)".`);
  } else if (options.device !== 'cpu') {
    try {
      const session = await ort.InferenceSession.create(onnxPath, { ...base, executionProviders: ['cuda'] });
      return { session, device: 'cuda' };
    } catch (error) {
      options.log?.(`CUDA execution provider unavailable (device '${options.device}'), using CPU: ${(error as Error).message.split('\n')[0]}. See docs/models.md, "GPU (CUDA)".`);
    }
  }
  try {
    return { session: await ort.InferenceSession.create(onnxPath, { ...base, executionProviders: ['cpu'] }), device: 'cpu' };
  } catch (error) {
    throw new ModelLoadError(`Cannot load ONNX model ${onnxPath}: ${(error as Error).message.split('\n')[0]}`, {
      modelDir,
      file: onnxPath,
      hint: 'The file may be corrupt or truncated; re-install or re-export the model.',
    }, { cause: error });
  }
}

/**
 * Why onnxruntime-node cannot offer CUDA here, or null when its CUDA provider
 * libraries are installed beside the native binding (the CPU-only npm build ships none).
 */
function missingCudaProvider(): string | null {
  let bindingDir: string;
  try {
    bindingDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null; // an unusual layout: let ONNX Runtime itself decide
  }
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(bindingDir, library)) ? null : `onnxruntime-node has no CUDA provider installed (${library} is not in ${bindingDir})`;
}

interface GraphFacts {
  readonly digest: string;
  /** The weights, when the graph is the exporter's bag of subwords. */
  readonly bagOfWords: BagOfWordsWeights | null;
  readonly foreignDomains: readonly string[];
  readonly externalData: readonly string[];
}

const graphFacts = new Map<string, GraphFacts>();

/** What this thread read from model files, keyed by file version: handed to worker threads with `adoptModelFiles`. */
export interface ModelFileFacts {
  readonly entries: readonly (readonly [key: string, facts: GraphFacts])[];
}

/**
 * The model files this thread has read. The bag-of-words table lives in a
 * SharedArrayBuffer, so a worker that adopts these reads the same memory instead
 * of its own copy (32 MB per thread for the default model), and skips reading
 * and hashing the file again.
 */
export function loadedModelFiles(): ModelFileFacts {
  // Complete before sharing: a worker reads the table and never widens rows into it.
  for (const facts of graphFacts.values()) if (facts.bagOfWords) widenAll(facts.bagOfWords);
  return { entries: [...graphFacts] };
}

/** Takes model files read by another thread (`loadedModelFiles`); a file that changed since has another key and is read again. */
export function adoptModelFiles(files: ModelFileFacts | undefined): void {
  for (const [key, facts] of files?.entries ?? []) if (!graphFacts.has(key)) graphFacts.set(key, facts);
}

/**
 * Reads the model file once per version: refuses operators from domains ONNX
 * Runtime does not implement (they need a custom-op library) and external
 * data outside the model roots; returns the weights' digest.
 */
function checkGraph(onnxPath: string, modelDir: string, roots: ModelRoots): GraphFacts {
  const { size, mtimeMs } = statSync(onnxPath);
  const key = `${onnxPath}:${size}:${mtimeMs}`;
  let facts = graphFacts.get(key);
  if (!facts) {
    const bytes = readFileSync(onnxPath);
    try {
      const graph = inspectOnnxModel(bytes);
      facts = { digest: createHash('sha256').update(bytes).digest('hex'), bagOfWords: graph.externalData.length === 0 ? readBagOfWordsGraph(bytes) : null, foreignDomains: foreignDomains(graph), externalData: graph.externalData };
    } catch (error) {
      if (!(error instanceof OnnxFormatError)) throw error;
      throw new ModelLoadError(`Cannot load ONNX model ${onnxPath}: not a valid ONNX file (${error.message})`, { modelDir, file: onnxPath, hint: 'The file may be corrupt or truncated; re-install or re-export the model.' }, { cause: error });
    }
    graphFacts.set(key, facts);
  }
  if (facts.foreignDomains.length > 0) {
    throw new ModelLoadError(`Refusing model ${onnxPath}: it uses operators from ${facts.foreignDomains.map((domain) => `'${domain}'`).join(', ')}, which need a custom-op library`, {
      modelDir,
      file: onnxPath,
      hint: 'CodeGraph runs only ONNX Runtime\'s built-in operators (ai.onnx, ai.onnx.ml, com.microsoft) and never loads native code from a model. Re-export the model with standard operators.',
    });
  }
  for (const location of facts.externalData) roots.check(join(dirname(onnxPath), location), 'external weights', modelDir);
  return facts;
}

/**
 * What, besides the weights, decides the vector of a text: the tokenizer file
 * and every manifest field that changes the ids fed or how the output is read.
 * Not `charsPerToken` (it sizes chunks, and chunks are keyed by their text) nor
 * `similarityThreshold` (read at query time). Canonical JSON, so the digest is stable.
 */
export function vectorSettings(manifest: ModelManifest, tokenizerPath: string, inputConfig: object): string {
  const tokenizerDigest = createHash('sha256').update(readFileSync(tokenizerPath)).digest('hex');
  const { dimension, maxTokens, pooling, normalize, queryPrefix, documentPrefix, preprocess, outputName, tokenTypeIds, padTokenId, paddingSide, positionOffset } = manifest;
  return JSON.stringify({ tokenizerDigest, dimension, maxTokens, pooling, normalize, queryPrefix, documentPrefix, preprocess, outputName, tokenTypeIds, padTokenId, paddingSide, positionOffset, inputConfig });
}

/** The manifest's `dimension` must be what the graph produces: otherwise every vector is cut or padded into nonsense. */
function checkDimension(manifest: ModelManifest, produced: number, modelDir: string, source: 'manifest' | 'override'): void {
  if (produced === manifest.dimension) return;
  const file = join(modelDir, MANIFEST_FILE);
  throw new ModelLoadError(`Model ${modelDir}: the ${source === 'manifest' ? 'manifest' : `override in ${MANIFEST_FILE}`} says dimension ${manifest.dimension}, but the graph's '${manifest.outputName}' output has ${produced}`, {
    modelDir,
    file,
    hint: `Set "dimension": ${produced} in ${file}${source === 'override' ? ' (or remove it: it is read from the graph)' : ''}. To keep fewer dimensions of a Matryoshka model, use the dimensions setting instead.`,
  });
}

/**
 * Refuses a `maxTokens` the graph cannot take, before the first batch: one
 * inference at that length (a position table or a fixed input shape is the
 * usual limit). On failure, a binary search of a few more finds the largest
 * length it accepts, for the hint. ONNX Runtime's own log of the failure is
 * silenced; its message is in the error. For the default model the probe at 512
 * tokens took 0.4–1.3 ms (it runs once per load, in each worker too).
 */
async function checkWindow(session: ort.InferenceSession, manifest: ModelManifest, modelDir: string): Promise<void> {
  const { buildModelInputs } = onnxSide();
  const runsAt = async (length: number): Promise<string | null> => {
    const { feeds } = buildModelInputs([new Array<number>(length).fill(manifest.padTokenId)], length, { inputNames: session.inputNames, padTokenId: manifest.padTokenId, paddingSide: manifest.paddingSide, positionOffset: manifest.positionOffset });
    try {
      await session.run(feeds, { logSeverityLevel: 4 });
      return null;
    } catch (error) {
      return (error as Error).message.split('\n')[0]!;
    }
  };
  const failure = await runsAt(manifest.maxTokens);
  if (failure === null) return;
  let good = 0;
  let bad = manifest.maxTokens;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if ((await runsAt(middle)) === null) good = middle;
    else bad = middle;
  }
  const file = join(modelDir, MANIFEST_FILE);
  throw new ModelLoadError(`Model ${modelDir} cannot take maxTokens ${manifest.maxTokens}: the graph fails on a ${manifest.maxTokens}-token input (${failure})`, {
    modelDir,
    file,
    maxTokens: manifest.maxTokens,
    accepted: good,
    hint: good > 0 ? `The graph accepts at most ${good} tokens: set "maxTokens": ${good} (or less) in ${file}.` : `The graph fails on every length; check the model export.`,
  });
}

/** `checkWindow` for the TypeScript path: its window is the graph's position table. */
function checkNativeWindow(model: BagOfWordsModel, manifest: ModelManifest, modelDir: string): void {
  if (manifest.maxTokens <= model.maxLength) return;
  const file = join(modelDir, MANIFEST_FILE);
  throw new ModelLoadError(`Model ${modelDir} cannot take maxTokens ${manifest.maxTokens}: the graph's position table covers ${model.maxLength} tokens`, {
    modelDir,
    file,
    maxTokens: manifest.maxTokens,
    accepted: model.maxLength,
    hint: `The graph accepts at most ${model.maxLength} tokens: set "maxTokens": ${model.maxLength} (or less) in ${file}.`,
  });
}

/** Output widths from one tiny inference: metadata may leave them symbolic, and the run proves the graph works before anything is indexed. */
async function probeOutputWidths(session: ort.InferenceSession, padTokenId: number, modelDir: string, dataFlowInput = false): Promise<Map<string, number>> {
  const { dataFlow, buildModelInputs } = onnxSide();
  const { feeds } = dataFlowInput
    ? dataFlow.graphCodeBertFeeds([dataFlow.probeGraphCodeBertInput(padTokenId)], 1, session.inputNames, padTokenId)
    : buildModelInputs([[padTokenId]], 1, { inputNames: session.inputNames, padTokenId, paddingSide: 'right', positionOffset: 0 });
  let result: ort.InferenceSession.ReturnType;
  try {
    result = await session.run(feeds, { logSeverityLevel: 4 });
  } catch (error) {
    throw new ModelLoadError(`The model in ${modelDir} fails on a one-token input: ${(error as Error).message.split('\n')[0]}`, { modelDir, hint: `Its inputs are [${session.inputNames.join(', ')}]; the engine feeds input_ids, attention_mask, token_type_ids and position_ids.` }, { cause: error });
  }
  return new Map(Object.entries(result).map(([name, tensor]) => [name, tensor.dims[tensor.dims.length - 1] ?? 0]));
}
