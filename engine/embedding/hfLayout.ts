import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelLoadError } from '../errors.js';
import { MANIFEST_FILE, refuseNativeCodeRequest, validateManifest, type ModelManifest, type Pooling } from './manifest.js';

/**
 * Hugging Face export layouts: a folder with `config.json`, `tokenizer.json`
 * and an ONNX file, optionally with sentence-transformers files
 * (`modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`,
 * `config_sentence_transformers.json`). The manifest is derived from those
 * files in two steps: `planHfModel` reads the folder, and `completeHfManifest`
 * settles what only the loaded graph can tell (its outputs and width). An
 * optional `codegraph-model.json` beside them overrides any derived field.
 */

export const HF_CONFIG_FILE = 'config.json';
/** The metadata files read besides the tokenizer and the graph, for the model-folder check. */
export const HF_METADATA_FILES: readonly string[] = [HF_CONFIG_FILE, MANIFEST_FILE, 'tokenizer_config.json', 'sentence_bert_config.json', 'config_sentence_transformers.json', 'modules.json', join('1_Pooling', 'config.json')];

/** Encoders whose position ids start after the padding index (RoBERTa's `padding_idx + 1`), so the window is that much smaller. */
const PADDING_OFFSET_FAMILIES = new Set(['roberta', 'xlm-roberta', 'camembert', 'mpnet', 'longformer', 'roberta-prelayernorm', 'data2vec-text']);
/** Encoders (bidirectional): mean pooling unless the export says otherwise. */
const ENCODER_FAMILIES = new Set(['bert', 'roberta', 'xlm-roberta', 'camembert', 'mpnet', 'nomic_bert', 'distilbert', 'electra', 'deberta', 'deberta-v2', 'modernbert', 'longformer', 'roberta-prelayernorm', 'data2vec-text', 'jina_bert', 'new']);
/** Causal decoders: only the last token has seen the whole text, so they pool the last token. */
const DECODER_FAMILIES = new Set(['gpt2', 'gpt_bigcode', 'gpt_neox', 'gptj', 'codegen', 'starcoder2', 'llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3_text', 'phi', 'phi3', 'olmo', 'olmo2', 'stablelm', 'falcon']);
/** Derived windows are capped: chunks are sized from the window, and a 128k-token chunk helps no search. */
const MAX_DERIVED_TOKENS = 8192;
/** `model_max_length` values at or above this are the tokenizers library's "no limit" sentinel. */
const NO_LIMIT = 1e6;

export interface HfModelPlan {
  readonly modelDir: string;
  /** `config.json`'s `model_type`. */
  readonly family: string;
  /** Manifest fields derived from the files, before the override file. */
  readonly derived: Record<string, unknown>;
  /** The raw `codegraph-model.json`, or an empty object. */
  readonly overrides: Record<string, unknown>;
  /** Pooling from sentence-transformers' config or the family, or a reason it cannot be pooled here. */
  readonly pooling: Pooling | { readonly unsupported: string };
  /** modules.json lists a Dense projection: only a graph-pooled `sentence_embedding` includes it. */
  readonly hasDenseModule: boolean;
}

/** Whether a folder holds a Hugging Face-layout export (as opposed to a CodeGraph manifest alone). */
export function isHfModelDir(dir: string): boolean {
  return existsSync(join(dir, HF_CONFIG_FILE));
}

/** Whether a folder holds a model CodeGraph can try to load: a CodeGraph manifest or a Hugging Face export. */
export function isModelDirectory(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE)) || (isHfModelDir(dir) && existsSync(join(dir, 'tokenizer.json')));
}

export function planHfModel(modelDir: string): HfModelPlan {
  const config = readJson(modelDir, HF_CONFIG_FILE, true)!;
  const overrides = readJson(modelDir, MANIFEST_FILE, false) ?? {};
  refuseNativeCodeRequest(overrides, join(modelDir, MANIFEST_FILE), modelDir);
  const family = typeof config['model_type'] === 'string' ? config['model_type'] : '';
  const tokenizerConfig = readJson(modelDir, 'tokenizer_config.json', false) ?? {};
  const sentenceBert = readJson(modelDir, 'sentence_bert_config.json', false) ?? {};
  const sentenceTransformers = readJson(modelDir, 'config_sentence_transformers.json', false) ?? {};
  const modules = readModules(modelDir);
  const prompts = (sentenceTransformers['prompts'] ?? {}) as Record<string, unknown>;
  const onnx = typeof overrides['onnx'] === 'string' ? overrides['onnx'] : findOnnxFile(modelDir);
  const derived: Record<string, unknown> = {
    id: basename(modelDir).replace(/[^A-Za-z0-9._-]+/g, '-') || 'model',
    onnx,
    tokenizer: 'tokenizer.json',
    maxTokens: windowOf(family, config, tokenizerConfig, sentenceBert),
    normalize: true,
    queryPrefix: typeof prompts['query'] === 'string' ? prompts['query'] : '',
    documentPrefix: typeof prompts['document'] === 'string' ? prompts['document'] : typeof prompts['passage'] === 'string' ? prompts['passage'] : '',
    preprocess: [],
    padTokenId: padTokenOf(modelDir, config),
    positionOffset: positionOffsetOf(family, config),
    paddingSide: tokenizerConfig['padding_side'] === 'left' ? 'left' : 'right',
  };
  return {
    modelDir,
    family,
    derived,
    overrides,
    pooling: poolingOf(modelDir, family, modules),
    hasDenseModule: modules.some((module) => module.type.endsWith('.Dense')),
  };
}

