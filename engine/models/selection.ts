/** Which files of a Hub repo make a CodeGraph model: pure, so every rule is unit-tested without a server. */
import { ModelLoadError } from '../errors.js';
import type { RepoFile } from './hub.js';

/** Files taken when present: tokenizer, model config, sentence-transformers pooling, CodeGraph's own manifest. */
export const OPTIONAL_FILES: readonly string[] = [
  'config.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'modules.json',
  '1_Pooling/config.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  'codegraph-model.json',
];
export const TOKENIZER_FILE = 'tokenizer.json';
/** ONNX exports, in order of preference, when no `--onnx-file` is given. */
export const PREFERRED_ONNX: readonly string[] = ['onnx/model.onnx', 'model.onnx'];

export interface PullPlan {
  /** The ONNX graph chosen, repo-relative. */
  readonly onnx: string;
  readonly files: readonly RepoFile[];
  readonly totalBytes: number;
}

const SAFE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._\-/]+$/;

/**
 * Picks the tokenizer, the config files, one ONNX graph (`onnxFile`, else the
 * preferred export) and its external-data file. Fails with the list of ONNX
 * files the repo has when the choice is impossible.
 */
export function planPull(repoId: string, available: readonly RepoFile[], onnxFile?: string): PullPlan {
  const byPath = new Map(available.map((file) => [file.path, file]));
  const onnxFiles = available.map((file) => file.path).filter((path) => path.endsWith('.onnx'));
  const choices = onnxFiles.length > 0 ? `; its ONNX files: ${onnxFiles.join(', ')}` : '';
  let onnx: string | undefined;
  if (onnxFile !== undefined) {
    const wanted = onnxFile.replace(/^\.?\//, '');
    if (!SAFE_PATH.test(wanted) || !wanted.endsWith('.onnx')) throw new ModelLoadError(`--onnx-file must be a relative path to a .onnx file in the repo, got '${onnxFile}'`, { hint: `Pick one of: ${onnxFiles.join(', ') || '(none)'}` });
    if (!byPath.has(wanted)) throw new ModelLoadError(`${repoId} has no file ${wanted}${choices}`, { hint: 'Pass one of those to --onnx-file.' });
    onnx = wanted;
  } else {
    onnx = PREFERRED_ONNX.find((path) => byPath.has(path));
    if (!onnx && onnxFiles.length > 0) {
      throw new ModelLoadError(`${repoId} has no onnx/model.onnx or model.onnx${choices}`, { hint: 'Choose one with --onnx-file.' });
    }
    if (!onnx) {
      throw new ModelLoadError(`${repoId} has no ONNX export, so CodeGraph cannot run it`, {
        hint: 'Pull a repo that ships an ONNX export (an onnx/ folder, e.g. one converted with optimum), or convert the model and point --model at the folder.',
      });
    }
  }
  if (!byPath.has(TOKENIZER_FILE)) {
    throw new ModelLoadError(`${repoId} has no ${TOKENIZER_FILE} (a fast tokenizer), which CodeGraph needs to tokenize text`, { hint: 'Pull a repo that ships tokenizer.json, or save one with the tokenizers library next to the model.' });
  }
  const wanted = [TOKENIZER_FILE, ...OPTIONAL_FILES, onnx, `${onnx}_data`, `${onnx}.data`];
  const files = [...new Set(wanted)].flatMap((path) => byPath.get(path) ?? []);
  for (const file of files) {
    if (!SAFE_PATH.test(file.path)) throw new ModelLoadError(`${repoId} lists an unsafe file path '${file.path}'`, {});
  }
  return { onnx, files, totalBytes: files.reduce((sum, file) => sum + Math.max(0, file.size), 0) };
}
