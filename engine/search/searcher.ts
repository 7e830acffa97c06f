import picomatch from 'picomatch';
import { NotFoundError } from '../errors.js';
import type { ChunkRecord, ChunkSummary } from '../store/records.js';
import type { WorkspaceStore } from '../store/store.js';
import type { DenseIndex } from './denseIndex.js';
import { fuse, RRF_K, type FusionMethod, type RankedList } from './fusion.js';
import { parseQuery } from './query.js';
import {
  type Candidate,
  classifyQuery,
  constantsOf,
  DEFAULT_RANKING,
  definitionBoost,
  enabled,
  scoreAwareFusion,
  isTestPath,
  mergeSplitPieces,
  passesFloor,
  pathMatch,
  pathPrior,
  RANKING_FEATURES,
  type QueryShape,
  type RankingOptions,
  relevanceOf,
  saturateByFile,
  supersededVersionPaths,
} from './ranking.js';


export type SearchMode = 'hybrid' | 'dense' | 'lexical';

export interface SearchOptions {
  readonly limit: number;
  readonly mode: SearchMode;
  readonly fusion: FusionMethod;
  /** Only these language ids, when non-empty. */
  readonly languages: readonly string[];
  /** Only paths matching one of these globs, when non-empty. */
  readonly paths: readonly string[];
  /** At most this many results from one file before other files get a turn (the ranking's file saturation already spreads files). */
  readonly maxPerFile: number;
  /** Candidates taken from each retriever before fusion. */
  readonly candidates: number;
  /** Score multiplier for tests and other secondary paths when the query does not ask about them (1 = no penalty). */
  readonly testPenalty: number;
  /** The ranking layer's features (engine/search/ranking.ts); an ablation switches one off. */
  readonly ranking: RankingOptions;
}

export const DEFAULT_SEARCH: SearchOptions = {
  limit: 10,
  mode: 'hybrid',
  fusion: 'rrf',
  languages: [],
  paths: [],
  maxPerFile: Number.MAX_SAFE_INTEGER,
  candidates: 200,
  testPenalty: 0.5,
  ranking: DEFAULT_RANKING,
};

/** Every ranking feature off, with no name or path adjustments: the raw retrievers, for benchmarks. */
export const RAW_SEARCH: Partial<SearchOptions> = { maxPerFile: Number.MAX_SAFE_INTEGER, testPenalty: 1, ranking: { disabled: [...RANKING_FEATURES] } };

export { isTestPath };

export interface SearchHit {
  readonly chunkId: number;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  /** The raw ranking score (fusion units); comparable only within one result list. */
  readonly score: number;
  /** The score normalised to 0–1: 1 for a chunk that every retriever ranks first. */
  readonly relevance: number;
  readonly symbol: string | null;
  readonly kind: string;
  readonly language: string;
  readonly text: string;
  readonly doc: string | null;
}

export interface SearchSources {
  readonly store: WorkspaceStore;
  /** Null when no model is loaded: search is lexical only. */
  readonly dense: DenseIndex | null;
  readonly embedQuery: ((text: string) => Promise<Float32Array>) | null;
  readonly files: () => Promise<Map<number, { path: string; language: string }>>;
  /** BM25 from a copy of the lexical rows in memory (engine/lexical): the store's results, or null when it cannot answer now. */
  readonly lexical?: (terms: readonly string[], limit: number) => Promise<{ id: number; score: number }[] | null>;
  /** The candidates' summaries from a copy in memory (engine/lexical): the store's, or null when it cannot answer now. */
  readonly summaries?: (ids: readonly number[]) => Promise<Map<number, ChunkSummary> | null>;
}

/**
 * Hybrid retrieval over one workspace: exact dense scan, BM25 (from memory or the store's segments), fusion,
 * then the ranking layer (ranking.ts), filters and per-file diversity.
 */
export class Searcher {
  constructor(private readonly sources: SearchSources) {}

  get hasDense(): boolean {
    return this.sources.dense !== null && this.sources.embedQuery !== null;
  }

