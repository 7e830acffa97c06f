import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSnippet, highlight, lineIndent, queryTerms } from '../../extension/core/snippet.js';

const text = (segments: readonly { text: string; match: boolean }[]) => segments.map((segment) => (segment.match ? `[${segment.text}]` : segment.text)).join('');

describe('result snippets', () => {
  it('takes query words, splitting identifiers and dropping stop words', () => {
    assert.deepEqual(queryTerms('where do we retry with exponential backoff?'), ['exponential', 'backoff', 'retry']);
    assert.deepEqual(queryTerms('parseHTTPResponse'), ['response', 'parse', 'http']);
    assert.deepEqual(queryTerms('a b'), []);
  });

  it('marks every case-insensitive occurrence, merging overlaps', () => {
    assert.equal(text(highlight('RateLimiter limits rate', ['limit', 'rate', 'limiter'])), '[RateLimiter] [limit]s [rate]');
    assert.deepEqual(highlight('', ['x']), []);
    assert.deepEqual(highlight('plain', []), [{ text: 'plain', match: false }]);
  });

  it('shows the window with the most matches, opening a line above the first', () => {
    const source = ['def handler(request):', '    log(request)', '    a = 1', '    b = 2', '    c = 3', '    d = 4', '    # retry with backoff', '    delay = backoff(attempt)', '    retry(delay)', '    return result'].join('\n');
    const snippet = buildSnippet(source, 40, 'retry backoff', { maxLines: 4 });
    assert.deepEqual(
      snippet.lines.map((line) => line.line),
      [45, 46, 47, 48],
    );
    assert.equal(text(snippet.lines[1]!.segments), '# [retry] with [backoff]');
    assert.equal(snippet.moreAbove, true);
    assert.equal(snippet.moreBelow, true);
  });

  it('starts at the signature when nothing matches, and removes common indentation', () => {
    const snippet = buildSnippet('    def f():\n        return 1\n', 10, 'unrelated words', { maxLines: 8 });
    assert.deepEqual(
      snippet.lines.map((line) => [line.line, text(line.segments)]),
      [
        [10, 'def f():'],
        [11, '    return 1'],
      ],
    );
    assert.equal(snippet.moreAbove, false);
    assert.equal(snippet.moreBelow, false);
  });

  it('clips long lines around the first match', () => {
    const long = `${'x'.repeat(300)} needle ${'y'.repeat(300)}`;
    const [line] = buildSnippet(long, 1, 'needle', { maxLineLength: 50 }).lines;
    const shown = text(line!.segments);
    assert.ok(shown.startsWith('…') && shown.endsWith('…'));
    assert.match(shown, /\[needle\]/);
    assert.ok(shown.length < 60);
  });

  it('keeps indentation relative when the first line comes without its own', () => {
    const snippet = buildSnippet('def refill(self):\n        now = 1\n        return now', 11, 'unrelated', { firstLineIndent: '    ' });
    assert.deepEqual(
      snippet.lines.map((line) => text(line.segments)),
      ['def refill(self):', '    now = 1', '    return now'],
    );
    // Text that already starts indented is left as it is.
    assert.equal(text(buildSnippet('  x = 1', 1, 'unrelated', { firstLineIndent: '    ' }).lines[0]!.segments), 'x = 1');
  });

  it('reads the leading whitespace of a line', () => {
    assert.equal(lineIndent('a\n\t  b\nc', 2), '\t  ');
    assert.equal(lineIndent('a', 1), '');
    assert.equal(lineIndent('a', 5), '');
  });
});
