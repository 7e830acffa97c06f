/**
 * Exports a training run as a model directory the engine loads:
 * ONNX graph (via training/export_bow_onnx.py), the run's tokenizer and a manifest.
 *
 *   node out/training/export.js --prepared <dir> --run <dir> --out models/<name> --id <model id>
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../engine/config/paths.js';
import { PREPROCESS } from './prepare.js';

/** Writes `codegraph-model.json` for a bag-of-subwords model exported by export_bow_onnx.py. */
export function writeBowManifest(out: string, fields: { id: string; dimension: number; maxTokens: number; matryoshkaDimensions?: number[]; similarityThreshold?: number; training?: Record<string, unknown> }): void {
  const manifest = {
    id: fields.id,
    onnx: 'model.onnx',
    tokenizer: 'tokenizer.json',
    dimension: fields.dimension,
    ...(fields.matryoshkaDimensions ? { matryoshkaDimensions: fields.matryoshkaDimensions } : {}),
    maxTokens: fields.maxTokens,
    pooling: 'model',
    normalize: true,
    queryPrefix: '',
    documentPrefix: '',
    preprocess: PREPROCESS,
    outputName: 'sentence_embedding',
    charsPerToken: 4,
    ...(fields.similarityThreshold !== undefined ? { similarityThreshold: fields.similarityThreshold } : {}),
    ...(fields.training ? { training: fields.training } : {}),
  };
  writeFileSync(join(out, 'codegraph-model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function exportModel(prepared: string, run: string, out: string, id: string, python = '/usr/bin/python3'): void {
  mkdirSync(out, { recursive: true });
  const training = JSON.parse(readFileSync(join(run, 'training.json'), 'utf8')) as { args: { dim: number; matryoshka: string; max_code_tokens: number } };
  const maxTokens = Math.max(512, training.args.max_code_tokens);
  const positionWeights = join(run, 'position_weights.json');
  const exported = spawnSync(
    python,
    [
      join(packageRoot(), 'training', 'export_bow_onnx.py'),
      '--weights', join(run, 'token_weights.json'),
      '--embeddings', join(run, 'embeddings.npy'),
      ...(existsSync(positionWeights) ? ['--position-weights', positionWeights, '--max-length', String(maxTokens), '--trained-length', String(training.args.max_code_tokens)] : []),
      '--out', join(out, 'model.onnx'),
    ],
    { stdio: 'inherit' },
  );
  if (exported.status !== 0) throw new Error(`ONNX export failed with exit code ${exported.status}`);
  copyFileSync(join(prepared, 'tokenizer.json'), join(out, 'tokenizer.json'));
  writeBowManifest(out, { id, dimension: training.args.dim, maxTokens, matryoshkaDimensions: training.args.matryoshka.split(',').map(Number) });
}

if (require.main === module) {
  const { values } = parseArgs({ options: { prepared: { type: 'string' }, run: { type: 'string' }, out: { type: 'string' }, id: { type: 'string' } } });
  if (!values.prepared || !values.run || !values.out || !values.id) throw new Error('--prepared, --run, --out and --id are required');
  exportModel(values.prepared, values.run, values.out, values.id);
  console.log(`model written to ${values.out}`);
}
