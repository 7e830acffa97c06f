import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { InferenceError, ModelLoadError } from '../errors.js';
import { planBatches } from './batching.js';
import { MANIFEST_FILE, readModelManifest, type ModelManifest } from './manifest.js';
import { TextTokenizer } from './tokenizer.js';

export type Device = 'cpu' | 'cuda' | 'auto';

export interface EmbedderOptions {
  readonly device: Device;
  /** Threads inside one inference; workers each get their own session. */
  readonly intraOpThreads: number;
  readonly maxBatchSize: number;
  /** Padded tokens per batch; bounds peak memory. */
  readonly maxBatchTokens: number;
  /** Keep only the first N dimensions (Matryoshka-trained models); 0 keeps all. */
  readonly dimensions: number;
  readonly log?: (message: string) => void;
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
    /** Manifest id plus a digest of the weights: vectors from another build never mix. */
    readonly modelId: string,
    readonly dimension: number,
    readonly device: 'cpu' | 'cuda',
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: TextTokenizer,
    private readonly options: EmbedderOptions,
  ) {}

  static async load(modelDir: string, options: EmbedderOptions = DEFAULT_EMBEDDER): Promise<Embedder> {
    const dir = resolve(modelDir);
    if (!existsSync(dir)) {
      throw new ModelLoadError(`Model directory not found: ${dir}`, { modelDir: dir, hint: 'Check the model setting, or omit it to use the bundled default model.' });
    }
    const manifest = readModelManifest(dir);
    const onnxPath = join(dir, manifest.onnx);
    if (!existsSync(onnxPath)) {
      throw new ModelLoadError(`Model file not found: ${onnxPath}`, { modelDir: dir, file: onnxPath, hint: `The manifest ${MANIFEST_FILE} names '${manifest.onnx}'.` });
    }
    const tokenizer = TextTokenizer.load(join(dir, manifest.tokenizer), manifest, dir);
    const { session, device } = await createSession(onnxPath, dir, options);
    if (!session.inputNames.includes('input_ids') || !session.outputNames.includes(manifest.outputName)) {
      throw new ModelLoadError(`Model ${onnxPath} must take 'input_ids' and produce '${manifest.outputName}'; it takes [${session.inputNames.join(', ')}] and produces [${session.outputNames.join(', ')}]`, { modelDir: dir, file: onnxPath });
    }
    const digest = await fileDigest(onnxPath);
    const dimension = options.dimensions > 0 ? Math.min(options.dimensions, manifest.dimension) : manifest.dimension;
    const modelId = `${manifest.id}@${digest.slice(0, 12)}${dimension !== manifest.dimension ? `/d${dimension}` : ''}`;
    return new Embedder(dir, manifest, modelId, dimension, device, session, tokenizer, options);
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
  async embed(texts: readonly string[], role: 'query' | 'document' = 'document'): Promise<Float32Array[]> {
    const encoded = texts.map((text) => this.tokenizer.encode(text, role));
    const lengths = encoded.map((ids) => ids.length);
    const batches = planBatches(lengths, this.options.maxBatchSize, this.options.maxBatchTokens);
    const results = new Array<Float32Array>(texts.length);
    for (const batch of batches) {
      const vectors = await this.runBatch(batch.indices.map((index) => encoded[index]!), batch.length);
      batch.indices.forEach((index, row) => (results[index] = vectors[row]!));
      this.stats.batches++;
      this.stats.paddedTokens += batch.length * batch.indices.length;
    }
    this.stats.texts += texts.length;
    for (const length of lengths) this.stats.tokens += length;
    return results;
  }

  private async runBatch(rows: readonly number[][], length: number): Promise<Float32Array[]> {
    const width = Math.max(1, length);
    const ids = new BigInt64Array(rows.length * width);
    const mask = new BigInt64Array(rows.length * width);
    rows.forEach((row, r) => {
      // An empty text still needs one position; token 0 is padding in every supported tokenizer.
      if (row.length === 0) mask[r * width] = 1n;
      for (let t = 0; t < row.length; t++) {
        ids[r * width + t] = BigInt(row[t]!);
        mask[r * width + t] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [rows.length, width]),
    };
    if (this.session.inputNames.includes('attention_mask')) feeds['attention_mask'] = new ort.Tensor('int64', mask, [rows.length, width]);
    if (this.session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(rows.length * width), [rows.length, width]);
    let output: ort.Tensor;
    try {
      const result = await this.session.run(feeds);
      output = result[this.manifest.outputName]!;
    } catch (error) {
      throw new InferenceError(`Inference failed for a batch of ${rows.length}×${width}: ${(error as Error).message}`, { modelDir: this.modelDir, batch: rows.length, length: width }, { cause: error });
    }
    const pooled = poolOutput(output, mask, rows.length, width, this.manifest.pooling);
    return pooled.map((vector) => finalizeVector(vector, this.dimension, this.manifest.normalize));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

async function createSession(onnxPath: string, modelDir: string, options: EmbedderOptions): Promise<{ session: ort.InferenceSession; device: 'cpu' | 'cuda' }> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (options.device !== 'cpu') {
    try {
      const session = await ort.InferenceSession.create(onnxPath, { ...base, executionProviders: ['cuda'] });
      return { session, device: 'cuda' };
    } catch (error) {
      options.log?.(`CUDA execution provider unavailable, using CPU: ${(error as Error).message.split('\n')[0]}`);
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

/** Pools `[batch, length, hidden]` outputs (or passes through `[batch, hidden]`). */
function poolOutput(output: ort.Tensor, mask: BigInt64Array, batch: number, length: number, pooling: string): Float32Array[] {
  const data = output.data as Float32Array;
  const dims = output.dims;
  if (dims.length === 2) {
    const hidden = dims[1]!;
    return Array.from({ length: batch }, (_, row) => data.slice(row * hidden, (row + 1) * hidden));
  }
  const hidden = dims[2]!;
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const vector = new Float32Array(hidden);
    let lastReal = 0;
    let count = 0;
    for (let t = 0; t < length; t++) {
      if (mask[row * length + t] === 0n) continue;
      lastReal = t;
      count++;
      if (pooling === 'mean') {
        const offset = (row * length + t) * hidden;
        for (let h = 0; h < hidden; h++) vector[h]! += data[offset + h]!;
      }
    }
    if (pooling === 'mean') {
      for (let h = 0; h < hidden; h++) vector[h]! /= Math.max(1, count);
    } else {
      const t = pooling === 'cls' ? 0 : lastReal;
      vector.set(data.subarray((row * length + t) * hidden, (row * length + t + 1) * hidden));
    }
    vectors.push(vector);
  }
  return vectors;
}

function finalizeVector(vector: Float32Array, dimension: number, normalize: boolean): Float32Array {
  const result = vector.length === dimension ? vector : vector.slice(0, dimension);
  if (normalize) {
    let norm = 0;
    for (let i = 0; i < result.length; i++) norm += result[i]! * result[i]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < result.length; i++) result[i]! /= norm;
  }
  return result;
}

const digestCache = new Map<string, string>();

async function fileDigest(path: string): Promise<string> {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}:${size}:${mtimeMs}`;
  const cached = digestCache.get(key);
  if (cached) return cached;
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  const digest = hash.digest('hex');
  digestCache.set(key, digest);
  return digest;
}
