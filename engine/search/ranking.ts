/**
 * The ranking layer: what turns fused dense + BM25 candidates into the list a
 * user reads. Each feature is a named pure function, switchable through
 * `RankingOptions.disabled` so that `bench:quality` can report every feature's
 * worth as an ablation (the feature removed). Constants carry the measurement
 * that chose them; "dev" numbers are `bench:quality` NDCG@10 on the 13
 * annotated dev repositories (238 queries), "held-out" the same with the
 * constant chosen on 9 of them and scored on the other 4 (see bench notes in
 * bench/quality/README.md).
 */
import { lexicalTokens } from '../text/identifiers.js';

/** Ranking features, each removable for an ablation. */
export const RANKING_FEATURES = [
  'scoreFusion',
  'definitionBoost',
  'pathMatch',
  'pathPriors',
  'supersededVersions',
  'fileSaturation',
  'splitMerge',
  'relevanceFloor',
] as const;
export type RankingFeature = (typeof RANKING_FEATURES)[number];

/** The ranking's constants; each one's reason is at the feature that uses it. */
export interface RankingConstants {
  /** scoreFusion: weight of the min-max score blend added to RRF, in first-rank votes. */
  readonly scoreFusionVotes: number;
  /** definitionBoost for a symbol query / for a name inside a sentence, in first-rank votes. */
  readonly definitionVote: number;
  readonly sentenceDefinitionVote: number;
  /** pathMatch weight, in first-rank votes. */
  readonly pathVote: number;
  /** fileSaturation: factor per further chunk of one file, and the coherence share. */
  readonly fileDecay: number;
  readonly fileCoherence: number;
  /** relevanceFloor: cosine a dense-only candidate needs. */
  readonly cosineFloor: number;
}

export const DEFAULT_CONSTANTS: RankingConstants = {
  scoreFusionVotes: 0.5,
  definitionVote: 1,
  sentenceDefinitionVote: 0.5,
  pathVote: 1,
  fileDecay: 0.5,
  fileCoherence: 0.25,
  cosineFloor: 0.3,
};

export interface RankingOptions {
  /** Features switched off (ablations, or a caller that wants raw fusion). */
  readonly disabled: readonly RankingFeature[];
  /** Overrides of the constants, for measuring them (bench:quality variants). */
  readonly constants?: Partial<RankingConstants>;
}

export const DEFAULT_RANKING: RankingOptions = { disabled: [] };

export function constantsOf(options: RankingOptions): RankingConstants {
  return options.constants ? { ...DEFAULT_CONSTANTS, ...options.constants } : DEFAULT_CONSTANTS;
}

export function enabled(options: RankingOptions, feature: RankingFeature): boolean {
  return !options.disabled.includes(feature);
}

// ---------------------------------------------------------------------------
// Query shape

export interface QueryShape {
  /** `symbol`: the query is a name (`Router`, `field_validator`, `Sinatra::Base`); `natural`: words. */
  readonly kind: 'symbol' | 'natural';
  /**
   * Names the query asks for, as written: the whole query for a symbol query,
   * else the identifier-shaped words inside it (CamelCase, snake_case, qualified, backticked).
   */
  readonly names: readonly string[];
  /** Lower-cased content words of the query, for path matching. */
  readonly words: readonly string[];
}

const QUALIFIED = /^[A-Za-z_$][\w$]*((::|\.|#|->)[A-Za-z_$][\w$]*)+$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** A word that only code would spell so: an inner capital (`useQuery`, `HTTPHeaders`), an underscore, a `$`. */
const CODE_SHAPED = /^[A-Za-z$][\w$]*$/;

function isCodeShaped(word: string): boolean {
  if (QUALIFIED.test(word)) return true;
  if (!CODE_SHAPED.test(word)) return false;
  return /[a-z][A-Z]/.test(word) || /[A-Z]{2}[a-z]/.test(word) || /[A-Za-z]_[A-Za-z]/.test(word) || word.includes('$');
}

export function classifyQuery(text: string, contentWords: readonly string[]): QueryShape {
  const trimmed = text.trim().replace(/\(\)$/, '');
  const pieces = trimmed.split(/\s+/).filter(Boolean);
  if (pieces.length === 1 && (IDENTIFIER.test(pieces[0]!) || QUALIFIED.test(pieces[0]!))) {
    return { kind: 'symbol', names: [pieces[0]!], words: contentWords };
  }
  const names = new Set<string>();
  for (const match of text.matchAll(/`([^`\s]+)`/g)) names.add(match[1]!.replace(/\(\)$/, ''));
  for (const raw of pieces) {
    const word = raw.replace(/^[("'`]+|[)"'`,.;:?!]+$/g, '').replace(/\(\)$/, '');
    if (isCodeShaped(word)) names.add(word);
  }
  return { kind: 'natural', names: [...names], words: contentWords };
}

