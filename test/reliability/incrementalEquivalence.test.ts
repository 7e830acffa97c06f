/**
 * An incrementally maintained index must equal a clean index of the same tree.
 * Seeded random edits (comment edits, whitespace-only edits, functions added,
 * removed and renamed, files added, deleted and moved) are applied to a
 * generated workspace and indexed after each round, the way `watch` does (only
 * the changed paths) or the way `index` does (a full walk). The result is
 * compared with a fresh index of the final tree: the FTS5 totals that BM25
 * reads, the chunk rows, the definitions, the reference resolution, and the
 * lexical and hybrid results with their scores.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { seededRandom } from '../../engine/random/index.js';
import { parseQuery } from '../../engine/search/query.js';
import { LEXICAL_INDEX_FORMAT, lexicalColumns, lexicalPathTokens } from '../../engine/lexical/lexicalRows.js';
import { LiveRows } from '../../engine/lexical/postingSegment.js';
import { SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { tempDir, TINY_MODEL } from '../helpers.js';
import { recordFault } from './faultRecord.js';

const SEEDS = [11, 23, 37];
const ROUNDS = 24;
const INITIAL_FILES = 18;
const WORDS = ['parse', 'token', 'buffer', 'cache', 'retry', 'queue', 'render', 'index', 'merge', 'split', 'hash', 'route', 'spawn', 'flush', 'score', 'lease', 'shard', 'fetch', 'encode', 'decode'];
/** Names called but never defined: references that stay unresolved. */
const EXTERNAL = ['len', 'sorted', 'print', 'isinstance'];

interface FunctionSpec {
  name: string;
  comment: string;
  calls: string[];
  /** Blank lines before the function and trailing spaces in its body: whitespace-only edits keep its chunk. */
  gap: number;
  trailing: string;
}

/** A workspace as data: path → functions. Python and TypeScript, which chunk per function. */
class Tree {
  readonly files = new Map<string, FunctionSpec[]>();
  private serial = 0;

  constructor(readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  word(): string {
    return this.pick(WORDS);
  }

  /** Every comment carries a serial number, so that no two chunks have the same text (ties would order by chunk id). */
  comment(): string {
    // Of varying length too: chunks of equal length and term counts tie in BM25.
    const extra = Array.from({ length: Math.floor(this.random() * 8) }, () => this.word()).join(' ');
    return `${this.word()} the ${this.word()} entries before the ${this.word()} step ${extra}, note ${++this.serial}`;
  }

  definedNames(): string[] {
    return [...this.files.values()].flat().map((fn) => fn.name);
  }

  newFunction(): FunctionSpec {
    const defined = this.definedNames();
    // Sometimes a name that exists elsewhere: resolution must prefer the referencing file.
    const name = defined.length > 0 && this.random() < 0.15 ? this.pick(defined) : `${this.word()}_${this.word()}_${++this.serial}`;
    const calls = Array.from({ length: 1 + Math.floor(this.random() * 3) }, () => (this.random() < 0.2 ? this.pick(EXTERNAL) : defined.length > 0 ? this.pick(defined) : this.pick(EXTERNAL)));
    return { name, comment: this.comment(), calls, gap: 1, trailing: '' };
  }

  newPath(): string {
    const extension = this.random() < 0.5 ? 'py' : 'ts';
    return `${this.pick(['core', 'util', 'net', 'core/deep'])}/${this.word()}_${++this.serial}.${extension}`;
  }

  render(path: string): string {
    const functions = this.files.get(path)!;
    if (path.endsWith('.py')) {
      return functions
        .map((fn) => `${'\n'.repeat(fn.gap)}def ${fn.name}(items):\n    # ${fn.comment}\n${fn.calls.map((call) => `    items = ${call}(items)${fn.trailing}\n`).join('')}    return items\n`)
        .join('');
    }
    return functions
      .map((fn) => `${'\n'.repeat(fn.gap)}export function ${fn.name}(items: string[]): string[] {\n  // ${fn.comment}\n${fn.calls.map((call) => `  items = ${call}(items);${fn.trailing}\n`).join('')}  return items;\n}\n`)
      .join('');
  }
}

/** Writes the tree's file at `path` into `root`, or removes it when the tree no longer has it. */
function sync(root: string, tree: Tree, path: string): void {
  const absolute = join(root, path);
  if (!tree.files.has(path)) {
    rmSync(absolute, { force: true });
    return;
  }
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, tree.render(path));
}

