import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Parser } from 'web-tree-sitter';
import { batchGraphCodeBertInputs, buildGraphCodeBertInputs, buildTokenOnlyInputs, codeTokens, extractDataFlow, type DataFlowGraph, type DataFlowSyntaxNode } from '../../engine/dataflow/index.js';
import { UnsupportedLanguageError } from '../../engine/errors.js';
import { languageById } from '../../engine/parsing/languages.js';
import { CodeParser } from '../../engine/parsing/parser.js';
import { GRAMMARS } from '../helpers.js';

let codeParser: CodeParser;
let parser: Parser;

before(async () => {
  codeParser = await CodeParser.create(GRAMMARS);
  parser = new Parser();
});
after(() => parser.delete());

async function withTree<T>(source: string, language: string, use: (root: DataFlowSyntaxNode) => T): Promise<T> {
  parser.setLanguage(await codeParser.language(languageById(language)!));
  const tree = parser.parse(source)!;
  try {
    return use(tree.rootNode as unknown as DataFlowSyntaxNode);
  } finally {
    tree.delete();
  }
}

/**
 * The graph as sorted lines `target <- source relation`, each occurrence named
 * `name#k`: the k-th code token with that text, counting from 1. Easy to check by eye.
 */
async function dataFlowLines(source: string, language: string): Promise<string[]> {
  return withTree(source, language, (root) => {
    const tokens = codeTokens(root, language);
    const graph = extractDataFlow(root, language);
    const label = (node: DataFlowGraph['nodes'][number]) => `${node.name}#${tokens.filter((token) => token.text === node.name && token.start <= node.start).length}`;
    return graph.edges.map((edge) => `${label(graph.nodes[edge.target]!)} <- ${label(graph.nodes[edge.source]!)} ${edge.relation}`).sort();
  });
}