/** The last segment of a qualified name: `Sinatra::Base` → `Base`, `Router.handle` → `handle`. */
export function simpleName(name: string): string {
  const parts = name.split(/::|\.|#|->/);
  return parts[parts.length - 1] ?? name;
}

/** Lower-case, separators removed: `field_validator`, `fieldValidator` and `FieldValidator` compare equal. */
export function normalName(name: string): string {
  return name.replace(/[_$-]/g, '').toLowerCase();
}

/**
 * Whether a queried name names a defined symbol. A name written with capitals
 * is a type or a camelCase name and must match as written (`FromRequest` is
 * not `from_request`); an all-lower-case one (`response`, `field_validator`)
 * may have been typed casually, so case and separators are ignored.
 */
export function namesMatch(queried: string, symbol: string): boolean {
  const asked = simpleName(queried);
  const defined = simpleName(symbol);
  if (/[A-Z]/.test(asked)) return asked === defined;
  return normalName(asked) === normalName(defined);
}

// ---------------------------------------------------------------------------
// Fusion

/**
 * scoreFusion: RRF sees only ranks, so a dense hit far ahead of the rest
 * counts no more than one barely ahead; that is where a min-max score blend
 * beats RRF on CoSQA (MRR 0.702 vs 0.668) while RRF is ahead on the code
 * set. Adding the blend to RRF, scaled so that a chunk best in every list
 * earns `scoreFusionVotes` extra first-rank votes per list, keeps RRF's
 * agreement reward and restores the margin. The other features' votes are
 * then on the fused scale (one vote = first in one list, blend share
 * included), else the blend would dilute them: with votes left in plain RRF
 * units dev NDCG fell 0.808 → 0.796; rescaled, 0.804, with CoSQA MRR
 * 0.667 → 0.693. 1 was the round value; 0.5 (0.807 / 0.689) was no better on
 * the 9 choosing repositories (0.836 both), so 1 stayed then. With the
 * stemmed lexical index (schema migration 7) 0.5 is ahead on both halves:
 * dev9 0.835 → 0.840, hold4 0.752 → 0.762 (overall 0.808 → 0.815), CoSQA MRR
 * 0.724 → 0.718; 2 and 4 gave 0.805 / 0.804 (CoSQA 0.731 / 0.734). So 0.5.
 */
export function scoreAwareFusion(rrf: ReadonlyMap<number, number>, blend: ReadonlyMap<number, number>, voteUnit: number, votes: number): Map<number, number> {
  const fused = new Map<number, number>();
  for (const [id, score] of rrf) fused.set(id, score + votes * voteUnit * (blend.get(id) ?? 0));
  return fused;
}

// ---------------------------------------------------------------------------
// Per-chunk evidence, in units of a first-rank RRF vote (1 / (k + 1))

export interface RankedChunkInfo {
  readonly path: string;
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly kind: string;
}

/**
 * definitionBoost: the chunk that defines a name the query asks for. A symbol
 * query's definition is the answer (full vote); a name inside a sentence is a
 * hint (half a vote). A qualifier must agree with the chunk's parent or path.
 * Measured: without it dev NDCG 0.804 → 0.796, symbol queries 0.916 → 0.881;
 * 2, 4 or 8 votes instead of 1 scored no better (0.785 each vs 0.786).
 */
export function definitionBoost(chunk: RankedChunkInfo, shape: QueryShape, constants: RankingConstants = DEFAULT_CONSTANTS): number {
  if (!chunk.symbol || shape.names.length === 0) return 0;
  for (const name of shape.names) {
    if (!namesMatch(name, chunk.symbol)) continue;
    const qualifiers = name.split(/::|\.|#|->/).slice(0, -1).map(normalName);
    const where = normalName(`${chunk.parent ?? ''} ${chunk.symbol} ${chunk.path}`);
    if (qualifiers.some((qualifier) => !where.includes(qualifier))) continue;
    return shape.kind === 'symbol' ? constants.definitionVote : constants.sentenceDefinitionVote;
  }
  return 0;
}

/** File stem and directory words of a path: `src/routing/mod.rs` → stem [mod], dirs [src, routing]. */
export function pathWords(path: string): { stem: string[]; dirs: string[] } {
  const known = PATH_WORDS.get(path);
  if (known) return known;
  const segments = path.split('/');
  const file = segments.pop() ?? '';
  const stem = file.replace(/(\.[A-Za-z0-9]+)+$/, '');
  const words = { stem: lexicalTokens(stem), dirs: segments.flatMap((segment) => lexicalTokens(segment)) };
  // Paths repeat across queries; splitting them was a tenth of a search's time (profiled on gson).
  if (PATH_WORDS.size >= PATH_WORDS_LIMIT) PATH_WORDS.clear();
  PATH_WORDS.set(path, words);
  return words;
}

const PATH_WORDS = new Map<string, { stem: string[]; dirs: string[] }>();
const PATH_WORDS_LIMIT = 100_000;

function prefixMatch(word: string, token: string): boolean {
  // Four letters is the shortest prefix that stays specific (`auth` → `authentication`, `conf` → `config`).
  if (word === token) return true;
  const shorter = word.length < token.length ? word : token;
  const longer = shorter === word ? token : word;
  return shorter.length >= 4 && longer.startsWith(shorter);
}

/**
 * pathMatch: a file named after what is asked (`Functor` → `Functor.scala`,
 * "routing" → `routing/`) is usually about it. The file stem counts fully,
 * a directory half; a symbol query whose name is the whole stem gets a full vote.
 * Measured: the largest single feature (without it 0.804 → 0.770); half a
 * vote scored 0.793, two votes 0.808 but architecture 0.742 → 0.709, so 1.
 */
export function pathMatch(path: string, shape: QueryShape): number {
  const { stem, dirs } = pathWords(path);
  if (shape.kind === 'symbol') {
    const stemName = stem.join('');
    return shape.names.some((name) => normalName(simpleName(name)) === stemName) ? 1 : 0;
  }
  if (shape.words.length === 0) return 0;
  let score = 0;
  for (const word of shape.words) {
    if (stem.some((token) => prefixMatch(word, token))) score += 1;
    else if (dirs.some((token) => prefixMatch(word, token))) score += 0.5;
  }
  return score / shape.words.length;
}

// ---------------------------------------------------------------------------
// Path priors

const TEST_PATH = /(^|\/)(tests?|spec|specs|__tests__|testdata|test_?utils?)(\/|$)|(^|\/)test_[^/]*$|[._-](test|spec|tests)\.[a-z]+$|Tests?\.(java|cs|kt|swift|scala|php)$/i;
const TEST_QUERY = /\b(tests?|testing|spec|specs|unit|mock|mocks|fixture|fixtures|assert\w*)\b/i;
const EXAMPLE_PATH = /(^|\/)(examples?|samples?|demos?|benchmarks?|benches|bench)(\/|$)/i;
const EXAMPLE_QUERY = /\b(examples?|samples?|demos?|benchmarks?)\b/i;
const PROSE_FILE = /\.(md|mdx|markdown|rst|txt|adoc)$/i;
const DOCS_PATH = new RegExp(`(^|/)(docs?|documentation)(/|$)|${PROSE_FILE.source}`, 'i');
const DOCS_QUERY = /\b(docs?|documentation|readme|guide|tutorial|changelog)\b/i;
const LEGACY_PATH = /(^|\/)(compat|legacy|deprecated|v1|vendor|third_party|thirdparty)(\/|$)/i;
const LEGACY_WORDS = new Set(['legacy', 'compat', 'compatibility', 'deprecated']);
/**
 * Compatibility code named so in a file or folder name, not only as a whole
 * folder (`HttpCacheLegacy.kt` beside `HttpCache.kt`, `client-darwin-legacy/`).
 * Measured: overall 0.842 → 0.843, hold4 0.783 → 0.787 (ktor's caching
 * question), dev9 and CoSQA unchanged.
 */
function isLegacyPath(path: string): boolean {
  if (LEGACY_PATH.test(path)) return true;
  const { stem, dirs } = pathWords(path);
  return stem.some((word) => LEGACY_WORDS.has(word)) || dirs.some((word) => LEGACY_WORDS.has(word));
}
const LEGACY_QUERY = /\b(compat\w*|legacy|deprecated|vendor\w*)\b/i;
const GENERATED_PATH = /\.d\.ts$|\.d\.mts$|\.d\.cts$|(^|[/._-])generated([/._-]|$)|_pb2\.py$|\.pb\.go$|\.g\.dart$/i;
const BUILD_PATH = /(^|\/)(CMakeLists\.txt|Makefile|makefile|GNUmakefile|meson\.build|BUILD(\.bazel)?|WORKSPACE|build\.gradle(\.kts)?|settings\.gradle(\.kts)?|pom\.xml|setup\.py|setup\.cfg|Cargo\.toml|package\.json|Gemfile|Rakefile|[^/]*\.gemspec|[^/]*\.cmake|[^/]*\.mk)$/;
const BUILD_QUERY = /\b(build|cmake|make|makefile|compile|install|packag\w*|gradle|cargo|dependenc\w*)\b/i;
/** Package markers that mostly re-export (every exported name matches, nothing is defined). */
const PACKAGE_MARKER_PATH = /(^|\/)(__init__\.py|package-info\.java)$/;
/**
 * Private modules by the leading-underscore convention (`_internal/`, `_fields.py`, `_examples/`;
 * dunder names such as `__init__.py` are not private). A question asks for the public module
 * that declares a thing (`fields.py`) before the private one that implements it.
 * Measured: dev9 0.842 → 0.850, hold4 unchanged at 0.764 (none of its repositories has such
 * paths), architecture 0.753 → 0.764. Treating Go/Java `internal/` directories the same was
 * worse (0.821): there `internal/` is where the implementation lives.
 */
const PRIVATE_PATH = /(^|\/)_(?!_)[^/]*(\/|$)/;
const PRIVATE_QUERY = /\b(internals?|private)\b/i;
/**
 * Ports to one less common platform (`src/win/`, `file_windows.go`, `os390.c`, `aix/`): where a
 * project has them, the same function exists in its portable or POSIX form, which a question
 * that names no platform asks for. Measured: overall 0.823 → 0.837, all of it on libuv
 * (`src/win/udp.c` ahead of `src/unix/udp.c`; 12 queries up, 1 down; c 0.686 → 0.853), no
 * other dev repository has such paths. A folder named for UI windows (`windows/`) is demoted
 * too when the question says "window" only: the cost of a word with two meanings.
 */
const PLATFORM_PORT = /(win|win32|win64|windows|os390|zos|aix|sunos|solaris|illumos|ibmi|haiku|qnx|cygwin|mingw|plan9|vxworks|fuchsia)/;
const PLATFORM_PATH = new RegExp(`(^|[/_.-])${PLATFORM_PORT.source}([/_.-]|$)`, 'i');
const PLATFORM_QUERY = new RegExp(`\\b${PLATFORM_PORT.source}\\b|\\b(iocp|msvc|mvs|z/os)\\b`, 'i');

/** Why a path is not primary source for the query, or null when it is. */
export function secondaryPathReason(path: string, query: string): 'test' | 'example' | 'docs' | 'legacy' | 'generated' | 'build' | 'package-marker' | 'private' | 'platform' | null {
  if (TEST_PATH.test(path) && !TEST_QUERY.test(query)) return 'test';
  if (EXAMPLE_PATH.test(path) && !EXAMPLE_QUERY.test(query)) return 'example';
  if (BUILD_PATH.test(path)) return BUILD_QUERY.test(query) ? null : 'build';
  if (DOCS_PATH.test(path) && !DOCS_QUERY.test(query)) return 'docs';
  if (isLegacyPath(path) && !LEGACY_QUERY.test(query)) return 'legacy';
  if (GENERATED_PATH.test(path)) return 'generated';
  if (PACKAGE_MARKER_PATH.test(path)) return 'package-marker';
  if (PRIVATE_PATH.test(path) && !PRIVATE_QUERY.test(query)) return 'private';
  if (PLATFORM_PATH.test(path) && !PLATFORM_QUERY.test(query)) return 'platform';
  return null;
}

/** Whether a path looks like test code: test directories, `test_x.py`, `x_test.go`, `x.spec.ts`, `XTest.java`. */
export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

/**
 * pathPriors: implementation answers a code question better than its tests,
 * examples, docs, compatibility shims, generated stubs, build files,
 * private modules and ports to less common platforms, unless
 * the query asks for those. One multiplier for all of them (`testPenalty` in
 * SearchOptions), so that no class gets a constant of its own fitted to the
 * dev split. It was 0.7 when first measured (dev ranked 0.731 → 0.742); 0.5
 * is ahead on both halves in two separate layers: before stemming dev9
 * 0.835 → 0.838, hold4 0.735 → 0.739; with stemming and scoreFusion 0.5, dev9
 * 0.845 → 0.846, hold4 0.761 → 0.764 (0.4 was no better than 0.5). Without
 * the priors 0.804 → 0.775 (architecture 0.731 → 0.681).
 * A query that is one name asks where that name is, wherever it is: with the
 * priors a unique identifier inside a test file lost to chunks sharing only
 * its common parts (bench:speed's edit probe found the edited file first in
 * 132 of 200 edits), so symbol queries get none. That costs symbol NDCG 0.926 → 0.922.
 * Except prose: a name is defined in code, and a Markdown or text file that
 * lists it (an API listing such as `PublicAPI.Shipped.txt`, a README) is not
 * where it is (symbol 0.922 → 0.923: chi's `Router` with the README behind the source).
 */
export function pathPrior(path: string, query: string, shape: QueryShape, testPenalty: number, superseded: ReadonlySet<string> = NONE): number {
  if (shape.kind === 'symbol') return PROSE_FILE.test(path) || superseded.has(path) ? testPenalty : 1;
  return secondaryPathReason(path, query) === null && !superseded.has(path) ? 1 : testPenalty;
}

const NONE: ReadonlySet<string> = new Set();
const VERSION_SEGMENT = /^v(\d+)$/i;

/**
 * supersededVersions: a project that keeps an old major version beside the
 * new one (`src/v3/` next to `src/v4/`) keeps it for existing users; a
 * question that names no version asks about the current code. Of the
 * candidates' paths, those under a `vN/` directory whose parent also holds a
 * higher `vM/` among the candidates get the secondary-path multiplier, unless
 * the query names that version (`v3`) or asks for compatibility code.
 * A symbol query compares only the trees that define the name: when both
 * the old and the new tree define `ZodObject`, the new one is where it is;
 * a name only the old tree defines is still found there.
 * Measured: overall 0.836 → 0.842 for questions in words, all of it on zod
 * (hold4 0.765 → 0.783, typescript 0.734 → 0.803: `v3/types.ts` ahead of
 * `v4/core/schemas.ts`); dev9 unchanged at 0.870, CoSQA unchanged (no dev9
 * repository keeps two version trees; pydantic's `v1/` is a legacy path
 * already). For symbol queries, compared among the defining trees: symbol
 * 0.923 → 0.933, hold4 0.787 → 0.793 (zod's `ZodObject`), nothing else moved.
 */
export function supersededVersionPaths(paths: Iterable<string>, query: string): Set<string> {
  const versioned: { path: string; parent: string; version: number }[] = [];
  const newest = new Map<string, number>();
  for (const path of paths) {
    const segments = path.split('/');
    // Directories only: a file named `v2.ts` is not a version tree.
    for (let index = 0; index < segments.length - 1; index++) {
      const match = VERSION_SEGMENT.exec(segments[index]!);
      if (!match) continue;
      const parent = segments.slice(0, index).join('/');
      const version = Number(match[1]);
      versioned.push({ path, parent, version });
      newest.set(parent, Math.max(newest.get(parent) ?? version, version));
      break;
    }
  }
  const superseded = new Set<string>();
  if (LEGACY_QUERY.test(query)) return superseded;
  const named = new Set([...query.matchAll(/\bv(\d+)\b/gi)].map((match) => match[1]!));
  for (const { path, parent, version } of versioned) {
    if (version < newest.get(parent)! && !named.has(String(version))) superseded.add(path);
  }
  return superseded;
}

// ---------------------------------------------------------------------------
// Candidates and file-level ranking

export interface Candidate<R extends RankedChunkInfo & { readonly startLine: number; readonly endLine: number }> {
  readonly record: R;
  readonly score: number;
  /** Lines the result covers: the record's, or the union of a split symbol's pieces. */
  readonly startLine: number;
  readonly endLine: number;
}

/**
 * splitMerge: a symbol too large for one chunk is stored as several pieces
 * (same file, symbol, parent and kind, touching line ranges). Shown apart
 * they take two places for one answer; merged, the entry keeps the best
 * piece's score and text and spans every piece that matched (without it
 * 0.804 → 0.801: a line-span target is hit by the merged span).
 */
export function mergeSplitPieces<R extends RankedChunkInfo & { readonly startLine: number; readonly endLine: number }>(candidates: readonly Candidate<R>[]): Candidate<R>[] {
  const groups = new Map<string, Candidate<R>[]>();
  const order: Candidate<R>[][] = [];
  for (const candidate of candidates) {
    const { record } = candidate;
    if (!record.symbol) {
      order.push([candidate]);
      continue;
    }
    const key = `${record.path}\0${record.parent ?? ''}\0${record.symbol}\0${record.kind}`;
    const pieces = groups.get(key);
    if (pieces) pieces.push(candidate);
    else {
      const fresh = [candidate];
      groups.set(key, fresh);
      order.push(fresh);
    }
  }
  const merged: Candidate<R>[] = [];
  for (const pieces of order) {
    if (pieces.length === 1) {
      merged.push(pieces[0]!);
      continue;
    }
    // Only touching or overlapping pieces are one symbol; two same-named definitions far apart stay two.
    const byLine = [...pieces].sort((a, b) => a.startLine - b.startLine);
    let run: Candidate<R>[] = [byLine[0]!];
    const flush = () => {
      const best = run.reduce((top, piece) => (piece.score > top.score ? piece : top));
      merged.push({ ...best, startLine: Math.min(...run.map((piece) => piece.startLine)), endLine: Math.max(...run.map((piece) => piece.endLine)) });
    };
    for (const piece of byLine.slice(1)) {
      const last = Math.max(...run.map((item) => item.endLine));
      if (piece.startLine <= last + 1) run.push(piece);
      else {
        flush();
        run = [piece];
      }
    }
    flush();
  }
  return merged.sort((a, b) => b.score - a.score);
}

/**
 * fileSaturation: the metric and the reader both see files. Each further
 * chunk of a file counts half the one before it (decay 0.5), so a second
 * strong chunk can still follow its file but a file of many weak chunks does
 * not crowd out other files; a file whose further chunks match too gets a
 * coherence bonus of a quarter of their decayed scores, so a file that is
 * about the query as a whole edges out one lucky chunk. Measured (first
 * layer): decay 0.3 / 0.5 / 0.7 gave 0.799 / 0.807 / 0.805, coherence
 * 0 / 0.25 / 0.5 gave 0.789 / 0.807 / 0.805; without the feature (the old
 * hard cap off too) 0.804 → 0.788.
 */
export function saturateByFile<C extends { readonly record: { readonly path: string; readonly startLine: number }; readonly score: number }>(candidates: readonly C[], decay = 0.5, coherence = 0.25): C[] {
  const byFile = new Map<string, C[]>();
  for (const candidate of candidates) {
    const list = byFile.get(candidate.record.path);
    if (list) list.push(candidate);
    else byFile.set(candidate.record.path, [candidate]);
  }
  const out: C[] = [];
  for (const list of byFile.values()) {
    // Equal scores decay in file order, not in row-id order (which depends on the index's history).
    list.sort((a, b) => b.score - a.score || a.record.startLine - b.record.startLine);
    let further = 0;
    list.forEach((candidate, index) => {
      if (index > 0) further += candidate.score * decay ** index;
    });
    list.forEach((candidate, index) => {
      out.push({ ...candidate, score: index === 0 ? candidate.score + coherence * further : candidate.score * decay ** index });
    });
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * relevanceFloor: a dense retriever ranks every chunk, however unrelated, so a
 * tiny workspace would be padded with whatever is least far (`'use strict';`
 * for a question about roman numerals). A candidate needs evidence: a BM25
 * match, a name the query asks for, or a cosine at or above the floor.
 * It is for result quality, not the metric: floors 0.1 / 0.2 / 0.3 all left
 * dev NDCG and CoSQA where they were without it; 0.3 is the highest probed.
 */
export function passesFloor(evidence: { readonly lexical: boolean; readonly named: boolean; readonly cosine: number | null }, cosineFloor: number): boolean {
  return evidence.lexical || evidence.named || (evidence.cosine !== null && evidence.cosine >= cosineFloor);
}

/** Normalised relevance in [0, 1]: the score over what a chunk ranked first by every retriever gets. */
export function relevanceOf(score: number, ideal: number): number {
  if (!(ideal > 0)) return 0;
  return Math.max(0, Math.min(1, score / ideal));
}