  async search(text: string, partial: Partial<SearchOptions> = {}): Promise<SearchHit[]> {
    const options = { ...DEFAULT_SEARCH, ...partial };
    const ranking = options.ranking;
    const query = parseQuery(text);
    const shape = classifyQuery(text, query.terms);
    const constants = constantsOf(ranking);
    const acceptFile = await this.fileFilter(options);
    const mode = this.hasDense ? options.mode : 'lexical';
    const lists: RankedList[] = [];
    const cosines = new Map<number, number>();
    const lexical = new Set<number>();

    // BM25 runs on SQLite's thread while this one embeds the query and scans the vectors.
    const lexicalHits = mode !== 'dense' ? this.lexicalHits(query.terms, options, acceptFile) : null;
    // Awaited below; if the dense side throws first, its rejection must not go unhandled.
    lexicalHits?.catch(() => undefined);
    if (mode !== 'lexical') {
      const vector = await this.sources.embedQuery!(text);
      const hits = this.sources.dense!.search(vector, options.candidates, acceptFile ?? undefined);
      for (const hit of hits) cosines.set(hit.index, hit.score);
      lists.push({ ids: hits.map((hit) => hit.index), scores: hits.map((hit) => hit.score), weight: 1 });
    }
    if (lexicalHits) {
      const hits = await lexicalHits;
      for (const hit of hits) lexical.add(hit.id);
      lists.push({ ids: hits.map((hit) => hit.id), scores: hits.map((hit) => hit.score), weight: 1 });
    }

    // A single list is fused too (RRF keeps its order), so that the ranking's boosts are in the same units in every mode.
    const rrf = options.fusion === 'rrf';
    const voteUnit = rrf ? 1 / (RRF_K + 1) : 1;
    const blended = rrf && enabled(ranking, 'scoreFusion');
    const fused = blended ? scoreAwareFusion(fuse('rrf', lists), fuse('blend', lists), voteUnit, constants.scoreFusionVotes) : fuse(options.fusion, lists);
    if (fused.size === 0) return [];
    const records = await this.summariesOf([...fused.keys()]);
    // A first-rank vote on the fused scale: with the score blend added, first in one list is worth 1 + scoreFusionVotes votes.
    const vote = voteUnit * (blended ? 1 + constants.scoreFusionVotes : 1);
    const ideal = lists.reduce((sum, list) => sum + list.weight, 0) * vote;
    const floor = enabled(ranking, 'relevanceFloor');
    let candidates: Candidate<ChunkSummary>[] = [];
    const pathFeatures = new Map<string, { named: number; prior: number }>();
    // Once per candidate: the definition boost is a feature of its own and what supersededVersions compares a symbol query's trees by.
    const definitions = new Map<number, number>();
    for (const [id, record] of records) definitions.set(id, definitionBoost(record, shape, constants));
    const priors = enabled(ranking, 'pathPriors');
    const superseded = priors && enabled(ranking, 'supersededVersions') ? supersededVersionPaths(versionedCandidatePaths(records, definitions, shape), text) : undefined;
    for (const [id, fusedScore] of fused) {
      const record = records.get(id);
      if (!record) continue;
      const defined = enabled(ranking, 'definitionBoost') ? definitions.get(id)! : 0;
      if (floor && !passesFloor({ lexical: lexical.has(id), named: defined > 0, cosine: cosines.get(id) ?? null }, constants.cosineFloor)) continue;
      // Path features depend on the path alone, and candidates crowd into few files: once per path.
      let byPath = pathFeatures.get(record.path);
      if (!byPath) {
        byPath = {
          named: enabled(ranking, 'pathMatch') ? constants.pathVote * pathMatch(record.path, shape) : 0,
          prior: priors ? pathPrior(record.path, text, shape, options.testPenalty, superseded) : 1,
        };
        pathFeatures.set(record.path, byPath);
      }
      const score = (fusedScore + vote * (defined + byPath.named)) * byPath.prior;
      candidates.push({ record, score, startLine: record.startLine, endLine: record.endLine });
    }
    // Ties go by location, not by chunk id: ids depend on the index's history, locations do not.
    candidates.sort((a, b) => b.score - a.score || compareLocation(a.record, b.record));
    if (enabled(ranking, 'splitMerge')) candidates = mergeSplitPieces(candidates);
    if (enabled(ranking, 'fileSaturation')) candidates = saturateByFile(candidates, constants.fileDecay, constants.fileCoherence);
    const picked = diversify(candidates, options.limit, options.maxPerFile);
    // Texts for the results only: the candidates are ranked without them.
    const texts = await this.sources.store.chunkTextsByIds(picked.map((candidate) => candidate.record.id));
    return picked.flatMap((candidate) => {
      const content = texts.get(candidate.record.id);
      // Gone since the candidates were read (an index run removed it): no longer a result.
      return content ? [toHit({ ...candidate.record, ...content }, candidate.score, relevanceOf(candidate.score, ideal), candidate)] : [];
    });
  }

  /** BM25 candidates, filtered by file when asked (then more are read, since the filter drops some). */
  private async lexicalHits(terms: readonly string[], options: SearchOptions, acceptFile: ((fileId: number) => boolean) | null): Promise<{ id: number; score: number }[]> {
    const limit = acceptFile ? options.candidates * 4 : options.candidates;
    const raw = (await this.sources.lexical?.(terms, limit)) ?? (await this.sources.store.lexicalSearch(terms, limit));
    if (!acceptFile) return raw;
    const files = await this.chunkFiles(raw.map((hit) => hit.id));
    return raw.filter((hit) => acceptFile(files.get(hit.id) ?? -1)).slice(0, options.candidates);
  }