/** One random edit; returns the workspace-relative paths it touched. */
function edit(root: string, tree: Tree): string[] {
  const paths = [...tree.files.keys()];
  const path = tree.pick(paths);
  const functions = tree.files.get(path)!;
  const roll = tree.random();
  if (roll < 0.3) {
    tree.pick(functions).comment = tree.comment();
  } else if (roll < 0.4) {
    const fn = tree.pick(functions);
    fn.gap = 1 + Math.floor(tree.random() * 3);
    fn.trailing = fn.trailing ? '' : '  ';
  } else if (roll < 0.55) {
    functions.splice(Math.floor(tree.random() * (functions.length + 1)), 0, tree.newFunction());
  } else if (roll < 0.67) {
    if (functions.length > 1) functions.splice(Math.floor(tree.random() * functions.length), 1);
    else functions[0]!.comment = tree.comment();
  } else if (roll < 0.77) {
    tree.pick(functions).name = `${tree.word()}_${tree.word()}_renamed_${Math.floor(tree.random() * 1e6)}`;
  } else if (roll < 0.85) {
    if (paths.length <= 4) return edit(root, tree);
    tree.files.delete(path);
  } else if (roll < 0.93) {
    // A move keeps the content under another path (and language, when the extension is kept).
    const target = `${tree.pick(['core', 'util', 'moved'])}/${path.split('/').pop()}`;
    if (tree.files.has(target)) return edit(root, tree);
    tree.files.set(target, functions);
    tree.files.delete(path);
    renameSync(join(root, path), (mkdirSync(join(root, dirname(target)), { recursive: true }), join(root, target)));
    return [path, target];
  } else {
    const added = tree.newPath();
    tree.files.set(added, [tree.newFunction(), tree.newFunction()]);
    sync(root, tree, added);
    return [added];
  }
  sync(root, tree, path);
  return [path];
}

/** Reads a SQLite varint (as FTS5 stores them) at `offset`. */
function readVarint(bytes: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  for (let index = 0; index < 9; index++) {
    const byte = bytes[offset + index]!;
    if (index === 8) return { value: value * 256 + byte, next: offset + 9 };
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return { value, next: offset + index + 1 };
  }
  throw new Error('unreachable');
}

/** The totals BM25 reads in a cache of before the lexical segments: FTS5's row count and the token count of each column (its "averages" record). */
async function ftsTotals(store: WorkspaceStore): Promise<number[]> {
  const row = await store.db.get<{ block: Buffer }>('SELECT block FROM chunks_fts_data WHERE id = 1');
  if (!row) return [];
  const values: number[] = [];
  for (let offset = 0; offset < row.block.length; ) {
    const { value, next } = readVarint(row.block, offset);
    values.push(value);
    offset = next;
  }
  return values;
}

/** The totals BM25 reads: the live rows of the lexical segments and their tokens. */
async function lexicalTotals(store: WorkspaceStore): Promise<number[]> {
  const live = LiveRows.of(await store.lexicalSegments());
  return [live.ids.length, live.totalTokens];
}

interface IndexState {
  readonly lexicalTotals: number[];
  readonly chunkCount: number;
  readonly chunks: string[];
  readonly definitions: string[];
  /** Each reference: file, name, and its target file where the tree alone decides it. */
  readonly references: string[];
  /** Resolution rules broken anywhere (stale targets, a name defined but unresolved, ...). */
  readonly referenceProblems: string[];
  readonly results: Record<string, string[]>;
}

const REFERENCE_CHECKS: Record<string, string> = {
  // The target file is the target chunk's file, and nothing when the reference is unresolved.
  staleTargetFile: 'SELECT count(*) AS n FROM refs r WHERE r.target_file_id IS NOT (SELECT c.file_id FROM chunks c WHERE c.id = r.target_chunk_id)',
  targetDoesNotDefineName: 'SELECT count(*) AS n FROM refs r WHERE r.target_chunk_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM definitions d WHERE d.chunk_id = r.target_chunk_id AND d.name = r.name)',
  unresolvedButDefined: 'SELECT count(*) AS n FROM refs r WHERE r.target_chunk_id IS NULL AND EXISTS (SELECT 1 FROM definitions d WHERE d.name = r.name)',
  otherFileThoughOwnDefines: 'SELECT count(*) AS n FROM refs r WHERE r.target_file_id != r.file_id AND EXISTS (SELECT 1 FROM definitions d WHERE d.name = r.name AND d.file_id = r.file_id)',
};

