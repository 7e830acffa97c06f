/**
 * Retrieval-quality benchmark: the semble-format annotation set (NDCG@10 per
 * mode, category and language, index time, query latency) and CoSQA dev
 * retrieval (MRR, recall@1/10), through the same engine the CLI uses.
 *
 *   npm run bench:quality -- --repos <checkouts dir> [--bench <annotation dir>] [--model <dir>] [--only chi,express]
 *
 * `--repos` holds one checkout per repository, named as in repos.json (see
 * prepare-repos.ts). Missing ones are listed and skipped, never guessed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeGraph } from '../../engine/codegraph.js';
import { packageRoot } from '../../engine/config/paths.js';
import { RANKING_FEATURES } from '../../engine/search/ranking.js';
import { RAW_SEARCH, type SearchOptions } from '../../engine/search/searcher.js';
import { mean, ndcgAt, percentileOf, reciprocalRank, targetRanks, type Target } from './metrics.js';

interface RepoSpec {
  readonly name: string;
  readonly language: string;
  readonly revision: string;
  readonly benchmark_root?: string | null;
}

interface Annotation {
  readonly query: string;
  readonly relevant: Target[];
  readonly secondary: Target[];
  readonly category: string;
}

/**
 * The raw modes (no ranking layer), score-blend fusion for the RRF-versus-blend
 * measurement, `ranked` (the default search) and one ablation per ranking
 * feature: `ranked` with that feature removed.
 */
const MODES: Record<string, Partial<SearchOptions>> = {
  bm25: { ...RAW_SEARCH, mode: 'lexical' },
  dense: { ...RAW_SEARCH, mode: 'dense' },
  hybrid: { ...RAW_SEARCH, mode: 'hybrid', fusion: 'rrf' },
  'hybrid-blend': { ...RAW_SEARCH, mode: 'hybrid', fusion: 'blend' },
  ranked: {},
  ...Object.fromEntries(RANKING_FEATURES.map((feature) => [`ranked-no-${feature}`, { ranking: { disabled: [feature] } }])),
  ...variants(),
};

/** Extra modes from `CODEGRAPH_BENCH_VARIANTS` (a JSON object of name → search options), for choosing constants in one run. */
function variants(): Record<string, Partial<SearchOptions>> {
  const raw = process.env['CODEGRAPH_BENCH_VARIANTS'];
  return raw ? (JSON.parse(raw) as Record<string, Partial<SearchOptions>>) : {};
}
const CHUNKS_PER_QUERY = 60;

/** Published NDCG@10 on the full 62-repo semble set (from the environment notes), for context only. */
const PUBLISHED: Record<string, number> = {
  ripgrep: 0.123,
  'BM25 alone': 0.675,
  'potion-code-16M alone': 0.65,
  ColGREP: 0.692,
  CodeRankEmbed: 0.762,
  semble: 0.852,
  'CodeRankEmbed hybrid': 0.86,
};

interface QueryResult {
  readonly repo: string;
  readonly language: string;
  readonly category: string;
  readonly query: string;
  readonly ndcg: Record<string, number>;
  readonly latencyMs: number;
  /** False for a checkout at another revision than the annotations' (`--allow-revision-mismatch`): scored apart. */
  readonly annotatedRevision: boolean;
  readonly top: readonly string[];
}