  /** Chunks nearest to the chunk covering `path:line`, excluding that chunk. */
  async similar(path: string, line: number, partial: Partial<SearchOptions> = {}): Promise<{ origin: SearchHit; hits: SearchHit[] }> {
    // Similar code often sits beside its origin (sibling methods), so no per-file cap unless asked.
    const options = { ...DEFAULT_SEARCH, maxPerFile: Number.MAX_SAFE_INTEGER, ...partial };
    const origin = await this.sources.store.chunkAt(path, line);
    if (!origin) throw new NotFoundError(`No indexed code at ${path}:${line}`, { path, line });
    const originHit = toHit(origin, 1, 1);
    const acceptFile = await this.fileFilter(options);
    const vector = this.sources.dense?.vectorOf(origin.id);
    if (!vector) {
      // Lexical fallback: the origin's own identifiers as the query.
      const hits = await this.search(`${origin.symbol ?? ''} ${origin.text.slice(0, 2000)}`, { ...options, mode: 'lexical', limit: options.limit + 1 });
      return { origin: originHit, hits: hits.filter((hit) => hit.chunkId !== origin.id && !isOwnFamily(origin, hit)).slice(0, options.limit) };
    }
    const dense = this.sources.dense!.search(vector, options.limit * 4 + 1, acceptFile ?? undefined, origin.id);
    const records = await this.sources.store.chunksByIds(dense.map((hit) => hit.index));
    const scored = dense.flatMap((hit) => {
      const record = records.get(hit.index);
      return record && !isOwnFamily(origin, record) ? [{ record, score: hit.score }] : [];
    });
    // Dense scores here are cosines between two chunks, already readable as a 0–1 relevance.
    return { origin: originHit, hits: diversify(scored, options.limit, options.maxPerFile).map(({ record, score }) => toHit(record, score, relevanceOf(score, 1))) };
  }

  private async fileFilter(options: SearchOptions): Promise<((fileId: number) => boolean) | null> {
    if (options.languages.length === 0 && options.paths.length === 0) return null;
    const files = await this.sources.files();
    const languages = new Set(options.languages);
    const matchPath = options.paths.length > 0 ? picomatch([...options.paths], { dot: true }) : null;
    const accepted = new Set<number>();
    for (const [id, file] of files) {
      if (languages.size > 0 && !languages.has(file.language)) continue;
      if (matchPath && !matchPath(file.path)) continue;
      accepted.add(id);
    }
    return (fileId) => accepted.has(fileId);
  }

  private async summariesOf(ids: readonly number[]): Promise<Map<number, ChunkSummary>> {
    return (await this.sources.summaries?.(ids)) ?? (await this.sources.store.chunkSummariesByIds(ids));
  }

  private async chunkFiles(ids: readonly number[]): Promise<Map<number, number>> {
    const records = await this.summariesOf(ids);
    return new Map([...records.values()].map((record) => [record.id, record.fileId]));
  }
}

/** The paths supersededVersions compares: every candidate's, or for a symbol query those that define the name. */
function versionedCandidatePaths(records: ReadonlyMap<number, ChunkSummary>, definitions: ReadonlyMap<number, number>, shape: QueryShape): Set<string> {
  const paths = new Set<string>();
  for (const [id, record] of records) if (shape.kind === 'natural' || definitions.get(id)! > 0) paths.add(record.path);
  return paths;
}

function compareLocation(a: { readonly path: string; readonly startLine: number }, b: { readonly path: string; readonly startLine: number }): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.startLine - b.startLine;
}

/**
 * Whether `other` is part of `origin` itself rather than code like it: the
 * class that encloses it, its own members, or another piece of it. Such
 * chunks share the origin's words by construction and say nothing about
 * similar code elsewhere.
 */
export function isOwnFamily(
  origin: { readonly path: string; readonly symbol: string | null; readonly parent: string | null; readonly startLine: number; readonly endLine: number },
  other: { readonly path: string; readonly symbol: string | null; readonly startLine: number; readonly endLine: number; readonly parent?: string | null },
): boolean {
  if (origin.path !== other.path) return false;
  const nests = (outer: { startLine: number; endLine: number }, inner: { startLine: number; endLine: number }) => outer.startLine <= inner.startLine && inner.endLine <= outer.endLine;
  if (nests(other, origin) || nests(origin, other)) return true;
  if (origin.parent !== null && other.symbol === origin.parent) return true;
  return origin.symbol !== null && other.parent !== undefined && other.parent === origin.symbol;
}

/** Best-first, but no file takes more than `maxPerFile` places until every other candidate is placed. */
export function diversify<T extends { record: { path: string } }>(scored: readonly T[], limit: number, maxPerFile: number): T[] {
  const picked: T[] = [];
  const deferred: T[] = [];
  const perFile = new Map<string, number>();
  for (const item of scored) {
    if (picked.length >= limit) break;
    const count = perFile.get(item.record.path) ?? 0;
    if (count >= maxPerFile) {
      deferred.push(item);
      continue;
    }
    perFile.set(item.record.path, count + 1);
    picked.push(item);
  }
  for (const item of deferred) {
    if (picked.length >= limit) break;
    picked.push(item);
  }
  return picked;
}

function toHit(record: ChunkSummary & Pick<ChunkRecord, 'text' | 'doc'>, score: number, relevance: number, span: { startLine: number; endLine: number } = record): SearchHit {
  return {
    chunkId: record.id,
    path: record.path,
    startLine: span.startLine,
    endLine: span.endLine,
    score,
    relevance,
    symbol: record.symbol,
    kind: record.kind,
    language: record.language,
    text: record.text,
    doc: record.doc,
  };
}
