import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';

export type Pooling = 'model' | 'mean' | 'cls' | 'last';
export type PreprocessStep = 'split-identifiers' | 'lowercase' | 'collapse-whitespace';

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
}

export const MANIFEST_FILE = 'codegraph-model.json';
const POOLINGS: readonly Pooling[] = ['model', 'mean', 'cls', 'last'];
const STEPS: readonly PreprocessStep[] = ['split-identifiers', 'lowercase', 'collapse-whitespace'];

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
  };
}
