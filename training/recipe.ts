/**
 * The whole default-model recipe, one command:
 *
 *   npm run model:train -- [--minutes 100] [--skip-corpus]
 *
 * corpus (training/corpus/build) → tokenizer and pre-tokenised pairs
 * (prepare) → contrastive training (train.py, resumable) → ONNX export
 * (export) → held-out MRR vs BM25 (evaluate) and the quality benchmark
 * (CoSQA dev, semble set) → model card. Prints where every artefact went.
 * Every number in the model card comes from this run's JSON outputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../engine/config/paths.js';
import { exportModel } from './export.js';

function step(title: string, command: string, args: string[]): void {
  console.log(`\n== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${title} failed (exit ${result.status})`);
}

/** Drops machine-local paths from settings before they go into a committed model card. */
function withoutPaths(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => !(typeof value === 'string' && value.startsWith('/')) && !(Array.isArray(value) && value.some((item) => typeof item === 'string' && item.startsWith('/')))));
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

interface Quality {
  modelId: string;
  semble: { queries: number; overall: Record<string, number>; byCategory: Record<string, Record<string, number>>; missing: string[] };
  cosqa: { queries: number; snippets: number; scores: Record<string, { mrr: number; recallAt1: number; recallAt10: number }> } | null;
}

function modelCard(name: string, paths: { corpus: string; prepared: string; run: string; heldOut: string; quality: string; baselineQuality: string | null }, command: string): string {
  const manifest = existsSync(join(paths.corpus, 'stats.json')) ? readJson<Record<string, unknown>>(join(paths.corpus, 'stats.json')) : {};
  const corpusManifest = existsSync(join(paths.corpus, 'manifest.json')) ? readJson<{ options?: Record<string, unknown>; debian?: unknown; packages?: unknown[] }>(join(paths.corpus, 'manifest.json')) : {};
  const prepared = readJson<{ vocabulary: number; train: { pairs: number; perLanguage: Record<string, number> }; valid: { pairs: number } }>(join(paths.prepared, 'prepared.json'));
  const training = readJson<{ args: Record<string, unknown>; final: { steps: number; minutes: number; valid_mrr: number; pairs_seen: number } }>(join(paths.run, 'training.json'));
  const heldOut = readJson<{
    pool: number;
    perLanguage: Record<string, { pairs: number; dense: number; bm25: number; hybrid?: number }>;
    macro: { dense: number; bm25: number; hybrid?: number };
    similarity?: { chunks: number; randomPairs: number; median: number; quantile: number; threshold: number };
  }>(paths.heldOut);
  const quality = readJson<Quality>(paths.quality);
  const f = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3));
  const lines = [
    `# ${name}`,
    '',
    'CodeGraph\'s default code-embedding model: a bag-of-subword-embeddings encoder (each token a learned vector and a learned weight; a text is their weighted mean, L2-normalised) trained contrastively here, on CPU, from code in Debian\'s archive and the npm registry. Queries and code share the encoder. Vectors are Matryoshka-trained, so their leading 128 or 64 dimensions can be used alone.',
    training.args['position_buckets'] ? `Each token\'s weight is also scaled by a learned weight for its position (${String(training.args['position_buckets'])} buckets: exact for the first 16 positions, then logarithmic), so a definition\'s name and signature, which come first, can count for more than its body.` : '',
    '',
    '## Reproduce',
    '',
    '```sh',
    command,
    '```',
    '',
    '## Data',
    '',
    `- Pairs: ${prepared.train.pairs} train, ${prepared.valid.pairs} validation (split by package). Per language (train): ${Object.entries(prepared.train.perLanguage).map(([language, count]) => `${language} ${count}`).join(', ')}.`,
    `- Kinds: docstring/doc comment → code (doc stripped), function name words → code, module doc or path words → file. Built by training/corpus (see its README for the package lists, filters and the exclusion check keeping evaluation projects and CoSQA out).`,
    manifest['byKind'] ? `- Corpus statistics: ${JSON.stringify(manifest['byKind'])}.` : '',
    corpusManifest.options ? `- Corpus builder options for this build: ${JSON.stringify(withoutPaths(corpusManifest.options))}; ${corpusManifest.packages?.length ?? 0} packages, listed with versions in corpus-packages.tsv.` : '',
    `- Tokenizer: WordPiece, ${prepared.vocabulary} tokens fitted on the train split after identifier splitting and lower-casing (pre-processing declared in codegraph-model.json).`,
    '',
    '## Training',
    '',
    `- Settings: ${JSON.stringify(withoutPaths(training.args))}.`,
    `- Ran ${training.final.steps} steps (${training.final.pairs_seen} pairs seen) in ${training.final.minutes} minutes on this machine's CPU; validation MRR (in-training, 999 distractors) ${training.final.valid_mrr.toFixed(3)}.`,
    '',
    '## Results',
    '',
    `Held-out packages, MRR with ${heldOut.pool - 1} distractors (training/evaluate):`,
    '',
    '| language | pairs | dense | BM25 | hybrid (RRF) |',
    '|---|---|---|---|---|',
    ...Object.entries(heldOut.perLanguage).map(([language, score]) => `| ${language} | ${score.pairs} | ${f(score.dense)} | ${f(score.bm25)} | ${f(score.hybrid)} |`),
    `| **macro average** | | **${f(heldOut.macro.dense)}** | **${f(heldOut.macro.bm25)}** | **${f(heldOut.macro.hybrid)}** |`,
    '',
    heldOut.similarity
      ? `Similar-code threshold: ${heldOut.similarity.threshold}, the cosine reached by only ${Math.round((1 - heldOut.similarity.quantile) * 100)}% of ${heldOut.similarity.randomPairs} random pairs of held-out chunks (median ${heldOut.similarity.median}); written to codegraph-model.json as \`similarityThreshold\` and used by the editor\'s similar-code lens.`
      : '',
    '',
  ];
  if (quality.cosqa) {
    lines.push(`CoSQA dev (${quality.cosqa.queries} queries over ${quality.cosqa.snippets} snippets, bench/quality):`, '', '| mode | MRR | R@1 | R@10 |', '|---|---|---|---|');
    for (const [mode, score] of Object.entries(quality.cosqa.scores)) lines.push(`| ${mode} | ${f(score.mrr)} | ${f(score.recallAt1)} | ${f(score.recallAt10)} |`);
    lines.push('');
  }
  lines.push(`Semble-format set, file-level NDCG@10 (${quality.semble.queries} queries, bench/quality):`, '', '| mode | NDCG@10 |', '|---|---|');
  for (const [mode, value] of Object.entries(quality.semble.overall)) lines.push(`| ${mode} | ${f(value)} |`);
  if (quality.semble.missing.length > 0) lines.push('', `Not scored: ${quality.semble.missing.join('; ')}.`);
  if (paths.baselineQuality && existsSync(paths.baselineQuality)) {
    const baseline = readJson<Quality>(paths.baselineQuality);
    lines.push('', `For comparison, the previous default (${baseline.modelId}) on the same sets: semble ranked ${f(baseline.semble.overall['ranked'])}, dense ${f(baseline.semble.overall['dense'])}; CoSQA dense MRR ${f(baseline.cosqa?.scores['dense']?.mrr)}.`);
  }
  lines.push('', 'Files: `model.onnx` (Gather-based pooling inside the graph, float16 token vectors), `tokenizer.json`, `codegraph-model.json`.');
  return `${lines.filter((line, index, all) => line !== '' || all[index - 1] !== '').join('\n')}\n`;
}