/**
 * The final manifest, once the graph is loaded: a graph that outputs a pooled
 * `sentence_embedding` is used as is (it includes any Dense layer); otherwise
 * token states (`last_hidden_state` or `token_embeddings`) are pooled here.
 * `dimension` is the width the graph actually produced on a probe input.
 */
export function completeHfManifest(plan: HfModelPlan, graph: { inputNames: readonly string[]; outputNames: readonly string[] }, dimension: (outputName: string) => number): ModelManifest {
  const file = join(plan.modelDir, HF_CONFIG_FILE);
  const { overrides } = plan;
  const pooledInGraph = graph.outputNames.includes('sentence_embedding');
  let pooling: Pooling;
  let outputName: string;
  if (typeof overrides['pooling'] === 'string') {
    pooling = overrides['pooling'] as Pooling;
    outputName = typeof overrides['outputName'] === 'string' ? overrides['outputName'] : pooling === 'model' ? 'sentence_embedding' : tokenOutput(graph.outputNames) ?? 'last_hidden_state';
  } else if (pooledInGraph) {
    pooling = 'model';
    outputName = 'sentence_embedding';
  } else {
    if (typeof plan.pooling !== 'string') {
      throw new ModelLoadError(`Cannot pool ${plan.modelDir}: ${plan.pooling.unsupported}`, { modelDir: plan.modelDir, file, hint: `Set "pooling" (mean, cls or last) in ${MANIFEST_FILE}, or export the model with a 'sentence_embedding' output.` });
    }
    if (plan.hasDenseModule) {
      throw new ModelLoadError(`The model in ${plan.modelDir} ends in a Dense projection (modules.json) that its ONNX graph does not include`, { modelDir: plan.modelDir, file, hint: "Export it with its pooled 'sentence_embedding' output, which includes the projection." });
    }
    pooling = plan.pooling;
    outputName = typeof overrides['outputName'] === 'string' ? overrides['outputName'] : tokenOutput(graph.outputNames) ?? '';
    if (!outputName) {
      throw new ModelLoadError(`The ONNX graph in ${plan.modelDir} has no token-state output; it produces [${graph.outputNames.join(', ')}]`, { modelDir: plan.modelDir, file, hint: "Expected 'last_hidden_state', 'token_embeddings' or 'sentence_embedding', or name one as \"outputName\" in " + MANIFEST_FILE + '.' });
    }
  }
  const raw = {
    ...plan.derived,
    pooling,
    outputName,
    tokenTypeIds: graph.inputNames.includes('token_type_ids'),
    dimension: graph.outputNames.includes(outputName) ? dimension(outputName) : 1,
    ...overrides,
  };
  return validateManifest(raw, existsSync(join(plan.modelDir, MANIFEST_FILE)) ? join(plan.modelDir, MANIFEST_FILE) : file, plan.modelDir);
}

function tokenOutput(outputNames: readonly string[]): string | undefined {
  return ['last_hidden_state', 'token_embeddings'].find((name) => outputNames.includes(name)) ?? (outputNames.length === 1 ? outputNames[0] : undefined);
}

/**
 * The ONNX file: `model.onnx`, then `onnx/model.onnx`, then the only
 * full-precision `.onnx` file in either place. Quantised variants
 * (`model_quantized.onnx`, `model_int8.onnx`, …) are used only when named in
 * the override file's `onnx`, or when nothing else is there.
 */
