/**
 * Builds the interim default model: a code-aware WordPiece tokenizer trained
 * on source text, IDF token weights, and random-projection token vectors, so
 * that the dense score approximates TF-IDF cosine. It is an honest lexical
 * baseline in dense form, not a learned semantic model; the trained model
 * (training recipe) replaces it as the default.
 *
 *   node out/training/interim.js --out models/codegraph-rp-v0 [--vocab-size 16384 --dim 256]
 *
 * Inputs are files of npm packages pinned by package-lock.json, so the result
 * is reproducible from a clean `npm ci`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { packageRoot } from '../engine/config/paths.js';
import { discoverFiles } from '../engine/discovery/walk.js';
import { DEFAULT_DISCOVERY } from '../engine/discovery/types.js';
import { preprocessText } from '../engine/embedding/preprocess.js';
import { sha256Hex } from '../engine/hashing/hash.js';
import { writeBowManifest } from './export.js';
import { PREPROCESS } from './prepare.js';
import { buildVocabulary, PRETOKENIZE, tokenizerJson } from './wordpiece.js';

const DEFAULT_SOURCES = ['node_modules/@types/node', 'node_modules/@types/vscode', 'node_modules/commander', 'node_modules/piscina/dist', 'node_modules/lru-cache/dist/commonjs', 'node_modules/chokidar', 'node_modules/web-tree-sitter', 'node_modules/ignore', 'node_modules/picomatch', 'node_modules/undici/lib', 'node_modules/semver', 'node_modules/tar/dist/commonjs', 'node_modules/node-gyp/lib'];
const WINDOW_LINES = 40;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      id: { type: 'string', default: 'codegraph-rp-v0' },
      'vocab-size': { type: 'string', default: '16384' },
      dim: { type: 'string', default: '256' },
      seed: { type: 'string', default: '0' },
      'max-tokens': { type: 'string', default: '512' },
      source: { type: 'string', multiple: true },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  if (!values.out) throw new Error('--out <dir> is required');
  const root = packageRoot();
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const sources = values.source ?? DEFAULT_SOURCES;

  const documents: string[] = [];
  const inputDigest: string[] = [];
  for (const source of sources) {
    const dir = resolve(root, source);
    const { files } = await discoverFiles(dir, { ...DEFAULT_DISCOVERY, respectGitignore: false });
    for (const file of files.sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (!/\.(ts|js|mjs|cjs|py)$/.test(file.path)) continue;
      const text = readFileSync(file.absolutePath, 'utf8');
      inputDigest.push(`${source}/${file.path}:${sha256Hex(text).slice(0, 16)}`);
      const lines = text.split('\n');
      for (let start = 0; start < lines.length; start += WINDOW_LINES) documents.push(lines.slice(start, start + WINDOW_LINES).join('\n'));
    }
  }

  const wordCounts = new Map<string, number>();
  for (const document of documents) {
    for (const word of preprocessText(document, PREPROCESS).match(PRETOKENIZE) ?? []) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const vocabulary = buildVocabulary(wordCounts, { size: Number(values['vocab-size']), suffixShare: 0.2, minCount: 2 });
  const tokenizerConfig = tokenizerJson(vocabulary);
  writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(tokenizerConfig));

  // IDF over the same documents, tokenised by the tokenizer just written.
  const tokenizer = new Tokenizer(tokenizerConfig, {});
  const documentFrequency = new Float64Array(vocabulary.length);
  for (const document of documents) {
    const ids = new Set<number>(tokenizer.encode(preprocessText(document, PREPROCESS)).ids as number[]);
    for (const id of ids) documentFrequency[id]!++;
  }
  const weights = Array.from(documentFrequency, (df, id) => (id < 2 ? 0 : Math.log((documents.length + 1) / (df + 1)) + 1));
  const weightsFile = join(outDir, 'token_weights.json');
  writeFileSync(weightsFile, JSON.stringify(weights.map((weight) => Math.round(weight * 1e4) / 1e4)));

  const exported = spawnSync(values.python!, [join(root, 'training/export_bow_onnx.py'), '--weights', weightsFile, '--dim', values.dim!, '--seed', values.seed!, '--out', join(outDir, 'model.onnx')], { stdio: 'inherit' });
  if (exported.status !== 0) throw new Error(`ONNX export failed (exit ${exported.status}); it needs Debian's python3-onnx and python3-numpy`);

  writeBowManifest(outDir, {
    id: values.id!,
    dimension: Number(values.dim),
    maxTokens: Number(values['max-tokens']),
    training: {
      kind: 'random-projection TF-IDF (not learned)',
      documents: documents.length,
      files: inputDigest.length,
      inputsDigest: sha256Hex(inputDigest.join('\n')).slice(0, 16),
      sources,
      vocabularySize: vocabulary.length,
      seed: Number(values.seed),
    },
  });
  console.log(`model written to ${outDir}: ${vocabulary.length} tokens, ${documents.length} documents from ${inputDigest.length} files`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
