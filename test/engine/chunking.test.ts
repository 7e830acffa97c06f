import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DEFAULT_CHUNKING, type ChunkedFile } from '../../engine/parsing/chunk.js';
import { LANGUAGES, languageForPath } from '../../engine/parsing/languages.js';
import { chunkByLines } from '../../engine/parsing/lineChunker.js';
import { CodeParser } from '../../engine/parsing/parser.js';
import { FIXTURE_WORKSPACE, GRAMMARS } from '../helpers.js';

let parser: CodeParser;
const chunkFixture = (path: string, maxChars = DEFAULT_CHUNKING.maxChars): Promise<ChunkedFile> =>
  parser.chunk(readFileSync(join(FIXTURE_WORKSPACE, path), 'utf8'), languageForPath(path), { ...DEFAULT_CHUNKING, maxChars });
const symbols = (file: ChunkedFile) => file.chunks.filter((chunk) => chunk.symbol).map((chunk) => `${chunk.kind}:${chunk.symbol}`);

describe('syntax chunking', () => {
  before(async () => {
    parser = await CodeParser.create(GRAMMARS);
  });

  it('loads a grammar for every language that names one', async () => {
    for (const spec of LANGUAGES.filter((language) => language.grammar)) {
      assert.ok(parser.hasGrammar(spec), `grammar file for ${spec.id}`);
      await parser.language(spec);
    }
  });

  const expectations: [string, string[]][] = [
    ['python/rate_limiter.py', ['class:TokenBucket', 'method:__init__', 'method:refill', 'method:allow']],
    ['go/router.go', ['type:node', 'method:Insert', 'method:Lookup']],
    ['typescript/lruCache.ts', ['class:LruCache', 'method:constructor', 'method:get', 'method:set', 'method:evictOldest', 'interface:CacheStats']],
    ['javascript/debounce.js', ['function:debounce', 'function:throttle']],
    ['rust/matrix.rs', ['struct:Matrix', 'impl:Matrix', 'method:zeros', 'method:transpose', 'impl:Mul for &Matrix', 'method:mul']],
    ['java/BankAccount.java', ['class:BankAccount', 'method:BankAccount', 'method:deposit', 'method:withdraw', 'method:getBalanceCents']],
    ['csharp/JsonLexer.cs', ['module:Parsing', 'class:JsonLexer', 'method:JsonLexer', 'method:Tokenize', 'method:ReadString', 'method:ReadWord']],
    ['cpp/shortest_path.cpp', ['module:graph', 'struct:Edge', 'function:dijkstra']],
    ['ruby/slugify.rb', ['module:TextHelpers', 'method:slugify', 'method:truncate']],
    ['php/EmailValidator.php', ['class:EmailValidator', 'method:isValid']],
    ['c/crc32.c', ['function:crc32']],
    ['kotlin/Retry.kt', ['function:retryWithBackoff']],
  ];
  for (const [path, expected] of expectations) {
    it(`chunks ${path} into one chunk per definition`, async () => {
      const file = await chunkFixture(path);
      assert.equal(file.method, 'syntax');
      assert.deepEqual(symbols(file), expected);
    });
  }

  it('attaches doc comments and docstrings, attributes included', async () => {
    const python = await chunkFixture('python/rate_limiter.py');
    assert.match(python.chunks.find((chunk) => chunk.symbol === 'TokenBucket')!.doc!, /^Token bucket rate limiter/);
    const rust = await chunkFixture('rust/matrix.rs');
    const matrix = rust.chunks.find((chunk) => chunk.symbol === 'Matrix' && chunk.kind === 'struct')!;
    assert.equal(matrix.doc, 'A dense row-major matrix of f64 values.');
    assert.match(matrix.text, /^\/\/\/ A dense/);
    const csharp = await chunkFixture('csharp/JsonLexer.cs');
    assert.equal(csharp.chunks.find((chunk) => chunk.symbol === 'Tokenize')!.doc, 'Reads every token of the input.');
  });

  it('records the enclosing class, line ranges, complexity and calls', async () => {
    const file = await chunkFixture('python/rate_limiter.py');
    const allow = file.chunks.find((chunk) => chunk.symbol === 'allow')!;
    assert.equal(allow.parent, 'TokenBucket');
    assert.equal(allow.startLine, 24);
    assert.equal(allow.endLine, 30);
    assert.equal(allow.metrics.complexity, 2);
    assert.deepEqual(allow.calls, ['refill']);
    assert.ok(allow.metrics.nodeCount > 10);
  });

  it('counts short-circuit operators and keyword-named branches once, and not a closure bar', async () => {
    const chunkSource = (path: string, source: string) => parser.chunk(source, languageForPath(path), DEFAULT_CHUNKING);
    // Ruby's `if` is both a named node and the keyword inside it: one branch point, plus `&&`.
    const ruby = await chunkSource('guard.rb', 'def guard(user)\n  if user.admin? && user.active?\n    allow(user)\n  end\nend\n');
    assert.equal(ruby.chunks[0]!.metrics.complexity, 3);
    assert.deepEqual(ruby.chunks[0]!.calls, ['allow']);
    // `||` opens a Rust closure with no parameters: not a logical operator. `a || b` is one.
    const rust = await chunkSource('spawn.rs', 'fn spawn(ready: bool, done: bool) -> bool {\n    let job = || run();\n    job();\n    ready || done\n}\n');
    assert.equal(rust.chunks[0]!.metrics.complexity, 2);
    assert.deepEqual(rust.chunks[0]!.calls, ['run', 'job']);
  });

  it('gives a call inside a member to the member, not to the class outline', async () => {
    const source = 'class Cache:\n    size = compute_size()\n\n    def get(self, key):\n        if key in self.items:\n            return load(key)\n        return None\n';
    const file = await parser.chunk(source, languageForPath('cache.py'), DEFAULT_CHUNKING);
    const outline = file.chunks.find((chunk) => chunk.symbol === 'Cache')!;
    const get = file.chunks.find((chunk) => chunk.symbol === 'get')!;
    assert.deepEqual(outline.calls, ['compute_size']);
    assert.equal(outline.metrics.complexity, 1);
    assert.deepEqual(get.calls, ['load']);
    assert.equal(get.metrics.complexity, 2);
    // The outline's node count leaves its member out: it is that of the class without the method.
    const bare = await parser.chunk('class Cache:\n    size = compute_size()\n', languageForPath('cache.py'), DEFAULT_CHUNKING);
    assert.equal(outline.metrics.nodeCount, bare.chunks[0]!.metrics.nodeCount);
  });

  it('outlines a class with member bodies elided', async () => {
    const file = await chunkFixture('typescript/lruCache.ts');
    const outline = file.chunks.find((chunk) => chunk.symbol === 'LruCache')!;
    assert.match(outline.text, /get\(key: K\): V \| undefined …/);
    assert.doesNotMatch(outline.text, /this\.entries\.delete\(key\);\n/);
  });

  it('records imports, definitions and references per file', async () => {
    const file = await chunkFixture('python/app.py');
    assert.deepEqual(file.analysis.imports, ['from rate_limiter import TokenBucket']);
    assert.deepEqual(file.analysis.definitions.map((definition) => definition.name), ['handle_request']);
    assert.ok(file.analysis.references.includes('allow'));
  });

  it('splits a symbol larger than the window into parts, losing no line', async () => {
    const file = await chunkFixture('go/router.go', 300);
    const parts = file.chunks.filter((chunk) => chunk.symbol === 'Lookup');
    assert.ok(parts.length > 1);
    assert.ok(parts.every((part) => part.text.length <= 300));
    assert.equal(parts[0]!.startLine, 36);
    assert.equal(parts[parts.length - 1]!.endLine, 58);
    const source = readFileSync(join(FIXTURE_WORKSPACE, 'go/router.go'), 'utf8').split('\n');
    assert.equal(parts.map((part) => part.text).join('\n'), source.slice(35, 58).join('\n'));
  });

  it('gives a split definition its doc on the first piece only, and numbers the pieces in order', async () => {
    const file = await chunkFixture('go/router.go', 300);
    const parts = file.chunks.filter((chunk) => chunk.symbol === 'Lookup');
    assert.ok(parts.length > 2);
    assert.equal(parts[0]!.doc, 'Lookup walks the radix tree to match a request path and collect URL parameters.');
    assert.match(parts[0]!.text, /^\/\/ Lookup walks/);
    assert.deepEqual(parts.slice(1).map((part) => part.doc), parts.slice(1).map(() => null));
    assert.deepEqual(parts.map((part) => part.piece), parts.map((_, index) => index));
    // Consecutive: a later piece's first piece is the chunk `piece` ordinals before it.
    assert.deepEqual(parts.map((part) => part.ordinal - part.piece), parts.map(() => parts[0]!.ordinal));
    // A definition that fits is one chunk: piece 0, with its doc.
    const type = file.chunks.filter((chunk) => chunk.symbol === 'node');
    assert.deepEqual(type.map((chunk) => [chunk.piece, chunk.doc]), [[0, 'node is one segment of the radix tree used for path matching.']]);
  });

  // The names a piece's own text calls (`name(`, not a definition's own name): what its `calls` should be.
  const calledIn = (text: string) => new Set([...text.matchAll(/(?<!function |def )\b([A-Za-z_]\w*)\(/g)].map((match) => match[1]!));

  it('gives each piece of a split definition the calls its own text makes, not the whole definition\'s', async () => {
    const source = [
      'function pipeline(input: string[]): string[] {',
      '  const cleaned = trimAll(input);',
      '  const lowered = lowerAll(cleaned);',
      '  report(lowered);',
      '  const padding1 = input.length + cleaned.length + lowered.length;',
      '  const padding2 = padding1 * 2 + padding1 * 3 + padding1 * 4;',
      '  const sorted = sortAll(lowered, padding2);',
      '  report(sorted);',
      '  return uniqueAll(sorted);',
      '}',
      '',
    ].join('\n');
    const file = await parser.chunk(source, languageForPath('pipeline.ts'), { ...DEFAULT_CHUNKING, maxChars: 150 });
    const parts = file.chunks.filter((chunk) => chunk.symbol === 'pipeline');
    assert.ok(parts.length >= 2);
    for (const part of parts) assert.deepEqual(new Set(part.calls), calledIn(part.text), `piece ${part.piece}: ${part.text}`);
    // `report` is called in the first piece and the last, and only there; every other name once.
    assert.ok(parts[0]!.calls.includes('report') && parts[parts.length - 1]!.calls.includes('report'));
    const names = parts.flatMap((part) => part.calls).filter((name) => name !== 'report');
    assert.equal(names.length, new Set(names).size);
    assert.deepEqual(new Set(parts.flatMap((part) => part.calls)), new Set(file.analysis.references));
  });

  it('gives each piece of a split class outline the calls of its own text, and cuts a long line\'s calls by slice', async () => {
    const python = [
      'class Registry:',
      '    first = make_first()',
      '    def lookup(self, key):',
      '        return find_entry(self, key)',
      '    middle_padding_one = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9',
      '    middle_padding_two = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9',
      '    last = make_last()',
      '',
    ].join('\n');
    const file = await parser.chunk(python, languageForPath('registry.py'), { ...DEFAULT_CHUNKING, maxChars: 80 });
    const outline = file.chunks.filter((chunk) => chunk.symbol === 'Registry');
    assert.ok(outline.length >= 2);
    assert.doesNotMatch(outline.map((part) => part.text).join('\n'), /find_entry/);
    for (const part of outline) assert.deepEqual(new Set(part.calls), calledIn(part.text), `piece ${part.piece}: ${part.text}`);
    assert.ok(outline[0]!.calls.includes('make_first') && outline[outline.length - 1]!.calls.includes('make_last'));

    // One line longer than the window: the slices keep its line number, a call goes by where its name starts.
    const body = Array.from({ length: 12 }, (_, index) => `step${index}();`).join(' ');
    const packed = `function packed() { ${body} }\n`;
    const minified = await parser.chunk(packed, languageForPath('packed.js'), { ...DEFAULT_CHUNKING, maxChars: 40 });
    const slices = minified.chunks.filter((chunk) => chunk.symbol === 'packed');
    assert.ok(slices.length >= 3);
    const starts = [...packed.matchAll(/step\d+/g)].map((match) => ({ name: match[0], at: match.index! }));
    slices.forEach((slice, index) => {
      const expected = starts.filter((call) => call.at >= index * 40 && call.at < (index + 1) * 40).map((call) => call.name);
      assert.deepEqual(slice.calls, expected, `slice ${index}: ${slice.text}`);
    });
    assert.equal(slices.flatMap((slice) => slice.calls).length, 12);
  });

  it('groups small top-level code into blocks', async () => {
    const file = await chunkFixture('python/app.py');
    const block = file.chunks.find((chunk) => chunk.kind === 'block')!;
    assert.match(block.text, /^from rate_limiter import TokenBucket\n\nlimiter = TokenBucket/);
  });

  it('uses line windows for languages without a grammar', async () => {
    const file = await chunkFixture('docs/ARCHITECTURE.md');
    assert.equal(file.method, 'lines');
    assert.equal(file.chunks.length, 1);
    assert.equal(file.chunks[0]!.kind, 'lines');
  });

  it('falls back to line windows when a file is mostly unparseable', async () => {
    const garbage = Array.from({ length: 30 }, (_, index) => `)))(((]]] ${index} }}}{{{ ::: ;;;`).join('\n');
    const file = await parser.chunk(garbage, languageForPath('x.py'), DEFAULT_CHUNKING);
    assert.equal(file.method, 'fallback');
    assert.ok(file.chunks.length >= 1);
  });

  it('cuts one enormous line (a minified bundle) into window-sized pieces', () => {
    const line = 'a'.repeat(10_000);
    const file = chunkByLines(line, { ...DEFAULT_CHUNKING, maxChars: 1000 });
    assert.equal(file.chunks.length, 10);
    assert.ok(file.chunks.every((chunk) => chunk.startLine === 1 && chunk.text.length === 1000));
  });

  it('survives deeply nested code', async () => {
    const depth = 2000;
    const nested = `x = ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    const file = await parser.chunk(nested, languageForPath('deep.py'), DEFAULT_CHUNKING);
    assert.ok(file.chunks.length >= 1);
  });
});
