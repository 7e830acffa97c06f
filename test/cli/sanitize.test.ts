import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHits } from '../../cli/format.js';
import { visible, visibleLine } from '../../cli/sanitize.js';
import type { SearchHit } from '../../engine/index.js';

describe('visible', () => {
  it('shows C0 controls as control pictures, DEL, C1 and bidi controls as escapes', () => {
    assert.equal(visible('a\x1b]52;c;eA==\x07b'), 'a␛]52;c;eA==␇b');
    assert.equal(visible('\r\n\x00\x7f'), '␍␊␀␡');
    assert.equal(visible('csi\u009b2J'), 'csi\\x9b2J');
    assert.equal(visible('admin\u202e gnp.exe'), 'admin\\u202e gnp.exe');
  });

  it('leaves printable text, including non-ASCII, as it is', () => {
    assert.equal(visible('naïve_函数 ✓ é'), 'naïve_函数 ✓ é');
  });

  it('keeps tabs in code lines and drops the CR that ends a CRLF line', () => {
    assert.equal(visible('\tx', { keepTabs: true }), '\tx');
    assert.equal(visible('\tx'), '␉x');
    assert.equal(visibleLine('\treturn 1\r'), '\treturn 1');
    assert.equal(visibleLine('over\rwrite'), 'over␍write');
  });
});

describe('formatHits', () => {
  const hit: SearchHit = { chunkId: 1, path: `a\x1b[2J.py`, startLine: 1, endLine: 2, score: 0.5, relevance: 0.5, symbol: 'f\x1b]0;t\x07', kind: 'function', language: 'python', text: 'def f():\n    return "\x1b]52;c;eA==\x07"', doc: null };

  it('keeps its own colouring and makes repository text visible', () => {
    const output = formatHits([hit], true);
    const escapes = output.match(/\x1b\[[0-9;]*m/g) ?? [];
    assert.ok(escapes.length > 0, 'colouring stays');
    assert.equal(output.replace(/\x1b\[[0-9;]*m/g, '').includes('\x1b'), false, 'no other escape sequence');
    assert.ok(output.includes('a␛[2J.py'));
    assert.ok(output.includes('return "␛]52;c;eA==␇"'));
  });
});
