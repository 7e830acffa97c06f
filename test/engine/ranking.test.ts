/**
 * The ranking layer (engine/search/ranking.ts): each feature on small real
 * inputs, then the behaviours a user sees through the engine: the relevance
 * floor, merged split symbols, `similar` without the origin's own family, and
 * a normalised relevance beside the raw score.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import {
  classifyQuery,
  definitionBoost,
  DEFAULT_CONSTANTS,
  scoreAwareFusion,
  mergeSplitPieces,
  namesMatch,
  passesFloor,
  pathMatch,
  pathPrior,
  pathWords,
  relevanceOf,
  saturateByFile,
  secondaryPathReason,
  supersededVersionPaths,
} from '../../engine/search/ranking.js';
import { parseQuery } from '../../engine/search/query.js';
import { isOwnFamily } from '../../engine/search/searcher.js';
import { REPO_ROOT, tempDir } from '../helpers.js';

const shapeOf = (text: string) => classifyQuery(text, parseQuery(text).terms);
const chunk = (path: string, symbol: string | null, parent: string | null = null, kind = 'class') => ({ path, symbol, parent, kind });

describe('query shape', () => {
  it('calls a lone identifier or qualified name a symbol query', () => {
    for (const query of ['Router', 'field_validator', 'Sinatra::Base', 'useQuery()', 'response']) assert.equal(shapeOf(query).kind, 'symbol', query);
    assert.deepEqual(shapeOf('Sinatra::Base').names, ['Sinatra::Base']);
  });

  it('finds code-shaped words inside a sentence, not capitalised prose words', () => {
    const shape = shapeOf('How does useQuery cache results in the `QueryClient`?');
    assert.equal(shape.kind, 'natural');
    assert.deepEqual([...shape.names].sort(), ['QueryClient', 'useQuery']);
    assert.deepEqual(shapeOf('How does Express parse cookies').names, []);
    assert.deepEqual(shapeOf('when is model_post_init called').names, ['model_post_init']);
  });

});

describe('score-aware fusion', () => {
  it('adds the blended scores to RRF in first-rank votes, so a wide margin counts', () => {
    const rrf = new Map([[1, 2 / 61], [2, 1 / 62 + 1 / 61]]);
    const blend = new Map([[1, 2], [2, 0.2]]);
    const fused = scoreAwareFusion(rrf, blend, 1 / 61, 1);
    assert.equal(fused.get(1), 2 / 61 + 2 / 61);
    assert.ok(fused.get(1)! - fused.get(2)! > rrf.get(1)! - rrf.get(2)!);
  });
});

describe('definition boost', () => {
  it('boosts the chunk that defines the asked name, fully for a symbol query and half inside a sentence', () => {
    assert.equal(definitionBoost(chunk('gson/TypeAdapter.java', 'TypeAdapter'), shapeOf('TypeAdapter')), DEFAULT_CONSTANTS.definitionVote);
    assert.equal(definitionBoost(chunk('gson/TypeAdapter.java', 'TypeAdapter'), shapeOf('when does a TypeAdapter write nulls')), DEFAULT_CONSTANTS.sentenceDefinitionVote);
    assert.equal(definitionBoost(chunk('gson/Gson.java', 'toJson', 'Gson', 'method'), shapeOf('TypeAdapter')), 0);
    assert.equal(definitionBoost(chunk('a.py', null), shapeOf('TypeAdapter')), 0);
  });

  it('matches a capitalised name as written and a lower-case one loosely', () => {
    assert.ok(!namesMatch('FromRequest', 'from_request'));
    assert.ok(namesMatch('FromRequest', 'FromRequest'));
    assert.ok(namesMatch('response', 'Response'));
    assert.ok(namesMatch('field_validator', 'fieldValidator'));
  });

  it('requires a qualifier to agree with the parent or the path', () => {
    assert.ok(definitionBoost(chunk('lib/sinatra/base.rb', 'Base', 'Sinatra'), shapeOf('Sinatra::Base')) > 0);
    assert.equal(definitionBoost(chunk('lib/rack/base.rb', 'Base', 'Rack'), shapeOf('Sinatra::Base')), 0);
  });
});

describe('path match', () => {
  it('splits a path into stem and directory words', () => {
    assert.deepEqual(pathWords('src/routing/mod.rs'), { stem: ['mod'], dirs: ['src', 'routing'] });
    assert.deepEqual(pathWords('lib/index.d.ts').stem, ['index']);
  });

  it('rewards a file named after a symbol query', () => {
    assert.equal(pathMatch('modules/core/src/Functor.scala', shapeOf('Functor')), 1);
    assert.equal(pathMatch('lib/response.js', shapeOf('response')), 1);
    assert.equal(pathMatch('lib/request.js', shapeOf('response')), 0);
  });

  it('scores query words against stems fully and directories by half, with prefixes of four letters or more', () => {
    const shape = shapeOf('authentication middleware');
    assert.equal(pathMatch('middleware/auth.go', shape), 0.5 * 0.5 + 0.5); // "authentication" ~ stem "auth", "middleware" ~ directory
    assert.equal(pathMatch('src/router.go', shape), 0);
    assert.equal(pathMatch('src/ab.go', shapeOf('abc parser')), 0); // two letters is no prefix match
  });
});

describe('path priors', () => {
  it('names why a path is secondary, unless the query asks for it', () => {
    const cases: [string, string, string | null][] = [
      ['tests/test_api.py', 'parse headers', 'test'],
      ['tests/test_api.py', 'tests for header parsing', null],
      ['examples/basic/main.go', 'route groups', 'example'],
      ['docs/routing.md', 'route groups', 'docs'],
      ['README.md', 'how to install the readme', null],
      ['src/compat/v1.js', 'parse options', 'legacy'],
      ['types/index.d.ts', 'parse options', 'generated'],
      ['CMakeLists.txt', 'format integers', 'build'],
      ['CMakeLists.txt', 'how is the library built with cmake', null],
      ['pydantic/__init__.py', 'BaseModel', 'package-marker'],
      ['pydantic/_internal/_fields.py', 'how are model fields declared', 'private'],
      ['pydantic/_internal/_fields.py', 'private field collection internals', null],
      ['pkg/__main__.py', 'command line entry point', null],
      ['internal/server/listen.go', 'start the server', null],
      ['src/win/udp.c', 'UDP socket send and receive', 'platform'],
      ['os/file_windows.go', 'open a file', 'platform'],
      ['src/win/udp.c', 'UDP sockets on Windows', null],
      ['src/unix/udp.c', 'UDP socket send and receive', null],
      ['src/window.c', 'draw a window', null],
      ['src/router.go', 'route groups', null],
      ['client/plugins/cache/HttpCacheLegacy.kt', 'how HTTP caching stores responses', 'legacy'],
      ['ktor-client-darwin-legacy/src/Session.kt', 'how sessions are created', 'legacy'],
      ['client/plugins/cache/HttpCacheLegacy.kt', 'legacy cache storage', null],
      ['src/legendary.ts', 'parse options', null],
    ];
    for (const [path, query, reason] of cases) assert.equal(secondaryPathReason(path, query), reason, `${path} / ${query}`);
  });

  it('applies one penalty to every secondary path', () => {
    assert.equal(pathPrior('docs/guide.md', 'route groups', shapeOf('route groups'), 0.7), 0.7);
    assert.equal(pathPrior('src/router.go', 'route groups', shapeOf('route groups'), 0.7), 1);
    assert.equal(pathPrior('tests/test_parser.py', 'parse_header', shapeOf('parse_header'), 0.7), 1);
  });

  it('puts a name\'s prose listings behind its code, even for a symbol query', () => {
    assert.equal(pathPrior('src/PublicAPI.Shipped.txt', 'CompositeResolver', shapeOf('CompositeResolver'), 0.5), 0.5);
    assert.equal(pathPrior('README.md', 'Router', shapeOf('Router'), 0.5), 0.5);
    assert.equal(pathPrior('src/Resolvers/CompositeResolver.cs', 'CompositeResolver', shapeOf('CompositeResolver'), 0.5), 1);
  });

  it('treats an old version tree beside a newer one as secondary unless the query names it', () => {
    const paths = ['packages/zod/src/v3/types.ts', 'packages/zod/src/v4/core/schemas.ts', 'packages/zod/src/v4/classic/schemas.ts', 'api/v1/routes.go', 'lib/v2.ts'];
    assert.deepEqual([...supersededVersionPaths(paths, 'optional and nullable type wrappers')], ['packages/zod/src/v3/types.ts']);
    assert.deepEqual([...supersededVersionPaths(paths, 'v3 error types')], []);
    assert.deepEqual([...supersededVersionPaths(paths, 'compatibility shims')], []);
    // One version alone is the current code.
    assert.deepEqual([...supersededVersionPaths(['api/v1/routes.go', 'api/handlers.go'], 'list routes')], []);
    const shape = shapeOf('optional wrappers');
    const superseded = supersededVersionPaths(paths, 'optional wrappers');
    assert.equal(pathPrior('packages/zod/src/v3/types.ts', 'optional wrappers', shape, 0.5, superseded), 0.5);
    assert.equal(pathPrior('packages/zod/src/v4/core/schemas.ts', 'optional wrappers', shape, 0.5, superseded), 1);
  });
});

describe('file-level ranking', () => {
  const candidate = (path: string, score: number, startLine = 1, endLine = 10, symbol: string | null = null) => ({ record: { path, symbol, parent: null, kind: 'function', startLine, endLine }, score, startLine, endLine });

  it('decays each further chunk of a file and adds a coherence bonus to its best one', () => {
    const ranked = saturateByFile([candidate('big.ts', 1), candidate('big.ts', 0.9), candidate('big.ts', 0.8), candidate('small.ts', 0.95)], 0.5, 0.25);
    assert.deepEqual(ranked.map((entry) => entry.record.path), ['big.ts', 'small.ts', 'big.ts', 'big.ts']);
    assert.equal(ranked[0]!.score, 1 + 0.25 * (0.9 * 0.5 + 0.8 * 0.25));
    assert.equal(ranked[2]!.score, 0.45);
  });

  it('lets a small file exactly about the query beat a big file of weak matches', () => {
    const weak = Array.from({ length: 8 }, (_, index) => candidate('big.ts', 0.5 - index * 0.01, index * 10 + 1, index * 10 + 9));
    const ranked = saturateByFile([...weak, candidate('header.h', 0.7)], 0.5, 0.25);
    assert.equal(ranked[0]!.record.path, 'header.h');
  });

  it('merges touching pieces of one split symbol into one entry spanning them, keeping apart same-named code elsewhere', () => {
    const merged = mergeSplitPieces([
      candidate('a.py', 0.9, 21, 40, 'parse'),
      candidate('a.py', 0.8, 1, 20, 'parse'),
      candidate('a.py', 0.7, 100, 120, 'parse'),
      candidate('b.py', 0.6, 1, 20, 'parse'),
    ]);
    assert.deepEqual(merged.map((entry) => `${entry.record.path}:${entry.startLine}-${entry.endLine}:${entry.score}`), ['a.py:1-40:0.9', 'a.py:100-120:0.7', 'b.py:1-20:0.6']);
  });

  it('lets through only candidates with evidence, and normalises relevance to 0..1', () => {
    assert.ok(passesFloor({ lexical: true, named: false, cosine: null }, 0.3));
    assert.ok(passesFloor({ lexical: false, named: true, cosine: 0.01 }, 0.3));
    assert.ok(passesFloor({ lexical: false, named: false, cosine: 0.31 }, 0.3));
    assert.ok(!passesFloor({ lexical: false, named: false, cosine: 0.1 }, 0.3));
    assert.equal(relevanceOf(0.5, 1), 0.5);
    assert.equal(relevanceOf(3, 1), 1);
    assert.equal(relevanceOf(1, 0), 0);
  });
});

describe('similar: the origin family', () => {
  const origin = { path: 'a.java', symbol: 'deposit', parent: 'BankAccount', startLine: 20, endLine: 30 };
  it('recognises the enclosing class, the origin itself and its members, but not siblings', () => {
    assert.ok(isOwnFamily(origin, { path: 'a.java', symbol: 'BankAccount', startLine: 5, endLine: 90 }));
    assert.ok(isOwnFamily({ ...origin, symbol: 'BankAccount', parent: null, startLine: 5, endLine: 90 }, { path: 'a.java', symbol: 'withdraw', parent: 'BankAccount', startLine: 40, endLine: 50 }));
    assert.ok(!isOwnFamily(origin, { path: 'a.java', symbol: 'withdraw', parent: 'BankAccount', startLine: 40, endLine: 50 }));
    assert.ok(!isOwnFamily(origin, { path: 'b.java', symbol: 'BankAccount', startLine: 5, endLine: 90 }));
  });
});

describe('ranking through the engine (default model)', () => {
  const CODE_V2 = join(REPO_ROOT, 'models', 'codegraph-code-v2');
  let dir: { path: string; cleanup: () => void };
  let graph: CodeGraph;
  before(async () => {
    dir = tempDir();
    const root = join(dir.path, 'ws');
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'src', 'strict.js'), "'use strict';\n");
    writeFileSync(
      join(root, 'src', 'interest.js'),
      [
        "'use strict';",
        '',
        '/** Compound interest on a principal over whole years. */',
        'function compoundInterest(principal, rate, years) {',
        '  let amount = principal;',
        '  for (let year = 0; year < years; year++) amount *= 1 + rate;',
        '  return amount - principal;',
        '}',
        '',
        'module.exports = { compoundInterest };',
        '',
      ].join('\n'),
    );
    // A function too large for one chunk: its pieces must come back as one result.
    const shelving = Array.from({ length: 120 }, (_, index) => `  catalogue.shelves.push({ book: books[${index}], slot: ${index}, shelvedAt: Date.now() });`).join('\n');
    writeFileSync(join(root, 'src', 'library.js'), `function shelveLibraryBooks(catalogue, books) {\n${shelving}\n  return catalogue;\n}\n\nfunction lendBook(catalogue, book) {\n  catalogue.lent.push(book);\n}\n\nmodule.exports = { shelveLibraryBooks, lendBook };\n`);
    // An old major version kept beside the new one: the same class in both, one class only in the old.
    const shelfSchema = 'class ShelfSchema {\n  constructor(slots) {\n    this.slots = slots;\n  }\n}\n';
    for (const version of ['v3', 'v4']) {
      mkdirSync(join(root, 'src', version), { recursive: true });
      writeFileSync(join(root, 'src', version, 'schema.js'), `${shelfSchema}\nmodule.exports = { ShelfSchema };\n`);
    }
    writeFileSync(join(root, 'src', 'v3', 'archive.js'), 'class ArchiveShelf {\n  constructor(boxes) {\n    this.boxes = boxes;\n  }\n}\n\nmodule.exports = { ArchiveShelf };\n');
    writeFileSync(join(root, 'src', 'v4', 'archive.js'), '// ArchiveShelf moved out of the library in v4.\nmodule.exports = {};\n');
    graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: CODE_V2, workers: 1 });
    await graph.index();
  });
  after(async () => {
    await graph.dispose();
    dir.cleanup();
  });

  it('does not pad the results with unrelated code', async () => {
    const hits = await graph.search('convert an integer to roman numerals');
    assert.ok(!hits.some((hit) => hit.path === 'src/strict.js'), JSON.stringify(hits.map((hit) => hit.path)));
    const unfloored = await graph.search('convert an integer to roman numerals', { ranking: { disabled: ['relevanceFloor'] } });
    assert.ok(unfloored.some((hit) => hit.path === 'src/strict.js'), 'the floor is what removed it');
  });

  it('returns a normalised relevance beside the raw score, best first', async () => {
    const hits = await graph.search('compoundInterest');
    assert.equal(hits[0]!.symbol, 'compoundInterest');
    assert.ok(hits.every((hit) => hit.relevance >= 0 && hit.relevance <= 1));
    assert.ok(hits[0]!.relevance > 0.9, `${hits[0]!.relevance}`);
    assert.notEqual(hits[0]!.relevance, hits[0]!.score);
  });

  it('answers a name defined in an old and a new version tree with the new one', async () => {
    const hits = await graph.search('ShelfSchema');
    assert.equal(hits[0]!.path, 'src/v4/schema.js', JSON.stringify(hits.map((hit) => hit.path)));
    // Identical chunks tie; without the feature the tie goes by location, the old tree first.
    const without = await graph.search('ShelfSchema', { ranking: { disabled: ['supersededVersions'] } });
    assert.equal(without[0]!.path, 'src/v3/schema.js');
    // A name only the old tree defines is still found there.
    assert.equal((await graph.search('ArchiveShelf'))[0]!.path, 'src/v3/archive.js');
  });

  it('shows a split function once, spanning its pieces', async () => {
    const unmerged = await graph.search('shelveLibraryBooks', { limit: 20, ranking: { disabled: ['splitMerge'] } });
    const pieces = unmerged.filter((hit) => hit.symbol === 'shelveLibraryBooks');
    assert.ok(pieces.length > 1, 'the fixture function is split');
    const hits = (await graph.search('shelveLibraryBooks', { limit: 20 })).filter((hit) => hit.symbol === 'shelveLibraryBooks');
    assert.equal(hits.length, 1, JSON.stringify(hits.map((hit) => `${hit.symbol}:${hit.startLine}-${hit.endLine}`)));
    assert.equal(hits[0]!.startLine, Math.min(...pieces.map((piece) => piece.startLine)));
    assert.equal(hits[0]!.endLine, Math.max(...pieces.map((piece) => piece.endLine)));
  });

  it('never lists the origin chunk, its enclosing class or its own members as similar', async () => {
    const { origin, hits } = await graph.similar('src/library.js', 30);
    assert.ok(hits.length > 0);
    for (const hit of hits) assert.ok(!isOwnFamily({ ...origin, parent: null }, hit) && hit.chunkId !== origin.chunkId, `${hit.symbol}:${hit.startLine}`);
  });
});