async function inspect(graph: CodeGraph, queries: readonly string[]): Promise<IndexState> {
  const store = graph.store;
  const referenceProblems: string[] = [];
  for (const [name, sql] of Object.entries(REFERENCE_CHECKS)) {
    const n = (await store.db.get<{ n: number }>(sql))!.n;
    if (n > 0) referenceProblems.push(`${n} ${name}`);
  }
  const chunks = await store.db.all<{ key: string }>(
    `SELECT f.path || ':' || c.ordinal || ':' || c.piece || ':' || c.start_line || '-' || c.end_line || ':' || c.content_hash || ':' || coalesce(c.symbol, '') || ':' || c.kind || ':' || coalesce(c.doc, '') || ':' || c.text AS key
     FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY key`,
  );
  const definitions = await store.db.all<{ key: string }>("SELECT f.path || ':' || d.name || ':' || d.kind || ':' || d.line AS key FROM definitions d JOIN files f ON f.id = d.file_id ORDER BY key");
  // Among several other files defining a name, "the oldest file" depends on history, not on the tree:
  // the target is compared where the tree decides it (the referencing file, or a single defining file).
  const references = await store.db.all<{ key: string }>(
    `SELECT f.path || ':' || c.start_line || ':' || r.name || ' -> ' || CASE
       WHEN r.target_chunk_id IS NULL THEN 'unresolved'
       WHEN r.target_file_id = r.file_id OR (SELECT count(DISTINCT d.file_id) FROM definitions d WHERE d.name = r.name) = 1
         THEN (SELECT tf.path || ':' || tc.start_line FROM chunks tc JOIN files tf ON tf.id = tc.file_id WHERE tc.id = r.target_chunk_id)
       ELSE 'another defining file' END AS key
     FROM refs r JOIN files f ON f.id = r.file_id JOIN chunks c ON c.id = r.chunk_id ORDER BY key`,
  );
  const results: Record<string, string[]> = {};
  const ranked = (hits: { score: number; place: string }[]) =>
    hits
      .map((hit) => ({ score: hit.score.toFixed(9), place: hit.place }))
      .sort((a, b) => Number(b.score) - Number(a.score) || (a.place < b.place ? -1 : a.place > b.place ? 1 : 0))
      .map((hit) => `${hit.score} ${hit.place}`);
  for (const query of queries) {
    // BM25 as fusion sees it, before the symbol boost.
    const bm25 = await store.lexicalSearch(parseQuery(query).terms, 1000);
    const records = await store.chunksByIds(bm25.map((hit) => hit.id));
    results[`bm25: ${query}`] = ranked(bm25.map((hit) => ({ score: hit.score, place: `${records.get(hit.id)!.path}:${records.get(hit.id)!.startLine}-${records.get(hit.id)!.endLine}` })));
    for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
      const hits = await graph.search(query, { mode, limit: 1000, maxPerFile: 1000 });
      // Equal scores are ordered by chunk id, which depends on history: list them by path within a score.
      results[`${mode}: ${query}`] = ranked(hits.map((hit) => ({ score: hit.score, place: `${hit.path}:${hit.startLine}-${hit.endLine}` })));
    }
  }
  return {
    lexicalTotals: await lexicalTotals(store),
    chunkCount: await store.chunkCount(),
    chunks: chunks.map((row) => row.key),
    definitions: definitions.map((row) => row.key),
    references: references.map((row) => row.key),
    referenceProblems,
    results,
  };
}

/** The first few differences between two sorted lists, for the failure message. */
function difference(label: string, incremental: readonly string[], clean: readonly string[]): string[] {
  if (JSON.stringify(incremental) === JSON.stringify(clean)) return [];
  const onlyIncremental = incremental.filter((item) => !clean.includes(item)).slice(0, 3);
  const onlyClean = clean.filter((item) => !incremental.includes(item)).slice(0, 3);
  return [`${label} differ (incremental ${incremental.length}, clean ${clean.length}; only incremental: ${JSON.stringify(onlyIncremental)}; only clean: ${JSON.stringify(onlyClean)})`];
}