async function runSemble(benchDir: string, reposDir: string, modelDir: string | undefined, only: Set<string> | null, workDir: string, allowRevisionMismatch: boolean, indexCache: string | undefined) {
  const repos = JSON.parse(readFileSync(join(benchDir, 'repos.json'), 'utf8')) as RepoSpec[];
  const results: QueryResult[] = [];
  const perRepo: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const repo of repos) {
    if (only && !only.has(repo.name)) continue;
    const annotationFile = join(benchDir, 'annotations', `${repo.name}.json`);
    if (!existsSync(annotationFile)) continue;
    const checkout = join(reposDir, repo.name);
    const root = repo.benchmark_root ? join(checkout, repo.benchmark_root) : checkout;
    if (!existsSync(root)) {
      missing.push(`${repo.name} (expected ${root})`);
      continue;
    }
    const revisionFile = join(checkout, '.bench-revision');
    const revision = existsSync(revisionFile) ? readFileSync(revisionFile, 'utf8').trim() : 'unknown';
    // Annotations name paths at one revision; another revision can move the files and score 0 for no fault of the engine.
    const annotatedRevision = !revision.includes('unavailable');
    if (!annotatedRevision && !allowRevisionMismatch) {
      missing.push(`${repo.name} (checkout is not at the annotated revision ${repo.revision})`);
      continue;
    }
    const annotations = JSON.parse(readFileSync(annotationFile, 'utf8')) as Annotation[];
    // A kept index cache (`--index-cache`) makes a re-run query-only; index times are then not comparable.
    const cacheDir = join(indexCache ?? workDir, 'cache', repo.name);
    if (!indexCache) rmSync(cacheDir, { recursive: true, force: true });
    const graph = await CodeGraph.open({ root, cacheDir, ...(modelDir ? { modelDir } : {}) });
    try {
      const started = performance.now();
      const summary = await graph.index();
      const indexMs = performance.now() - started;
      const prefix = repo.benchmark_root ? `${repo.benchmark_root.replace(/\/$/, '')}/` : '';
      const latencies: number[] = [];
      for (const annotation of annotations) {
        const targets = [...annotation.relevant, ...annotation.secondary];
        const ndcg: Record<string, number> = {};
        let latencyMs = 0;
        let top: string[] = [];
        for (const [mode, options] of Object.entries(MODES)) {
          const begun = performance.now();
          const hits = await graph.search(annotation.query, { ...options, limit: CHUNKS_PER_QUERY });
          if (mode === 'ranked') {
            latencyMs = performance.now() - begun;
            // The first files ranked, to read the misses by.
            top = [...new Set(hits.map((hit) => prefix + hit.path))].slice(0, 5);
          }
          ndcg[mode] = ndcgAt(hits.map((hit) => ({ path: prefix + hit.path, startLine: hit.startLine, endLine: hit.endLine })), targets);
        }
        latencies.push(latencyMs);
        results.push({ repo: repo.name, language: repo.language, category: annotation.category, query: annotation.query, ndcg, latencyMs, annotatedRevision, top });
      }
      perRepo.push({
        repo: repo.name,
        language: repo.language,
        revision,
        files: summary.filesDiscovered,
        chunks: summary.chunksTotal,
        indexMs: Math.round(indexMs),
        queryP50Ms: round(percentileOf(latencies, 0.5)),
        queryP95Ms: round(percentileOf(latencies, 0.95)),
        ndcg: Object.fromEntries(Object.keys(MODES).map((mode) => [mode, round(mean(results.filter((result) => result.repo === repo.name).map((result) => result.ndcg[mode]!)))])),
      });
      process.stderr.write(`semble ${repo.name}: ${summary.filesDiscovered} files indexed in ${Math.round(indexMs)} ms\n`);
    } finally {
      await graph.dispose();
    }
  }
  // Headline slices cover the checkouts at their annotated revisions only; the others are reported apart.
  const scored = results.filter((result) => result.annotatedRevision);
  const elsewhere = results.filter((result) => !result.annotatedRevision);
  const group = (key: (result: QueryResult) => string) => {
    const keys = [...new Set(scored.map(key))].sort();
    return Object.fromEntries(keys.map((value) => [value, { queries: scored.filter((result) => key(result) === value).length, ...Object.fromEntries(Object.keys(MODES).map((mode) => [mode, round(mean(scored.filter((result) => key(result) === value).map((result) => result.ndcg[mode]!)))])) }]));
  };
  const overallOf = (slice: readonly QueryResult[]) => Object.fromEntries(Object.keys(MODES).map((mode) => [mode, round(mean(slice.map((result) => result.ndcg[mode]!)))]));
  return {
    queries: scored.length,
    missing,
    overall: overallOf(scored),
    otherRevision: elsewhere.length === 0 ? null : { repos: [...new Set(elsewhere.map((result) => result.repo))], queries: elsewhere.length, overall: overallOf(elsewhere) },
    byCategory: group((result) => result.category),
    byLanguage: group((result) => result.language),
    perRepo,
    perQuery: results,
  };
}

interface CosqaEntry {
  readonly doc: string;
  readonly code: string;
  readonly label: number;
}