describe('data-flow graphs, checked by hand', () => {
  it('Python: a chained assignment, paired targets, augmented assignment, if/else merging and a loop feeding back', async () => {
    const source = [
      'def scale(values, factor=2):',
      '    a = b = factor',
      '    low, high = a, b',
      '    low += high',
      '    if low > 10:',
      '        result = low',
      '    else:',
      '        result = high',
      '    for v in values:',
      '        result = result * v',
      '    return result',
    ].join('\n');
    assert.deepEqual(await dataFlowLines(source, 'python'), [
      'a#1 <- b#1 computedFrom',
      'a#2 <- a#1 comesFrom',
      'b#1 <- factor#2 computedFrom',
      'b#2 <- b#1 comesFrom',
      'factor#2 <- factor#1 comesFrom',
      'high#1 <- b#2 computedFrom',
      'high#2 <- high#1 comesFrom',
      'high#3 <- high#1 comesFrom',
      'low#1 <- a#2 computedFrom',
      'low#2 <- high#2 computedFrom',
      'low#2 <- low#1 comesFrom',
      'low#3 <- low#2 comesFrom',
      'low#4 <- low#2 comesFrom',
      'result#1 <- low#4 computedFrom',
      'result#2 <- high#3 computedFrom',
      'result#3 <- result#4 computedFrom',
      'result#3 <- v#2 computedFrom',
      'result#4 <- result#1 comesFrom',
      'result#4 <- result#2 comesFrom',
      'result#4 <- result#3 comesFrom',
      'result#5 <- result#1 comesFrom',
      'result#5 <- result#2 comesFrom',
      'result#5 <- result#3 comesFrom',
      'v#1 <- values#2 computedFrom',
      'v#2 <- v#1 comesFrom',
      'values#2 <- values#1 comesFrom',
    ]);
  });

  it('JavaScript: default parameter, C-style loop, destructuring, ternary and update expression', async () => {
    const source = [
      'function total(items, tax = 0.2) {',
      '  let sum = 0, count;',
      '  for (let i = 0; i < items.length; i++) {',
      '    sum += items[i];',
      '  }',
      '  const [first, rest] = [sum, tax];',
      '  count = sum > 100 ? first : rest;',
      '  count++;',
      '  return count;',
      '}',
    ].join('\n');
    assert.deepEqual(await dataFlowLines(source, 'javascript'), [
      'count#3 <- count#2 comesFrom',
      'count#4 <- count#3 comesFrom',
      'count#2 <- first#2 computedFrom',
      'count#2 <- rest#2 computedFrom',
      'count#2 <- sum#4 computedFrom',
      'first#1 <- sum#3 computedFrom',
      'first#2 <- first#1 comesFrom',
      'i#2 <- i#1 comesFrom',
      'i#2 <- i#3 comesFrom',
      'i#3 <- i#1 comesFrom',
      'i#3 <- i#3 comesFrom',
      'i#4 <- i#1 comesFrom',
      'i#4 <- i#3 comesFrom',
      'items#2 <- items#1 comesFrom',
      'items#3 <- items#1 comesFrom',
      'rest#1 <- tax#2 computedFrom',
      'rest#2 <- rest#1 comesFrom',
      'sum#2 <- i#4 computedFrom',
      'sum#2 <- items#3 computedFrom',
      'sum#2 <- sum#1 comesFrom',
      'sum#2 <- sum#2 comesFrom',
      'sum#3 <- sum#1 comesFrom',
      'sum#3 <- sum#2 comesFrom',
      'sum#4 <- sum#1 comesFrom',
      'sum#4 <- sum#2 comesFrom',
      'tax#2 <- tax#1 comesFrom',
    ].sort());
  });

  it('Java: else-if chain without a final else, while loop with compound assignment and increment', async () => {
    const source = [
      'static int clamp(int value, int low, int high) {',
      '    int result = value;',
      '    if (value < low) {',
      '        result = low;',
      '    } else if (value > high) {',
      '        result = high;',
      '    }',
      '    int steps = 0;',
      '    while (result > high) {',
      '        result -= 1;',
      '        steps++;',
      '    }',
      '    return result + steps;',
      '}',
    ].join('\n');
    const lines = await dataFlowLines(source, 'java');
    const expected = [
      'result#1 <- value#2 computedFrom',
      'value#2 <- value#1 comesFrom',
      'value#3 <- value#1 comesFrom',
      'low#2 <- low#1 comesFrom',
      'result#2 <- low#3 computedFrom',
      'low#3 <- low#1 comesFrom',
      'value#4 <- value#1 comesFrom',
      'high#2 <- high#1 comesFrom',
      'result#3 <- high#3 computedFrom',
      'high#3 <- high#1 comesFrom',
      // The loop condition sees the three definitions before the loop and the one inside it.
      ...[1, 2, 3, 5].map((k) => `result#4 <- result#${k} comesFrom`),
      'high#4 <- high#1 comesFrom',
      ...[1, 2, 3, 5].map((k) => `result#5 <- result#${k} comesFrom`),
      'steps#2 <- steps#1 comesFrom',
      'steps#2 <- steps#2 comesFrom',
      ...[1, 2, 3, 5].map((k) => `result#6 <- result#${k} comesFrom`),
      'steps#3 <- steps#1 comesFrom',
      'steps#3 <- steps#2 comesFrom',
    ];
    assert.deepEqual(lines, expected.sort());
  });

  it('Go: named results, a condition-only loop, an early return and a paired multiple assignment', async () => {
    const source = [
      'func split(path string, sep byte) (head, tail string) {',
      '\ti := len(path) - 1',
      '\tfor i >= 0 && path[i] != sep {',
      '\t\ti--',
      '\t}',
      '\tif i < 0 {',
      '\t\treturn "", path',
      '\t}',
      '\thead, tail = path[:i], path[i+1:]',
      '\treturn',
      '}',
    ].join('\n');
    const loopCarried = (k: number) => [`i#${k} <- i#1 comesFrom`, `i#${k} <- i#4 comesFrom`];
    assert.deepEqual(await dataFlowLines(source, 'go'), [
      // `len` is a free name: its first sighting is its root.
      'i#1 <- len#1 computedFrom',
      'i#1 <- path#2 computedFrom',
      'path#2 <- path#1 comesFrom',
      ...loopCarried(2),
      'path#3 <- path#1 comesFrom',
      ...loopCarried(3),
      'sep#2 <- sep#1 comesFrom',
      ...loopCarried(4),
      ...loopCarried(5),
      'path#4 <- path#1 comesFrom',
      'head#2 <- path#5 computedFrom',
      'head#2 <- i#6 computedFrom',
      'tail#2 <- path#6 computedFrom',
      'tail#2 <- i#7 computedFrom',
      'path#5 <- path#1 comesFrom',
      'path#6 <- path#1 comesFrom',
      ...loopCarried(6),
      ...loopCarried(7),
    ].sort());
  });

  it('Python: a comprehension binds its loop variable before the expression that reads it', async () => {
    assert.deepEqual(await dataFlowLines('squares = [n * n for n in nums if n]', 'python'), [
      'n#1 <- n#3 comesFrom',
      'n#2 <- n#3 comesFrom',
      'n#3 <- nums#1 computedFrom',
      'n#4 <- n#3 comesFrom',
      'squares#1 <- n#1 computedFrom',
      'squares#1 <- n#2 computedFrom',
      // The filter decides which values make it into the list.
      'squares#1 <- n#4 computedFrom',
    ]);
  });

  it('keeps only occurrences that take part in a flow, in source order', async () => {
    const graph = await withTree('def f(unused, x):\n    y = x\n    return y\n', 'python', (root) => extractDataFlow(root, 'python'));
    assert.deepEqual(graph.nodes.map((node) => `${node.name}@${node.start}`), ['x@14', 'y@22', 'x@26', 'y@39']);
  });

  it('rejects a language without an extractor', async () => {
    await withTree('fn main() { let x = 1; }', 'rust', (root) => {
      assert.throws(() => extractDataFlow(root, 'rust'), UnsupportedLanguageError);
    });
  });
});

