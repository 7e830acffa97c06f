import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';

export type Pooling = 'model' | 'mean' | 'cls' | 'last';
export type PreprocessStep = 'split-identifiers' | 'lowercase' | 'collapse-whitespace';
export type PaddingSide = 'right' | 'left';

/** `codegraph-model.json`: everything the engine must know to turn text into a vector with this model. */
export interface ModelManifest {
  readonly id: string;
  readonly onnx: string;
  readonly tokenizer: string;
  readonly dimension: number;
  readonly maxTokens: number;
  /** `model`: the graph outputs a pooled `sentence_embedding`; otherwise pool `last_hidden_state` here. */
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  readonly preprocess: readonly PreprocessStep[];
  readonly outputName: string;
  /** Rough characters per token, used to size chunks to the model's window. */
  readonly charsPerToken: number;
  /** Whether the graph takes `token_type_ids` (BERT-family exports). */
  readonly tokenTypeIds: boolean;
  /** Token id that fills padded positions (masked out; RoBERTa-style graphs derive positions from it). */
  readonly padTokenId: number;
  /** Where padding goes in a batch; `left` for decoder models trained that way. */
  readonly paddingSide: PaddingSide;
  /** First position id, for graphs that take `position_ids`: RoBERTa-family models count from `pad_token_id + 1`. */
  readonly positionOffset: number;
  /**
   * Cosine above which two code chunks count as "similar" for this model (the
   * editor's similar-code lens), or null for the engine's default. Cosine scales
   * differ between models, so a fixed number cannot serve them all.
   */
  readonly similarityThreshold: number | null;
}

/** Used when a manifest sets no `similarityThreshold`. */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.5;

export const MANIFEST_FILE = 'codegraph-model.json';
const POOLINGS: readonly Pooling[] = ['model', 'mean', 'cls', 'last'];
const STEPS: readonly PreprocessStep[] = ['split-identifiers', 'lowercase', 'collapse-whitespace'];
/**
 * Manifest fields that would make the runtime load native code or take
 * session settings from the model directory. CodeGraph never does either, so a
 * manifest asking for it is refused rather than silently half-honoured.
 */
const NATIVE_CODE_FIELD = /custom_?op|sessionOptions|executionProviders/i;

/** Reads and validates a model directory's manifest; every problem names the file and the field. */
export function readModelManifest(modelDir: string): ModelManifest {
  const file = join(modelDir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ModelLoadError(missing ? `Model manifest not found: ${file}` : `Model manifest is not valid JSON: ${file}`, {
      modelDir,
      file,
      hint: missing ? 'Point the model setting at a directory containing codegraph-model.json, or remove it to use the bundled default.' : 'Fix or regenerate the manifest.',
    }, { cause: error });
  }
  return validateManifest(raw, file, modelDir);
}

export function validateManifest(raw: unknown, file: string, modelDir: string): ModelManifest {
  const fail = (field: string, expected: string): never => {
    throw new ModelLoadError(`Model manifest field '${field}' must be ${expected} (${file})`, { modelDir, file });
  };
  if (typeof raw !== 'object' || raw === null) return fail('(root)', 'an object');
  const value = raw as Record<string, unknown>;
  refuseNativeCodeRequest(value, file, modelDir);
  const text = (field: string, fallback?: string): string => {
    const found = value[field] ?? fallback;
    return typeof found === 'string' ? found : fail(field, 'a string');
  };
  const positive = (field: string, fallback?: number): number => {
    const found = value[field] ?? fallback;
    return typeof found === 'number' && Number.isFinite(found) && found > 0 ? found : fail(field, 'a positive number');
  };
  const pooling = text('pooling', 'model') as Pooling;
  if (!POOLINGS.includes(pooling)) fail('pooling', `one of ${POOLINGS.join(', ')}`);
  const preprocess = value['preprocess'] ?? [];
  if (!Array.isArray(preprocess) || !preprocess.every((step) => STEPS.includes(step as PreprocessStep))) fail('preprocess', `a list of ${STEPS.join(', ')}`);
  return {
    id: text('id'),
    onnx: text('onnx', 'model.onnx'),
    tokenizer: text('tokenizer', 'tokenizer.json'),
    dimension: Math.trunc(positive('dimension')),
    maxTokens: Math.trunc(positive('maxTokens', 512)),
    pooling,
    normalize: value['normalize'] !== false,
    queryPrefix: text('queryPrefix', ''),
    documentPrefix: text('documentPrefix', ''),
    preprocess: preprocess as PreprocessStep[],
    outputName: text('outputName', pooling === 'model' ? 'sentence_embedding' : 'last_hidden_state'),
    charsPerToken: positive('charsPerToken', 4),
    tokenTypeIds: value['tokenTypeIds'] === true,
    padTokenId: nonNegativeInteger('padTokenId', value['padTokenId'], fail),
    positionOffset: nonNegativeInteger('positionOffset', value['positionOffset'], fail),
    paddingSide: value['paddingSide'] === undefined || value['paddingSide'] === 'right' || value['paddingSide'] === 'left' ? ((value['paddingSide'] as PaddingSide | undefined) ?? 'right') : fail('paddingSide', "'right' or 'left'"),
    similarityThreshold: similarityThreshold(value['similarityThreshold'], fail),
  };
}

function similarityThreshold(value: unknown, fail: (field: string, expected: string) => never): number | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'number' && value > -1 && value < 1 ? value : fail('similarityThreshold', 'a number between -1 and 1');
}

function nonNegativeInteger(field: string, value: unknown, fail: (field: string, expected: string) => never): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fail(field, 'a non-negative integer');
}

/** Throws when a manifest (or options object) asks for a custom-op library or raw session options. */
export function refuseNativeCodeRequest(value: Record<string, unknown>, file: string, modelDir: string): void {
  const field = Object.keys(value).find((key) => NATIVE_CODE_FIELD.test(key));
  if (field === undefined) return;
  throw new ModelLoadError(`Refusing model: '${field}' in ${file} asks to register native code or session options, which CodeGraph never loads from a model`, {
    modelDir,
    file,
    hint: 'Remove the field. Models must run on ONNX Runtime\'s built-in operators (docs/models.md).',
  });
}