/** CoSQA dev: the positive queries ranked over the distinct code snippets, each snippet one file. */
async function runCosqa(file: string, modelDir: string | undefined, workDir: string, indexCache: string | undefined) {
  const entries = JSON.parse(readFileSync(file, 'utf8')) as CosqaEntry[];
  const snippets = [...new Set(entries.map((entry) => entry.code))];
  const root = join(indexCache ?? workDir, 'cosqa-workspace');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  snippets.forEach((code, index) => writeFileSync(join(root, `snippet_${index}.py`), code));
  const fileOf = new Map(snippets.map((code, index) => [code, `snippet_${index}.py`]));
  const positives = entries.filter((entry) => entry.label === 1);
  const cacheDir = join(indexCache ?? workDir, 'cache', 'cosqa');
  if (!indexCache) rmSync(cacheDir, { recursive: true, force: true });
  const graph = await CodeGraph.open({ root, cacheDir, ...(modelDir ? { modelDir } : {}), discovery: { maxFileBytes: 1 << 20 } });
  try {
    await graph.index();
    const scores: Record<string, { mrr: number; recallAt1: number; recallAt10: number }> = {};
    for (const [mode, options] of Object.entries(MODES)) {
      // Snippet files are never tests, so the test-penalty ablation adds nothing here.
      if (mode === 'ranked-no-test-penalty') continue;
      const ranks: number[] = [];
      for (const entry of positives) {
        const hits = await graph.search(entry.doc, { ...options, limit: snippets.length * 2 });
        ranks.push(targetRanks(hits.map((hit) => ({ path: hit.path, startLine: hit.startLine, endLine: hit.endLine })), [fileOf.get(entry.code)!])[0]!);
      }
      scores[mode] = {
        mrr: round(mean(ranks.map(reciprocalRank))),
        recallAt1: round(mean(ranks.map((rank) => (rank === 0 ? 1 : 0)))),
        recallAt10: round(mean(ranks.map((rank) => (rank >= 0 && rank < 10 ? 1 : 0)))),
      };
    }
    return { queries: positives.length, snippets: snippets.length, scores };
  } finally {
    await graph.dispose();
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function markdown(report: Awaited<ReturnType<typeof runSemble>>, cosqa: Awaited<ReturnType<typeof runCosqa>> | null, modelId: string | null): string {
  // The main table: raw modes and ranked; ablations and variants get a table of their own below.
  const modes = Object.keys(MODES).filter((mode) => !mode.startsWith('ranked-no-') && !(mode in variants()));
  const lines = [`### Semble-format set: NDCG@10 (${report.queries} queries, model ${modelId ?? 'none'})`, '', `| slice | ${modes.join(' | ')} |`, `|---|${modes.map(() => '---').join('|')}|`];
  lines.push(`| **overall** | ${modes.map((mode) => (report.overall as Record<string, number>)[mode]!.toFixed(3)).join(' | ')} |`);
  for (const [name, slice] of [...Object.entries(report.byCategory), ...Object.entries(report.byLanguage)]) {
    lines.push(`| ${name} (${(slice as { queries: number }).queries}) | ${modes.map((mode) => ((slice as Record<string, number>)[mode] ?? 0).toFixed(3)).join(' | ')} |`);
  }
  if (report.otherRevision) {
    const other = report.otherRevision;
    lines.push(`| *not at annotated revision: ${other.repos.join(', ')}* (${other.queries}) | ${modes.map((mode) => (other.overall as Record<string, number>)[mode]!.toFixed(3)).join(' | ')} |`);
  }
  const ablations = Object.keys(MODES).filter((mode) => mode.startsWith('ranked-no-') || mode in variants());
  const categories = Object.keys(report.byCategory).filter((category) => (report.byCategory[category] as { queries: number }).queries >= 10);
  const cell = (slice: Record<string, number> | undefined, mode: string) => (slice?.[mode] ?? 0).toFixed(3);
  lines.push('', '#### Ranking ablations: `ranked` with one feature removed (engine/search/ranking.ts)', '');
  lines.push(`| ranked without | overall | Δ | ${categories.join(' | ')} |${cosqa ? ' CoSQA MRR |' : ''}`, `|---|---|---|${categories.map(() => '---').join('|')}|${cosqa ? '---|' : ''}`);
  for (const mode of ['ranked', ...ablations]) {
    const overall = report.overall as Record<string, number>;
    const delta = overall[mode]! - overall['ranked']!;
    const name = mode === 'ranked' ? '(nothing: ranked)' : mode.replace(/^ranked-no-/, '');
    lines.push(`| ${name} | ${cell(overall, mode)} | ${mode === 'ranked' ? '' : `${delta >= 0 ? '+' : ''}${delta.toFixed(3)}`} | ${categories.map((category) => cell(report.byCategory[category] as Record<string, number>, mode)).join(' | ')} |${cosqa ? ` ${cosqa.scores[mode]?.mrr.toFixed(3) ?? ''} |` : ''}`);
  }
  lines.push('', '| repo | files | chunks | index ms | query p50 ms | query p95 ms | ranked NDCG@10 |', '|---|---|---|---|---|---|---|');
  for (const repo of report.perRepo as Record<string, unknown>[]) {
    lines.push(`| ${repo['repo']} | ${repo['files']} | ${repo['chunks']} | ${repo['indexMs']} | ${repo['queryP50Ms']} | ${repo['queryP95Ms']} | ${(repo['ndcg'] as Record<string, number>)['ranked']!.toFixed(3)} |`);
  }
  lines.push('', 'Published on the full 62-repo, 1,258-query set (a different, larger set; context, not a like-for-like comparison):', '', '| system | NDCG@10 |', '|---|---|');
  for (const [system, value] of Object.entries(PUBLISHED)) lines.push(`| ${system} | ${value.toFixed(3)} |`);
  if (cosqa) {
    lines.push('', `### CoSQA dev (${cosqa.queries} queries over ${cosqa.snippets} snippets)`, '', '| mode | MRR | R@1 | R@10 |', '|---|---|---|---|');
    for (const [mode, score] of Object.entries(cosqa.scores)) lines.push(`| ${mode} | ${score.mrr.toFixed(3)} | ${score.recallAt1.toFixed(3)} | ${score.recallAt10.toFixed(3)} |`);
  }
  if (report.missing.length > 0) lines.push('', `Missing repositories (not scored): ${report.missing.join(', ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = packageRoot();
  const { values } = parseArgs({
    options: {
      bench: { type: 'string', default: resolve(root, '..', 'shared', 'bench', 'semble') },
      repos: { type: 'string', default: process.env['CODEGRAPH_BENCH_REPOS'] ?? join(process.env['HOME'] ?? tmpdir(), '.cache', 'codegraph', 'bench-repos') },
      cosqa: { type: 'string', default: resolve(root, '..', 'shared', 'eval', 'cosqa-dev.json') },
      model: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string', default: join(root, 'bench-results') },
      'allow-revision-mismatch': { type: 'boolean', default: false },
      'index-cache': { type: 'string' },
    },
  });
  const workDir = join(tmpdir(), `codegraph-bench-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  try {
    const only = values.only ? new Set(values.only.split(',')) : null;
    const semble = await runSemble(values.bench!, values.repos!, values.model, only, workDir, values['allow-revision-mismatch']!, values['index-cache']);
    const cosqa = existsSync(values.cosqa!) ? await runCosqa(values.cosqa!, values.model, workDir, values['index-cache']) : null;
    const probe = await CodeGraph.open({ root: workDir, cacheDir: join(workDir, 'probe'), ...(values.model ? { modelDir: values.model } : {}) });
    const modelId = probe.modelId;
    await probe.dispose();
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
    } catch {
      // not a git checkout
    }
    const report = {
      kind: 'quality',
      date: new Date().toISOString(),
      commit,
      modelId,
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 1e9), node: process.version, platform: `${process.platform}-${process.arch}` },
      semble,
      cosqa,
    };
    mkdirSync(values.out!, { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    writeFileSync(join(values.out!, `quality-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(values.out!, 'quality-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    const table = `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}; commit ${commit.slice(0, 10)}; \`npm run bench:quality${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`.\n\n${markdown(semble, cosqa, modelId)}`;
    writeFileSync(join(values.out!, 'quality-latest.md'), `${table}\n`);
    console.log(table);
    console.log(`\nResults: ${join(values.out!, `quality-${stamp}.json`)}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
