import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatToolHit, TOOL_SNIPPET_LINES, toolSummary, type ToolHit } from '../../extension/core/toolResults.js';

const hit: ToolHit = {
  folder: 'app',
  path: 'python/rate_limiter.py',
  uri: 'file:///w/python/rate_limiter.py',
  startLine: 17,
  endLine: 22,
  symbol: 'refill',
  kind: 'method',
  language: 'python',
  relevance: 0.734,
  text: 'def refill(self):\n        now = time.monotonic()',
  firstLineIndent: '    ',
};

describe('language-model tool results', () => {
  it('lead each hit with its location, path:start-end and the file URI with a line fragment, then the code', () => {
    const text = formatToolHit(hit, false);
    const [location, uri, open, ...rest] = text.split('\n');
    assert.equal(location, 'python/rate_limiter.py:17-22 (refill, method, python; relevance 73%)');
    assert.equal(uri, 'file:///w/python/rate_limiter.py#L17-L22');
    assert.equal(open, '```python');
    // The first line gets its indentation back, so the code block's indentation is the file's.
    assert.deepEqual(rest, ['    def refill(self):', '        now = time.monotonic()', '```']);
    assert.match(formatToolHit(hit, true), /^app\/python\/rate_limiter\.py:17-22 /, 'multi-root paths name the folder');
  });

  it('fence code that contains backticks with a longer fence, and cut long chunks with a count', () => {
    const ticks = formatToolHit({ ...hit, text: 'x = "```"' }, false);
    assert.match(ticks, /\n````python\n/);
    const long = formatToolHit({ ...hit, text: Array.from({ length: TOOL_SNIPPET_LINES + 5 }, (_, index) => `line${index}`).join('\n') }, false);
    assert.match(long, /… 5 more lines$/);
    assert.ok(!long.includes(`line${TOOL_SNIPPET_LINES}\n`));
  });

  it('say what was searched and how many results came back, or that none did', () => {
    assert.equal(toolSummary('search', 3, 'rate limiter'), '3 results from the local CodeGraph index for "rate limiter", best first:');
    assert.equal(toolSummary('search', 0, 'rate limiter'), 'No indexed code matches "rate limiter".');
    assert.equal(toolSummary('similar', 0, 'refill'), 'No code in the index is similar to refill.');
    assert.equal(toolSummary('similar', 1, 'refill'), '1 chunk similar to refill:');
  });
});