describe('code tokens', () => {
  it('are the leaves without comments, a string literal being one token', async () => {
    const tokens = await withTree('x = "a b"  # note\ny = x', 'python', (root) => codeTokens(root, 'python'));
    assert.deepEqual(tokens.map((token) => token.text), ['x', '=', '"a b"', 'y', '=', 'x']);
    assert.deepEqual([tokens[2]!.start, tokens[2]!.end], [4, 9]);
  });
});

describe('GraphCodeBERT inputs', () => {
  const special = { cls: 0, sep: 2, pad: 1, unk: 3 };
  // `x = ab`: sub-words x, =, a, ##b; nodes x (0–1) and ab (4–6); x is computed from ab.
  const tokens = { ids: [10, 11, 12, 13], spans: [[0, 1], [2, 3], [4, 6], [4, 6]] as const };
  const graph: DataFlowGraph = {
    nodes: [
      { name: 'x', start: 0, end: 1 },
      { name: 'ab', start: 4, end: 6 },
    ],
    edges: [{ target: 0, source: 1, relation: 'computedFrom' }],
  };

  it('lays out [CLS] code [SEP] nodes with code positions from 2 and node positions 0', () => {
    const input = buildGraphCodeBertInputs(tokens, graph, 8, 4, special);
    assert.deepEqual(input.inputIds, [0, 10, 11, 12, 13, 2, 3, 3]);
    assert.deepEqual(input.positionIds, [2, 3, 4, 5, 6, 7, 0, 0]);
    assert.equal(input.codeLength, 6);
    assert.equal(input.nodeCount, 2);
  });

  it('builds the graph-guided attention mask, entry by entry', () => {
    const input = buildGraphCodeBertInputs(tokens, graph, 8, 4, special);
    const rows = Array.from({ length: 8 }, (_, row) => [...input.attentionMask.subarray(row * 8, row * 8 + 8)].join(''));
    assert.deepEqual(rows, [
      // CLS x  =  a ##b SEP nx nab
      '11111111', // [CLS] sees everything
      '11111110', // x sees code and its node
      '11111100', // = sees code only
      '11111101', // a sees code and node ab
      '11111101', // ##b likewise
      '11111111', // [SEP] sees everything
      '01000001', // node x: its token x and node ab (x comes from ab)
      '00011000', // node ab: its sub-words; no edge leaves it
    ]);
  });

  it('cuts code so that nodes keep their share, and drops links to cut-off tokens', () => {
    // A window of 5: 2 nodes leave room for 1 code token, so `=`, `a`, `##b` are cut and node ab loses its
    // tokens; with no sources either, it attends to itself alone.
    const input = buildGraphCodeBertInputs(tokens, graph, 3, 2, special);
    assert.deepEqual(input.inputIds, [0, 10, 2, 3, 3]);
    assert.deepEqual(input.positionIds, [2, 3, 4, 0, 0]);
    const rows = Array.from({ length: 5 }, (_, row) => [...input.attentionMask.subarray(row * 5, row * 5 + 5)].join(''));
    assert.deepEqual(rows, ['11111', '11110', '11111', '01001', '00001']);
  });

  it('caps nodes at maxDfgLength when code fills the window, and keeps only edges between kept nodes', () => {
    // Window 5: one node's share leaves 2 code tokens; only node x fits, and its edge to ab goes with ab.
    const input = buildGraphCodeBertInputs(tokens, graph, 4, 1, special);
    assert.deepEqual(input.inputIds, [0, 10, 11, 2, 3]);
    assert.deepEqual([...input.attentionMask.subarray(4 * 5, 5 * 5)], [0, 1, 0, 0, 0]);
  });

  it('lets nodes use the room that short code leaves, as the published recipe does', () => {
    const input = buildGraphCodeBertInputs(tokens, graph, 8, 1, special);
    assert.equal(input.nodeCount, 2);
  });

  it('pads a batch with pad ids, position 1 and a zero mask', () => {
    const long = buildGraphCodeBertInputs(tokens, graph, 8, 4, special);
    const short = buildTokenOnlyInputs([42], 8, special);
    assert.deepEqual(short.positionIds, [2, 3, 4]);
    const batch = batchGraphCodeBertInputs([short, long], 8, special.pad);
    assert.deepEqual([...batch.inputIds.subarray(0, 8)].map(Number), [0, 42, 2, 1, 1, 1, 1, 1]);
    assert.deepEqual([...batch.positionIds.subarray(0, 8)].map(Number), [2, 3, 4, 1, 1, 1, 1, 1]);
    assert.deepEqual([...batch.tokenMask.subarray(0, 8)].map(Number), [1, 1, 1, 0, 0, 0, 0, 0]);
    const shortMask = [...batch.attentionMask.subarray(0, 64)].map(Number);
    for (let row = 0; row < 8; row++) {
      for (let column = 0; column < 8; column++) assert.equal(shortMask[row * 8 + column], row < 3 && column < 3 ? 1 : 0, `short[${row}][${column}]`);
    }
    assert.deepEqual([...batch.attentionMask.subarray(64 + 6 * 8, 64 + 7 * 8)].map(Number), [0, 1, 0, 0, 0, 0, 0, 1]);
  });
});
