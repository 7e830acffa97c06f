import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, createNonce, escapeHtml, renderSearchHtml } from '../../extension/core/webviewHtml.js';

const input = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'n0nce+/=',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.css',
  codiconUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
  initialState: { multiRoot: true, note: '</script><script>alert(1)</script>"\'&' },
  title: 'Search <x>',
};

describe('search panel HTML', () => {
  it('makes a fresh, unguessable nonce per render', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    assert.equal(nonces.size, 100);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9+/]{24}$/);
  });

  it('denies everything by default and allows scripts only by nonce', () => {
    const csp = contentSecurityPolicy(input.cspSource, 'abc');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abc'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/\*|\* /);
    assert.match(csp, new RegExp(`style-src ${input.cspSource.replace(/[.+]/g, '\\$&')}(;|$)`));
    assert.match(csp, /form-action 'none'/);
  });

  it('puts the policy, the nonce and escaped data into the page, with no inline script', () => {
    const html = renderSearchHtml(input);
    assert.ok(html.includes(`content="${escapeHtml(contentSecurityPolicy(input.cspSource, input.nonce))}"`));
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1, 'one script element');
    assert.equal(scripts[0]![1], '', 'no inline script body');
    assert.match(scripts[0]![0], new RegExp(`nonce="${escapeHtml(input.nonce).replace(/[+/]/g, '\\$&')}" src="${input.scriptUri.replace(/[.+/]/g, '\\$&')}"`));
    assert.ok(!html.includes('<script>alert(1)'), 'initial data cannot open a script element');
    const data = /data-initial="([^"]*)"/.exec(html)![1]!;
    const decoded = data.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    assert.deepEqual(JSON.parse(decoded), input.initialState);
    assert.match(html, /<title>Search &lt;x&gt;<\/title>/);
    assert.doesNotMatch(html, /https?:\/\/(?!file\+\.vscode-resource)/, 'no remote content');
  });

  it('escapes every HTML-significant character', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