/**
 * Whether two ranked lists name the same hits, with scores within `tolerance` for the hits in
 * `scored` (all when absent). Dense scores may differ in the last float32 digits: the
 * incrementally updated in-memory index is not built the way one loaded at once is.
 */
function sameHits(incremental: readonly string[], clean: readonly string[], tolerance: number, scored?: ReadonlySet<string>): boolean {
  if (incremental.length !== clean.length) return false;
  const parse = (hits: readonly string[]) => hits.map((hit) => ({ score: Number(hit.split(' ')[0]), place: hit.split(' ')[1]! }));
  const a = parse(incremental);
  const b = parse(clean);
  const places = (hits: typeof a) => hits.map((hit) => hit.place).sort().join('|');
  if (places(a) !== places(b)) return false;
  const scoreOf = new Map(b.map((hit) => [hit.place, hit.score]));
  return a.every((hit) => (scored && !scored.has(hit.place)) || Math.abs(hit.score - scoreOf.get(hit.place)!) <= tolerance);
}

/**
 * Hits of a query whose fused (hybrid) score the tree alone decides. Fusion works on ranks, and
 * hits with equal scores in the lexical or dense list are ranked by chunk id, which depends on
 * history; every other hit has the same rank (the count of better hits) in any index of the tree.
 */
function untiedHybridHits(clean: IndexState, query: string): Set<string> {
  const tied = new Set<string>();
  for (const mode of ['bm25', 'dense']) {
    const hits = clean.results[`${mode}: ${query}`]!.map((hit) => hit.split(' ') as [string, string]);
    const count = new Map<string, number>();
    for (const [score] of hits) count.set(score, (count.get(score) ?? 0) + 1);
    for (const [score, place] of hits) if (count.get(score)! > 1) tied.add(place);
  }
  return new Set(clean.results[`hybrid: ${query}`]!.map((hit) => hit.split(' ')[1]!).filter((place) => !tied.has(place)));
}

function compare(incremental: IndexState, clean: IndexState): string[] {
  const problems: string[] = [];
  if (incremental.lexicalTotals[0] !== incremental.chunkCount) problems.push(`the lexical segments hold ${incremental.lexicalTotals[0]} live rows for ${incremental.chunkCount} chunks`);
  if (JSON.stringify(incremental.lexicalTotals) !== JSON.stringify(clean.lexicalTotals)) problems.push(`lexical totals ${JSON.stringify(incremental.lexicalTotals)} differ from a clean index's ${JSON.stringify(clean.lexicalTotals)}`);
  problems.push(...incremental.referenceProblems.map((problem) => `references: ${problem}`));
  problems.push(...difference('chunks', incremental.chunks, clean.chunks));
  problems.push(...difference('definitions', incremental.definitions, clean.definitions));
  problems.push(...difference('references', incremental.references, clean.references));
  for (const [query, hits] of Object.entries(clean.results)) {
    const mine = incremental.results[query]!;
    const equal = query.startsWith('lexical: ') || query.startsWith('bm25: ')
      ? JSON.stringify(mine) === JSON.stringify(hits)
      : query.startsWith('dense: ')
        ? sameHits(mine, hits, 1e-6)
        : sameHits(mine, hits, 1e-6, untiedHybridHits(clean, query.slice('hybrid: '.length)));
    if (!equal) {
      const onlyIncremental = mine.filter((hit) => !hits.includes(hit)).slice(0, 4);
      const onlyClean = hits.filter((hit) => !mine.includes(hit)).slice(0, 4);
      problems.push(`${query}: only incremental ${JSON.stringify(onlyIncremental)}, only clean ${JSON.stringify(onlyClean)}`);
    }
  }
  return problems;
}

const dir = tempDir('codegraph-incremental-');
after(() => dir.cleanup());