/** The packages (and exact versions) the training corpus came from, next to the model. */
function writePackageList(corpus: string, out: string): void {
  const manifestPath = join(corpus, 'manifest.json');
  if (!existsSync(manifestPath)) return;
  const manifest = readJson<{ packages: { list: string; type: string; name: string; version: string | null; status?: string }[] }>(manifestPath);
  const rows = manifest.packages.filter((entry) => entry.status === undefined || entry.status === 'mined').map((entry) => `${entry.list}\t${entry.type}\t${entry.name}\t${entry.version ?? ''}`);
  writeFileSync(out, `list\ttype\tname\tversion\n${rows.sort().join('\n')}\n`);
}

/** Writes the measured "similar code" threshold (training/evaluate's calibration) into the model's manifest. */
function setSimilarityThreshold(modelDir: string, threshold: number): void {
  const file = join(modelDir, 'codegraph-model.json');
  writeFileSync(file, `${JSON.stringify({ ...readJson<Record<string, unknown>>(file), similarityThreshold: threshold }, null, 2)}\n`);
  console.log(`similarity threshold ${threshold} written to ${file}`);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: process.env['CODEGRAPH_CORPUS_DIR'] ?? join(homedir(), '.cache', 'codegraph', 'corpus') },
      work: { type: 'string', default: join(homedir(), '.cache', 'codegraph', 'training') },
      name: { type: 'string', default: 'codegraph-code-v2' },
      minutes: { type: 'string', default: '100' },
      'vocab-size': { type: 'string', default: '32000' },
      'skip-corpus': { type: 'boolean', default: false },
      'skip-prepare': { type: 'boolean', default: false },
      'skip-train': { type: 'boolean', default: false },
      'held-out-max': { type: 'string', default: '3000' },
      'baseline-quality': { type: 'string' },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  const corpus = resolve(values.corpus!);
  const work = resolve(values.work!);
  const prepared = join(work, 'prepared');
  const run = join(work, 'run');
  const modelDir = join(root, 'models', values.name!);
  const heldOut = join(work, 'held-out.json');
  const qualityDir = join(work, 'quality');
  mkdirSync(work, { recursive: true });

  if (!values['skip-corpus']) step('deb-src for apt-get source', 'bash', [join(root, 'training', 'corpus', 'enable-deb-src.sh')]);
  if (!values['skip-corpus']) step('corpus', process.execPath, [join(root, 'out', 'training', 'corpus', 'build.js'), '--out', corpus]);
  if (!values['skip-prepare']) step('tokenizer and pre-tokenised pairs', process.execPath, [join(root, 'out', 'training', 'prepare.js'), '--pairs', join(corpus, 'pairs'), '--out', prepared, '--vocab-size', values['vocab-size']!]);
  if (!values['skip-train']) step('training', values.python!, [join(root, 'training', 'train.py'), '--data', prepared, '--out', run, '--minutes', values.minutes!]);
  console.log(`\n== export to ${modelDir}`);
  exportModel(prepared, run, modelDir, values.name!, values.python!);
  step('held-out evaluation', process.execPath, [join(root, 'out', 'training', 'evaluate.js'), '--pairs', join(corpus, 'pairs'), '--model', modelDir, '--out', heldOut, '--max-per-language', values['held-out-max']!]);
  setSimilarityThreshold(modelDir, readJson<{ similarity: { threshold: number } }>(heldOut).similarity.threshold);
  step('quality benchmark', process.execPath, [join(root, 'out', 'bench', 'quality', 'run.js'), '--model', modelDir, '--out', qualityDir]);
  const card = modelCard(values.name!, { corpus, prepared, run, heldOut, quality: join(qualityDir, 'quality-latest.json'), baselineQuality: values['baseline-quality'] ?? null }, 'npm run model:train');
  writeFileSync(join(modelDir, 'README.md'), card);
  writePackageList(corpus, join(modelDir, 'corpus-packages.tsv'));
  console.log(`\nArtefacts:\n  corpus        ${corpus}\n  prepared      ${prepared}\n  training run  ${run}\n  model         ${modelDir}\n  held-out      ${heldOut}\n  quality       ${join(qualityDir, 'quality-latest.json')}\n  model card    ${join(modelDir, 'README.md')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
