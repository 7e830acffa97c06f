import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '../errors.js';

// Apart from the encoder (web-tree-sitter, the tokenizer library): every model load reads this, a bag-of-words one nothing else here.

export type ModelInputFormat = 'tokens' | 'graphcodebert-dfg';

export interface DataFlowInputConfig {
  readonly input: ModelInputFormat;
  /** Positions reserved for data-flow nodes inside the model's window (GraphCodeBERT's recipe: 64). */
  readonly dataFlowLength: number;
}

const DEFAULT_DATA_FLOW_LENGTH = 64;
const FORMATS: readonly ModelInputFormat[] = ['tokens', 'graphcodebert-dfg'];

/**
 * Which input a model directory asks for: `input` (and `dataFlowLength`) in
 * codegraph-model.json, or the same keys under `codegraph` in a Hugging Face
 * config.json. Absent means plain tokens.
 */
export function readModelInputConfig(modelDir: string): DataFlowInputConfig {
  for (const [file, pick] of [
    ['codegraph-model.json', (json: Record<string, unknown>) => json],
    ['config.json', (json: Record<string, unknown>) => json['codegraph']],
  ] as const) {
    const path = join(modelDir, file);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // Missing or unreadable files are reported by the manifest loader.
    }
    const section = pick(json);
    if (typeof section !== 'object' || section === null || !('input' in section)) continue;
    const { input, dataFlowLength = DEFAULT_DATA_FLOW_LENGTH } = section as { input: unknown; dataFlowLength?: unknown };
    if (!FORMATS.includes(input as ModelInputFormat)) {
      throw new ModelLoadError(`Model field 'input' must be one of ${FORMATS.join(', ')}; got ${JSON.stringify(input)} (${path})`, { modelDir, file: path });
    }
    if (typeof dataFlowLength !== 'number' || !Number.isInteger(dataFlowLength) || dataFlowLength < 0) {
      throw new ModelLoadError(`Model field 'dataFlowLength' must be a non-negative integer (${path})`, { modelDir, file: path });
    }
    return { input: input as ModelInputFormat, dataFlowLength };
  }
  return { input: 'tokens', dataFlowLength: 0 };
}
