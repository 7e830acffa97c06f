import { InvalidInputError, ModelLoadError } from '../errors.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { languageById } from '../parsing/languages.js';
import type { Embedder } from './model.js';

/** Which side of retrieval a text is embedded as: code to be found, or a question that finds it. */
export type EmbedRole = 'document' | 'query';

/** One text for `embed` / `embedBatch`; a bare string is document-side code of no stated language. */
export interface EmbedInput {
  readonly code: string;
  /** A language id (`python`, `typescript`, … as in `codegraph.languages`); unknown ids fall back to `text`. */
  readonly language?: string | null;
  /** Default `document`, as the index embeds chunks. */
  readonly role?: EmbedRole;
}

export interface EmbedResult {
  /** Unit-length (for normalising models) float32 vector of `dimension` values. */
  readonly vector: Float32Array;
  readonly role: EmbedRole;
  /** The language the text was embedded as: the requested id, or `text`. */
  readonly language: string;
  /** True when the requested language is not one CodeGraph knows, so the text was embedded as `text`. */
  readonly languageFallback: boolean;
  /** True when the text was longer than the model's window and only its start was embedded. */
  readonly truncated: boolean;
}

export interface EmbeddingApiDeps {
  /** The serving model; read on every call because the recovery chain may replace it. */
  readonly embedder: () => Embedder | null;
  /** Runs batches on the worker pool (created on first use). */
  readonly embedOnPool: (texts: readonly string[], languages: readonly (string | null)[], role: EmbedRole) => Promise<{ vectors: Float32Array[]; truncated: boolean[] }>;
  readonly metrics: EngineMetrics;
  /** Texts per pool task. */
  readonly batchSize: number;
  /** The query-embedding path with its cache (the engine's), if any. */
  readonly queryVector?: (text: string) => Promise<Float32Array>;
  /** Why there is no model, for the error when asked to embed without one. */
  readonly modelError?: () => string | null;
  /**
   * Told of each inference outcome (`failed` is the model that failed), so
   * the engine can step down its recovery chain when embedding keeps failing,
   * as it does for searches.
   */
  readonly onInference?: (outcome: { readonly ok: true } | { readonly ok: false; readonly error: Error; readonly failed: Embedder }) => Promise<void>;
}

/**
 * The embedding half of the library API (`CodeGraph.embedCode` and friends):
 * validation, language resolution and truncation reporting in front of the
 * same model, pre-processing and dimensions the index uses. Needs no index.
 */
export class EmbeddingApi {
  constructor(private readonly deps: EmbeddingApiDeps) {}

  get dimension(): number | null {
    return this.deps.embedder()?.dimension ?? null;
  }

  get modelId(): string | null {
    return this.deps.embedder()?.modelId ?? null;
  }

  /** Document-side vector of `code`, exactly as the indexer embeds a chunk. */
  async embedCode(code: string, language?: string | null): Promise<Float32Array> {
    return (await this.embed({ code, language: language ?? null })).vector;
  }

  /** Query-side vector of `text` (the model's query prefix, the engine's query cache). A copy: callers may change it. */
  async embedQuery(text: string): Promise<Float32Array> {
    return this.measured(1, async () => {
      checkText(text, 'text');
      const embedder = this.model();
      if (this.deps.queryVector) return Float32Array.from(await this.deps.queryVector(text));
      return (await embedder.embed([text], 'query'))[0]!;
    });
  }

  /** One text with its flags, on the calling thread (no worker round trip: the fast path for single texts). */
  async embed(input: EmbedInput | string): Promise<EmbedResult> {
    return this.measured(1, async () => {
      const { code, role, language, languageFallback } = normalizeInput(input, 'input');
      const embedder = this.model();
      const { vectors, truncated } = await embedder.embedDetailed([code], role, [language]);
      return { vector: vectors[0]!, role, language, languageFallback, truncated: truncated[0]! };
    });
  }