describe('an incrementally maintained index', () => {
  it(`equals a clean index of the same tree after ${ROUNDS} rounds of seeded random edits (${SEEDS.length} seeds)`, async () => {
    const failures: string[] = [];
    const trials: Record<string, unknown>[] = [];
    for (const seed of SEEDS) {
      const random = seededRandom(seed);
      const tree = new Tree(random);
      const root = join(dir.path, `workspace-${seed}`);
      for (let index = 0; index < INITIAL_FILES; index++) {
        const path = tree.newPath();
        tree.files.set(path, Array.from({ length: 2 + Math.floor(random() * 3) }, () => tree.newFunction()));
        sync(root, tree, path);
      }
      const options = { root, modelDir: TINY_MODEL, workers: 1 };
      const graph = await CodeGraph.open({ ...options, cacheDir: join(dir.path, `incremental-${seed}`) });
      let edits = 0;
      let incremental: IndexState;
      const queries = [...WORDS.slice(0, 6), 'parse token buffer', 'merge split hash', 'flush score', 'note 7', 'renamed entries'];
      try {
        await graph.index();
        for (let round = 0; round < ROUNDS; round++) {
          const touched = new Set<string>();
          const count = 1 + Math.floor(random() * 4);
          for (let index = 0; index < count; index++) for (const path of edit(root, tree)) touched.add(path);
          edits += count;
          // Mostly as `watch` does (the changed paths), sometimes a full walk.
          if (random() < 0.75) await graph.index({ paths: [...touched] });
          else await graph.index();
        }
        incremental = await inspect(graph, queries);
      } finally {
        await graph.dispose();
      }
      const fresh = await CodeGraph.open({ ...options, cacheDir: join(dir.path, `clean-${seed}`) });
      let clean: IndexState;
      try {
        await fresh.index();
        clean = await inspect(fresh, queries);
      } finally {
        await fresh.dispose();
      }
      const problems = compare(incremental, clean);
      // Most hybrid scores must be compared, or the comparison proves little.
      const hybridHits = queries.reduce((sum, query) => sum + clean.results[`hybrid: ${query}`]!.length, 0);
      const hybridScored = queries.reduce((sum, query) => sum + untiedHybridHits(clean, query).size, 0);
      if (hybridScored < hybridHits / 2) problems.push(`only ${hybridScored} of ${hybridHits} hybrid scores were free of ties`);
      trials.push({ seed, edits, files: tree.files.size, chunks: clean.chunkCount, lexicalRowsCounted: incremental.lexicalTotals[0], hybridHits, hybridScoresCompared: hybridScored, problems: problems.length });
      if (problems.length > 0) failures.push(`seed ${seed}: ${problems.join('; ')}`);
    }
    recordFault({
      fault: 'hostile-incremental-edits',
      description: `Seeded random edits (comment and whitespace edits, functions added, removed and renamed, files added, deleted and moved) in ${ROUNDS} rounds, indexed after each round by changed paths or a full walk, compared with a clean index of the final tree: FTS5 totals, chunks, definitions, references, and lexical, dense and hybrid results with scores`,
      trials: SEEDS.length,
      survived: SEEDS.length - failures.length,
      lost: failures.length === 0 ? 'nothing' : failures.join(' | '),
      details: { trials },
    });
    assert.deepEqual(failures, []);
  });
});