export function findOnnxFile(modelDir: string): string {
  for (const candidate of ['model.onnx', join('onnx', 'model.onnx')]) if (existsSync(join(modelDir, candidate))) return candidate;
  const found = ['', 'onnx'].flatMap((sub) => {
    try {
      return readdirSync(join(modelDir, sub)).filter((name) => name.endsWith('.onnx')).map((name) => (sub ? join(sub, name) : name));
    } catch {
      return [];
    }
  });
  const full = found.filter((name) => !/quant|int8|uint8|int4|q4|bnb4|fp16|f16/i.test(name));
  const choices = full.length > 0 ? full : found;
  if (choices.length === 1) return choices[0]!;
  throw new ModelLoadError(
    choices.length === 0 ? `No ONNX file in ${modelDir} (looked for model.onnx, onnx/model.onnx and *.onnx)` : `Several ONNX files in ${modelDir}: ${choices.join(', ')}`,
    { modelDir, hint: choices.length === 0 ? 'Export the model to ONNX (e.g. with Hugging Face Optimum) into this folder.' : `Name the one to use as "onnx" in ${MANIFEST_FILE}.` },
  );
}

function positionOffsetOf(family: string, config: Record<string, unknown>): number {
  if (!PADDING_OFFSET_FAMILIES.has(family)) return 0;
  const pad = config['pad_token_id'];
  return (typeof pad === 'number' && Number.isInteger(pad) && pad >= 0 ? pad : 1) + 1;
}

function windowOf(family: string, config: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, sentenceBert: Record<string, unknown>): number {
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : undefined);
  const declared = number(sentenceBert['max_seq_length']);
  if (declared) return declared;
  const offset = positionOffsetOf(family, config);
  const positions = number(config['max_trained_positions']) ?? number(config['max_position_embeddings']) ?? number(config['n_positions']) ?? number(config['n_ctx']);
  const tokenizerLimit = number(tokenizerConfig['model_max_length']);
  const limits = [positions === undefined ? undefined : positions - offset, tokenizerLimit !== undefined && tokenizerLimit < NO_LIMIT ? tokenizerLimit : undefined].filter((value): value is number => value !== undefined && value > 0);
  return Math.min(MAX_DERIVED_TOKENS, limits.length > 0 ? Math.min(...limits) : 512);
}

function padTokenOf(modelDir: string, config: Record<string, unknown>): number {
  if (typeof config['pad_token_id'] === 'number') return config['pad_token_id'];
  const tokenizer = readJson(modelDir, 'tokenizer.json', false) ?? {};
  const padding = tokenizer['padding'] as { pad_id?: unknown } | null | undefined;
  if (typeof padding?.pad_id === 'number') return padding.pad_id;
  const added = (tokenizer['added_tokens'] ?? []) as { id?: unknown; content?: unknown }[];
  const pad = added.find((token) => typeof token.content === 'string' && ['[PAD]', '<pad>', '<|padding|>', '<|pad|>'].includes(token.content));
  // Any id works for padding that is masked; 0 exists in every vocabulary.
  return typeof pad?.id === 'number' ? pad.id : 0;
}

interface StModule {
  readonly path: string;
  readonly type: string;
}

function readModules(modelDir: string): StModule[] {
  const file = join(modelDir, 'modules.json');
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelLoadError(`Not valid JSON: ${file}`, { modelDir, file }, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new ModelLoadError(`modules.json must be a list (${file})`, { modelDir, file });
  return parsed.map((entry: { path?: unknown; type?: unknown }) => ({ path: typeof entry.path === 'string' ? entry.path : '', type: typeof entry.type === 'string' ? entry.type : '' }));
}

const POOLING_FLAGS: readonly [string, Pooling | null][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_lasttoken', 'last'],
  ['pooling_mode_max_tokens', null],
  ['pooling_mode_mean_sqrt_len_tokens', null],
  ['pooling_mode_weightedmean_tokens', null],
];

function poolingOf(modelDir: string, family: string, modules: readonly StModule[]): HfModelPlan['pooling'] {
  const poolingPath = modules.find((module) => module.type.endsWith('.Pooling'))?.path ?? '1_Pooling';
  const config = readJson(modelDir, join(poolingPath, 'config.json'), false);
  if (config) {
    const on = POOLING_FLAGS.filter(([flag]) => config[flag] === true);
    if (on.length !== 1) return { unsupported: `its sentence-transformers pooling combines ${on.length === 0 ? 'no modes' : on.map(([flag]) => flag).join(' + ')}` };
    const [flag, pooling] = on[0]!;
    return pooling ?? { unsupported: `${flag} is not supported by the engine` };
  }
  if (DECODER_FAMILIES.has(family)) return 'last';
  if (ENCODER_FAMILIES.has(family)) return 'mean';
  return { unsupported: `model_type '${family || '(missing)'}' is not a known encoder or decoder family and there is no pooling config` };
}

function readJson(modelDir: string, name: string, required: boolean): Record<string, unknown> | null {
  const file = join(modelDir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ModelLoadError(`Cannot read ${file}`, { modelDir, file }, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ModelLoadError(`Not valid JSON: ${file}`, { modelDir, file, hint: 'Fix or re-export the file.' }, { cause: error });
  }
}
