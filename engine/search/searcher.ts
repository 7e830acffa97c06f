import picomatch from 'picomatch';
import { NotFoundError } from '../errors.js';
import type { ChunkRecord } from '../store/records.js';
import type { WorkspaceStore } from '../store/store.js';
import type { DenseIndex } from './denseIndex.js';
import { fuse, RRF_K, type FusionMethod, type RankedList } from './fusion.js';
import { parseQuery, symbolMatch } from './query.js';

export type SearchMode = 'hybrid' | 'dense' | 'lexical';

export interface SearchOptions {
  readonly limit: number;
  readonly mode: SearchMode;
  readonly fusion: FusionMethod;
  /** Only these language ids, when non-empty. */
  readonly languages: readonly string[];
  /** Only paths matching one of these globs, when non-empty. */
  readonly paths: readonly string[];
  /** At most this many results from one file before other files get a turn. */
  readonly maxPerFile: number;
  /** Weight of the symbol-name match, in units of a first-rank RRF vote. */
  readonly symbolBoost: number;
  /** Candidates taken from each retriever before fusion. */
  readonly candidates: number;
  /** Score multiplier for test files when the query does not ask about tests (1 = no penalty). */
  readonly testPenalty: number;
}

export const DEFAULT_SEARCH: SearchOptions = {
  limit: 10,
  mode: 'hybrid',
  fusion: 'rrf',
  languages: [],
  paths: [],
  maxPerFile: 2,
  symbolBoost: 0.5,
  candidates: 200,
  testPenalty: 0.7,
};

const TEST_PATH = /(^|\/)(tests?|spec|specs|__tests__|testdata|test_?utils?)(\/|$)|(^|\/)test_[^/]*$|[._-](test|spec|tests)\.[a-z]+$|Tests?\.(java|cs|kt|swift|scala|php)$/i;
const TEST_QUERY = /\b(tests?|testing|spec|specs|unit|mock|mocks|fixture|fixtures|assert\w*)\b/i;

/** Whether a path looks like test code: test directories, `test_x.py`, `x_test.go`, `x.spec.ts`, `XTest.java`. */
export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

export interface SearchHit {
  readonly chunkId: number;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly score: number;
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
}

/**
 * Hybrid retrieval over one workspace: exact dense scan, FTS5 BM25, fusion,
 * a symbol-name boost, filters and per-file diversity.
 */
export class Searcher {
  constructor(private readonly sources: SearchSources) {}

  get hasDense(): boolean {
    return this.sources.dense !== null && this.sources.embedQuery !== null;
  }

  async search(text: string, partial: Partial<SearchOptions> = {}): Promise<SearchHit[]> {
    const options = { ...DEFAULT_SEARCH, ...partial };
    const query = parseQuery(text);
    const acceptFile = await this.fileFilter(options);
    const mode = this.hasDense ? options.mode : 'lexical';
    const lists: RankedList[] = [];

    if (mode !== 'lexical') {
      const vector = await this.sources.embedQuery!(text);
      const hits = this.sources.dense!.search(vector, options.candidates, acceptFile ?? undefined);
      lists.push({ ids: hits.map((hit) => hit.index), scores: hits.map((hit) => hit.score), weight: 1 });
    }
    if (mode !== 'dense') {
      const raw = await this.sources.store.lexicalSearch(query.match, acceptFile ? options.candidates * 4 : options.candidates);
      const files = acceptFile ? await this.chunkFiles(raw.map((hit) => hit.id)) : null;
      const hits = files ? raw.filter((hit) => acceptFile!(files.get(hit.id) ?? -1)).slice(0, options.candidates) : raw;
      lists.push({ ids: hits.map((hit) => hit.id), scores: hits.map((hit) => hit.score), weight: 1 });
    }

    const fused = lists.length === 1 ? singleList(lists[0]!) : fuse(options.fusion, lists);
    if (fused.size === 0) return [];
    const records = await this.sources.store.chunksByIds([...fused.keys()]);
    const boostUnit = options.fusion === 'rrf' || lists.length === 1 ? 1 / (RRF_K + 1) : 1;
    const scored: { record: ChunkRecord; score: number }[] = [];
    // Implementation usually answers a question better than its tests, unless tests are what is asked for.
    const penalizeTests = options.testPenalty !== 1 && !TEST_QUERY.test(text);
    for (const [id, score] of fused) {
      const record = records.get(id);
      if (!record) continue;
      const boost = options.symbolBoost * boostUnit * symbolMatch(record.symbol, query);
      const boosted = score + (lists.length === 1 && mode === 'dense' ? 0 : boost);
      scored.push({ record, score: penalizeTests && isTestPath(record.path) ? boosted * options.testPenalty : boosted });
    }
    scored.sort((a, b) => b.score - a.score || a.record.id - b.record.id);
    return diversify(scored, options.limit, options.maxPerFile).map(({ record, score }) => toHit(record, score));
  }

  /** Chunks nearest to the chunk covering `path:line`, excluding that chunk. */
  async similar(path: string, line: number, partial: Partial<SearchOptions> = {}): Promise<{ origin: SearchHit; hits: SearchHit[] }> {
    // Similar code often sits beside its origin (sibling methods), so no per-file cap unless asked.
    const options = { ...DEFAULT_SEARCH, maxPerFile: Number.MAX_SAFE_INTEGER, ...partial };
    const origin = await this.sources.store.chunkAt(path, line);
    if (!origin) throw new NotFoundError(`No indexed code at ${path}:${line}`, { path, line });
    const originHit = toHit(origin, 1);
    const acceptFile = await this.fileFilter(options);
    const vector = this.sources.dense?.vectorOf(origin.id);
    if (!vector) {
      // Lexical fallback: the origin's own identifiers as the query.
      const hits = await this.search(`${origin.symbol ?? ''} ${origin.text.slice(0, 2000)}`, { ...options, mode: 'lexical', limit: options.limit + 1 });
      return { origin: originHit, hits: hits.filter((hit) => hit.chunkId !== origin.id).slice(0, options.limit) };
    }
    const dense = this.sources.dense!.search(vector, options.limit * 4 + 1, acceptFile ?? undefined, origin.id);
    const records = await this.sources.store.chunksByIds(dense.map((hit) => hit.index));
    const scored = dense.flatMap((hit) => {
      const record = records.get(hit.index);
      return record ? [{ record, score: hit.score }] : [];
    });
    return { origin: originHit, hits: diversify(scored, options.limit, options.maxPerFile).map(({ record, score }) => toHit(record, score)) };
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

  private async chunkFiles(ids: readonly number[]): Promise<Map<number, number>> {
    const records = await this.sources.store.chunksByIds(ids);
    return new Map([...records.values()].map((record) => [record.id, record.fileId]));
  }
}

function singleList(list: RankedList): Map<number, number> {
  return new Map(list.ids.map((id, index) => [id, list.scores[index]!]));
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

function toHit(record: ChunkRecord, score: number): SearchHit {
  return {
    chunkId: record.id,
    path: record.path,
    startLine: record.startLine,
    endLine: record.endLine,
    score,
    symbol: record.symbol,
    kind: record.kind,
    language: record.language,
    text: record.text,
    doc: record.doc,
  };
}