  /**
   * Many texts, in input order: split into tasks of `batchSize` and embedded
   * on the worker pool in parallel, each task length-sorted into model batches.
   * Every input is validated before any is embedded.
   */
  async embedBatch(inputs: readonly (EmbedInput | string)[]): Promise<EmbedResult[]> {
    if (!Array.isArray(inputs)) throw new InvalidInputError('embedBatch takes an array of texts or { code, language?, role? } objects', { argument: 'inputs' });
    if (inputs.length === 0) return [];
    return this.measured(inputs.length, async () => {
      const normalized = inputs.map((input, index) => normalizeInput(input, `inputs[${index}]`));
      this.model();
      const results = new Array<EmbedResult>(normalized.length);
      const tasks: Promise<void>[] = [];
      for (const role of ['document', 'query'] as const) {
        const indices = normalized.flatMap((input, index) => (input.role === role ? [index] : []));
        for (let start = 0; start < indices.length; start += this.deps.batchSize) {
          const slice = indices.slice(start, start + this.deps.batchSize);
          tasks.push(
            this.deps.embedOnPool(slice.map((index) => normalized[index]!.code), slice.map((index) => normalized[index]!.language), role).then(({ vectors, truncated }) => {
              slice.forEach((index, row) => {
                const input = normalized[index]!;
                results[index] = { vector: vectors[row]!, role, language: input.language, languageFallback: input.languageFallback, truncated: truncated[row]! };
              });
            }),
          );
        }
      }
      await Promise.all(tasks);
      return results;
    });
  }

  /**
   * Cosine similarity of two code texts (document side) or vectors, in [-1, 1].
   * Strings are embedded as `language` (default: no stated language).
   */
  async similarity(a: string | Float32Array, b: string | Float32Array, language?: string | null): Promise<number> {
    const vectorOf = (value: string | Float32Array, name: string) => {
      if (value instanceof Float32Array) return Promise.resolve(value);
      if (typeof value !== 'string') {
        const error = new InvalidInputError(`${name} must be a string of code or a Float32Array`, { argument: name });
        this.deps.metrics.recordError(error);
        return Promise.reject(error);
      }
      return this.embedCode(value, language);
    };
    const [left, right] = await Promise.all([vectorOf(a, 'a'), vectorOf(b, 'b')]);
    try {
      return cosine(left, right);
    } catch (error) {
      this.deps.metrics.recordError(error);
      throw error;
    }
  }

  private model(): Embedder {
    const embedder = this.deps.embedder();
    if (embedder) return embedder;
    const why = this.deps.modelError?.() ?? null;
    throw new ModelLoadError(`No embedding model is loaded${why ? `: ${why}` : ' (lexical-only search)'}`, { hint: 'Open the engine with a model directory (or the bundled default) to embed text.' });
  }

  private async measured<T>(texts: number, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const embedder = this.deps.embedder();
    try {
      const result = await work();
      this.deps.metrics.counters.embeds += texts;
      this.deps.metrics.embedLatency.record((performance.now() - started) / texts);
      await this.deps.onInference?.({ ok: true });
      return result;
    } catch (error) {
      this.deps.metrics.recordError(error);
      if ((error as { code?: unknown }).code === 'INFERENCE' && embedder) await this.deps.onInference?.({ ok: false, error: error as Error, failed: embedder });
      throw error;
    }
  }
}

/** A requested language id resolved for embedding: known ids as they are, anything else as `text`, flagged. */
export function resolveEmbedLanguage(language: string | null | undefined): { language: string; languageFallback: boolean } {
  if (language === undefined || language === null || language === '') return { language: 'text', languageFallback: false };
  if (typeof language !== 'string') return { language: 'text', languageFallback: true };
  const known = languageById(language) ?? languageById(language.toLowerCase());
  return known ? { language: known.id, languageFallback: false } : { language: 'text', languageFallback: true };
}

/** Cosine of two vectors of equal length; 0 when either is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new InvalidInputError(`Cannot compare vectors of ${a.length} and ${b.length} dimensions`, { argument: 'b', dimensions: [a.length, b.length] });
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

function normalizeInput(input: EmbedInput | string, name: string): { code: string; role: EmbedRole; language: string; languageFallback: boolean } {
  const object = typeof input === 'string' ? { code: input } : input;
  if (typeof object !== 'object' || object === null) throw new InvalidInputError(`${name} must be a string or { code, language?, role? }`, { argument: name });
  checkText(object.code, `${name}.code`);
  const role = object.role ?? 'document';
  if (role !== 'document' && role !== 'query') throw new InvalidInputError(`${name}.role must be 'document' or 'query', got '${String(role)}'`, { argument: `${name}.role` });
  return { code: object.code, role, ...resolveEmbedLanguage(object.language) };
}

function checkText(text: unknown, name: string): asserts text is string {
  if (typeof text !== 'string') throw new InvalidInputError(`${name} must be a string, got ${text === null ? 'null' : typeof text}`, { argument: name });
  if (text.trim().length === 0) throw new InvalidInputError(`Nothing to embed: ${name} is empty${text.length > 0 ? ' (only whitespace)' : ''}`, { argument: name, hint: 'Pass the code or text to embed.' });
}