describe('a cache written before FTS deletes kept the totals', () => {
  it('is repaired on open: the FTS table is rebuilt once and stale reference targets are cleared', async () => {
    const tree = new Tree(seededRandom(5));
    const root = join(dir.path, 'workspace-migration');
    for (let index = 0; index < 8; index++) {
      const path = tree.newPath();
      tree.files.set(path, [tree.newFunction(), tree.newFunction()]);
      sync(root, tree, path);
    }
    const cacheDir = join(dir.path, 'cache-migration');
    const graph = await CodeGraph.open({ root, cacheDir, modelDir: null, workers: 1 });
    let expected: string[];
    try {
      await graph.index();
      expected = (await inspect(graph, ['parse', 'token buffer'])).results['bm25: parse']!;
    } finally {
      await graph.dispose();
    }
    // Make the cache what schema v4 left after replaced chunks: a contentless_delete table whose
    // totals still count deleted rows, and unresolved references that kept a target file.
    const old = await WorkspaceStore.open(join(cacheDir, 'index.sqlite'));
    const chunks = await old.db.all<{ id: number; path: string; symbol: string | null; parent: string | null; doc: string | null; text: string }>(
      'SELECT c.id, f.path, c.symbol, c.parent, c.doc, c.text FROM chunks c JOIN files f ON f.id = c.file_id',
    );
    await old.db.exec(`DROP TABLE lexical_segments; CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='', contentless_delete=1);`);
    const rows = chunks.map((chunk) => [chunk.id, ...lexicalColumns(lexicalPathTokens(chunk.path), chunk)]);
    const replaced = chunks.map((chunk) => [chunk.id + 100000, ...lexicalColumns(lexicalPathTokens(chunk.path), chunk)]);
    await old.db.insertMany('chunks_fts', ['rowid', 'symbol', 'path', 'doc', 'body'], [...rows, ...replaced]);
    await old.db.run('DELETE FROM chunks_fts WHERE rowid > 100000');
    const staleRefs = (await old.db.run('UPDATE refs SET target_file_id = (SELECT min(id) FROM files) WHERE target_chunk_id IS NULL')).changes;
    // Schema v4 also had the references' target index of its time (migration 6 replaced it), and the
    // chunks' call and identifier lists and the references' name index (migration 8 dropped them), no piece numbers (migration 10),
    // and the chunks' nesting depth (migration 11 dropped it).
    await old.db.exec(`DROP INDEX refs_target_chunk_name; CREATE INDEX refs_target_chunk ON refs(target_chunk_id); CREATE INDEX refs_name ON refs(name);
      ALTER TABLE chunks ADD COLUMN calls TEXT NOT NULL DEFAULT '[]'; ALTER TABLE chunks ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]'; ALTER TABLE chunks DROP COLUMN piece;
      ALTER TABLE chunks ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
      PRAGMA user_version = 4; DELETE FROM meta WHERE key = 'lexical_index';`);
    const drifted = await ftsTotals(old);
    await old.close();
    assert.equal(drifted[0], chunks.length * 2, 'the v4 table counts deleted rows');
    assert.ok(staleRefs > 0, 'the fixture has unresolved references');

    const repaired = await WorkspaceStore.open(join(cacheDir, 'index.sqlite'));
    try {
      assert.equal((await repaired.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, SCHEMA_VERSION);
      assert.equal((await lexicalTotals(repaired))[0], chunks.length, 'the lexical rows are rebuilt from the chunks, one a chunk');
      assert.deepEqual(await repaired.orphanCounts(), {});
      assert.equal((await repaired.db.get<{ n: number }>('SELECT count(*) AS n FROM refs WHERE target_chunk_id IS NULL AND target_file_id IS NOT NULL'))!.n, 0);
    } finally {
      await repaired.close();
    }
    const reopened = await CodeGraph.open({ root, cacheDir, modelDir: null, workers: 1 });
    try {
      assert.deepEqual((await inspect(reopened, ['parse', 'token buffer'])).results['bm25: parse'], expected);
    } finally {
      await reopened.dispose();
    }
  });
});

/**
 * A Python file with one documented function long enough to be split into pieces, and a small one
 * after it. `head` is the function's first statement (in the first piece).
 */
function splitDefinitionFile(doc: string, head = 'items = opal_head(items)'): string {
  const steps = Array.from({ length: 160 }, (_, index) => `    items = step_${index}(items, ${index})\n`).join('');
  return `def long_pipeline(items):\n    """${doc}"""\n    ${head}\n${steps}    items = quartz_tail(items)\n    return items\n\n\ndef short_helper(items):\n    # trims the items\n    return items[:3]\n`;
}

const SPLIT_QUERIES = ['pipeline', 'quartz tail', 'step', 'normalises', 'renamed beginning', 'trims items'];

async function pieceRows(graph: CodeGraph): Promise<{ id: number; piece: number; doc: string | null }[]> {
  return graph.store.db.all('SELECT id, piece, doc FROM chunks WHERE symbol = ? ORDER BY ordinal', ['long_pipeline']);
}

async function cleanState(root: string, cacheDir: string, queries: readonly string[]): Promise<IndexState> {
  const fresh = await CodeGraph.open({ root, cacheDir, modelDir: TINY_MODEL, workers: 1 });
  try {
    await fresh.index();
    return await inspect(fresh, queries);
  } finally {
    await fresh.dispose();
  }
}

describe('a definition split into pieces', () => {
  it('stores and indexes its doc on the first piece only, and a hit on a later piece shows that doc', async () => {
    const root = join(dir.path, 'workspace-split-doc');
    mkdirSync(root, { recursive: true });
    const doc = 'Normalises the items through every step of the pipeline.';
    writeFileSync(join(root, 'pipeline.py'), splitDefinitionFile(doc));
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache-split-doc'), modelDir: TINY_MODEL, workers: 1 });
    try {
      await graph.index();
      const pieces = await pieceRows(graph);
      assert.ok(pieces.length > 1, 'the fixture is split');
      assert.deepEqual(pieces.map((row) => [row.piece, row.doc]), pieces.map((_, index) => [index, index === 0 ? doc : null]));
      // Its words are in the doc column of one FTS row: a doc-only word matches the first piece alone.
      assert.deepEqual((await graph.store.lexicalSearch(parseQuery('normalises').terms, 10)).map((hit) => hit.id), [pieces[0]!.id]);
      // `quartz_tail` is in the last piece only; its hit shows the definition's doc, as every read of it does.
      const last = pieces[pieces.length - 1]!;
      const [hit] = await graph.search('quartz_tail', { mode: 'lexical', limit: 1 });
      assert.equal(hit!.chunkId, last.id);
      assert.equal(hit!.doc, doc);
      assert.equal((await graph.store.chunksByIds([last.id])).get(last.id)!.doc, doc);
      assert.deepEqual((await graph.store.chunksOfFile('pipeline.py')).map((chunk) => chunk.doc), [...pieces.map(() => doc), null]);
      const helper = (await graph.search('trims the items', { mode: 'lexical', limit: 1 }))[0]!;
      assert.equal(helper.doc, null, 'a chunk after a split definition takes no doc from it');
    } finally {
      await graph.dispose();
    }
  });

  it('keeps the later pieces when an edit changes only the first, and stays equal to a clean index (FTS totals included)', async () => {
    const root = join(dir.path, 'workspace-split-edit');
    mkdirSync(root, { recursive: true });
    const path = join(root, 'pipeline.py');
    writeFileSync(path, splitDefinitionFile('Normalises the items through every step of the pipeline.'));
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache-split-edit'), modelDir: TINY_MODEL, workers: 1 });
    let incremental: IndexState;
    try {
      await graph.index();
      const before = await pieceRows(graph);
      // The doc changes: piece 1, whose text holds it, is rewritten; the others are kept.
      const doc = 'Renamed beginning: cleans every entry of the pipeline first.';
      writeFileSync(path, splitDefinitionFile(doc));
      await graph.index({ paths: ['pipeline.py'] });
      const after = await pieceRows(graph);
      assert.equal(after.length, before.length);
      assert.notEqual(after[0]!.id, before[0]!.id);
      assert.deepEqual(after.slice(1).map((row) => row.id), before.slice(1).map((row) => row.id), 'later pieces are kept');
      const [hit] = await graph.search('quartz_tail', { mode: 'lexical', limit: 1 });
      assert.equal(hit!.doc, doc, 'a kept later piece shows the new doc');
      incremental = await inspect(graph, SPLIT_QUERIES);
    } finally {
      await graph.dispose();
    }
    assert.deepEqual(compare(incremental, await cleanState(root, join(dir.path, 'cache-split-edit-clean'), SPLIT_QUERIES)), []);
  });

  it('stores each call once, on the piece that makes it, and an edit of the first piece alone leaves no stale reference', async () => {
    const root = join(dir.path, 'workspace-split-calls');
    mkdirSync(root, { recursive: true });
    const path = join(root, 'pipeline.py');
    const doc = 'Normalises the items through every step of the pipeline.';
    writeFileSync(path, splitDefinitionFile(doc));
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache-split-calls'), modelDir: TINY_MODEL, workers: 1 });
    const referencesOf = (names: readonly string[]) =>
      graph.store.db.all<{ name: string; piece: number }>(
        `SELECT r.name, c.piece FROM refs r JOIN chunks c ON c.id = r.chunk_id WHERE c.symbol = 'long_pipeline' AND r.name IN (${names.map(() => '?').join(',')}) ORDER BY r.name`,
        [...names],
      );
    let incremental: IndexState;
    try {
      await graph.index();
      const before = await pieceRows(graph);
      assert.ok(before.length > 1, 'the fixture is split');
      const last = before.length - 1;
      assert.deepEqual(await referencesOf(['opal_head', 'quartz_tail']), [{ name: 'opal_head', piece: 0 }, { name: 'quartz_tail', piece: last }]);
      const total = (await graph.store.db.get<{ n: number }>("SELECT count(*) AS n FROM refs r JOIN chunks c ON c.id = r.chunk_id WHERE c.symbol = 'long_pipeline'"))!.n;
      assert.equal(total, 162, 'opal_head, 160 steps and quartz_tail, each once');
      // The first piece stops calling opal_head (a subscript of the same length: the later pieces' text is unchanged).
      writeFileSync(path, splitDefinitionFile(doc, 'items = opal_head[items]'));
      await graph.index({ paths: ['pipeline.py'] });
      const after = await pieceRows(graph);
      assert.notEqual(after[0]!.id, before[0]!.id);
      assert.deepEqual(after.slice(1).map((row) => row.id), before.slice(1).map((row) => row.id), 'later pieces are kept');
      assert.deepEqual(await referencesOf(['opal_head', 'quartz_tail']), [{ name: 'quartz_tail', piece: last }]);
      incremental = await inspect(graph, SPLIT_QUERIES);
    } finally {
      await graph.dispose();
    }
    assert.deepEqual(compare(incremental, await cleanState(root, join(dir.path, 'cache-split-calls-clean'), SPLIT_QUERIES)), []);
  });

  it('reads the doc copies of a cache written before, and replaces them exactly on the next edit, with no rebuild', async () => {
    const root = join(dir.path, 'workspace-split-old');
    mkdirSync(root, { recursive: true });
    const path = join(root, 'pipeline.py');
    const doc = 'Normalises the items through every step of the pipeline.';
    writeFileSync(path, splitDefinitionFile(doc));
    const cacheDir = join(dir.path, 'cache-split-old');
    const graph = await CodeGraph.open({ root, cacheDir, modelDir: TINY_MODEL, workers: 1 });
    try {
      await graph.index();
    } finally {
      await graph.dispose();
    }
    // Make the cache what the schema before piece numbers wrote: every piece holds the doc, in its
    // row and in its FTS row, and there is no piece column.
    const old = await WorkspaceStore.open(join(cacheDir, 'index.sqlite'));
    const later = await old.db.all<{ id: number; path: string; symbol: string | null; parent: string | null; doc: string | null; text: string }>(
      "SELECT c.id, f.path, c.symbol, c.parent, c.doc, c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.symbol = 'long_pipeline' AND c.piece > 0",
    );
    assert.ok(later.length > 0);
    await old.db.run(`UPDATE chunks SET doc = ? WHERE id IN (${later.map(() => '?').join(',')})`, [doc, ...later.map((row) => row.id)]);
    // Version 9: before piece numbers (migration 10), with the nesting depth that migration 11 drops, and
    // FTS5 rows (the doc copies in them) where migration 12 puts the lexical segments.
    await old.db.exec(`ALTER TABLE chunks DROP COLUMN piece; ALTER TABLE chunks ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
      DROP TABLE lexical_segments; CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, doc, body, content='', tokenize='porter unicode61'); PRAGMA user_version = 9;`);
    await old.db.insertMany('chunks_fts', ['rowid', 'symbol', 'path', 'doc', 'body'], later.map((row) => [row.id, ...lexicalColumns(lexicalPathTokens(row.path), { ...row, doc })]));
    await old.close();

    const reopened = await CodeGraph.open({ root, cacheDir, modelDir: TINY_MODEL, workers: 1 });
    let incremental: IndexState;
    try {
      assert.equal(await reopened.store.getMeta('lexical_index'), LEXICAL_INDEX_FORMAT, 'the lexical rows are rebuilt once, from the stored rows and their doc copies');
      const [hit] = await reopened.search('quartz_tail', { mode: 'lexical', limit: 1 });
      assert.equal(hit!.doc, doc, 'an old later piece reads its own copy');
      writeFileSync(path, splitDefinitionFile('Renamed beginning: cleans every entry of the pipeline first.'));
      await reopened.index({ paths: ['pipeline.py'] });
      assert.deepEqual((await pieceRows(reopened)).slice(1).map((row) => row.doc), later.map(() => null), 'the copies are gone');
      incremental = await inspect(reopened, SPLIT_QUERIES);
    } finally {
      await reopened.dispose();
    }
    assert.deepEqual(compare(incremental, await cleanState(root, join(dir.path, 'cache-split-old-clean'), SPLIT_QUERIES)), []);
  });
});
