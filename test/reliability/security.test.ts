/**
 * What CodeGraph must refuse (issue #6): script in indexed code reaching the
 * search panel as markup, webview messages opening files outside the
 * workspace, and SQL or FTS syntax in paths, code and queries changing what
 * the database does. The search panel's DOM is checked for real in
 * test/e2e/extension.e2e.ts; untrusted workspaces in test/e2e/trust.e2e.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { OutsideWorkspaceError } from '../../extension/core/errors.js';
import { resolveInsideFolder } from '../../extension/core/openRequest.js';
import { toResultViews } from '../../extension/core/searchResults.js';
import { parseWebviewMessage, ProtocolError } from '../../extension/shared/protocol.js';
import { REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';
import { storeProblems } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const SCRIPT_PAYLOAD = '<script>alert(1)</script>';
const IMG_PAYLOAD = '<img src=x onerror=alert(1)>';

describe('script in indexed code is data, never markup', () => {
  const dir = tempDir('codegraph-xss-');
  const root = join(dir.path, 'workspace');
  let graph: CodeGraph;
  // A file name can carry markup too: `<`, `>`, `=` and spaces are legal on Linux.
  const hostileName = `payload${IMG_PAYLOAD}.js`;
  before(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'render_banner.js'), `/** Renders the banner: ${SCRIPT_PAYLOAD} */\nfunction renderBanner(target) {\n  target.innerHTML = '${SCRIPT_PAYLOAD}' + "${IMG_PAYLOAD}";\n  return target;\n}\n`);
    writeFileSync(join(root, 'templates.py'), `def banner_markup():\n    """Returns ${IMG_PAYLOAD} for the banner."""\n    return "${SCRIPT_PAYLOAD}"\n`);
    writeFileSync(join(root, hostileName), 'function payloadNamed() { return 1; }\n');
    graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: TINY_MODEL, workers: 1 });
    await graph.index();
  });
  after(async () => {
    await graph.dispose();
    dir.cleanup();
  });

  it('carries payloads verbatim as plain-text fields to the panel (the panel renders text nodes)', async () => {
    const hits = await graph.search('banner script alert onerror img', { mode: 'lexical', limit: 10 });
    const named = await graph.search('payloadNamed', { mode: 'lexical', limit: 1 });
    const views = toResultViews([...hits, ...named].map((hit) => ({ folder: { key: 'file:///w', name: 'w', root }, hit })), 'banner alert');
    const snippetText = (view: (typeof views)[number]) => view.snippet.lines.map((line) => line.segments.map((segment) => segment.text).join('')).join('\n');
    const all = views.map(snippetText).join('\n');
    // Exactly the characters of the file: not escaped twice, not stripped, not interpreted.
    assert.ok(all.includes(SCRIPT_PAYLOAD), all);
    assert.ok(all.includes(IMG_PAYLOAD), all);
    assert.ok(views.some((view) => view.path === hostileName));
    // Every field the panel shows is a string or number: there is no HTML-typed field to abuse.
    for (const view of views) {
      for (const [key, value] of Object.entries(view)) {
        if (key === 'snippet') continue;
        assert.ok(value === null || ['string', 'number'].includes(typeof value), `${key} is ${typeof value}`);
      }
    }
    recordFault({
      fault: 'refuse-xss-payload',
      description: `Repository files containing ${SCRIPT_PAYLOAD} and ${IMG_PAYLOAD} in code, docstrings and a file name, indexed and searched`,
      trials: 3,
      survived: [SCRIPT_PAYLOAD, IMG_PAYLOAD].filter((payload) => all.includes(payload)).length + (views.some((view) => view.path === hostileName) ? 1 : 0),
      lost: 'nothing: shown as text (unit: plain-text fields and no HTML sinks in webview/; e2e: DOM holds the text, no element injected, no script ran)',
    });
  });

  it('renders the panel without any HTML-parsing sink, only text nodes', () => {
    // A guard over the webview's source: result strings reach the DOM only through textContent and text nodes.
    const sinks = /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|DOMParser|createContextualFragment|\bsrcdoc\b|\beval\(|new Function\(|setAttribute\(\s*['"`]on/;
    const dir = join(REPO_ROOT, 'webview');
    const sources = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    assert.ok(sources.includes('main.ts'));
    for (const name of sources) {
      const source = readFileSync(join(dir, name), 'utf8');
      assert.doesNotMatch(source, sinks, `webview/${name} must not parse strings as HTML`);
    }
    const main = readFileSync(join(dir, 'main.ts'), 'utf8');
    assert.match(main, /\.textContent = segment\.text/);
    assert.match(main, /document\.createTextNode\(segment\.text\)/);
  });
});

describe('webview requests to open files', () => {
  const dir = tempDir('codegraph-open-refuse-');
  const root = join(dir.path, 'workspace');
  const outside = join(dir.path, 'outside');
  before(() => {
    mkdirSync(join(root, 'src'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(root, 'src', 'ok.py'), 'x = 1\n');
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'src', 'secret-link.txt'));
    symlinkSync(outside, join(root, 'outside-dir'));
    symlinkSync('/etc', join(root, 'etc'));
  });
  after(() => dir.cleanup());

  const refusals: { name: string; refused: boolean }[] = [];
  after(() => {
    recordFault({
      fault: 'refuse-open-outside-workspace',
      description: 'openLocation requests with ../ traversal, absolute paths, symlinks (file and directory) leading outside, encoded traversal, and non-string or malformed fields',
      trials: refusals.length,
      survived: refusals.filter((refusal) => refusal.refused).length,
      lost: refusals.every((refusal) => refusal.refused) ? 'nothing: every request refused before any file was opened' : `accepted: ${refusals.filter((refusal) => !refusal.refused).map((refusal) => refusal.name).join(', ')}`,
    });
  });

  /** The host's path for an `open` message: validate the message, then resolve inside the folder. */
  const open = async (message: unknown) => {
    const parsed = parseWebviewMessage(message);
    if (parsed.type !== 'open') throw new Error(`not an open request: ${parsed.type}`);
    return resolveInsideFolder(root, parsed.path);
  };
  const openMessage = (path: unknown) => ({ type: 'open', folder: 'file:///workspace', path, startLine: 1, endLine: 1, preview: true });

  it('refuses traversal, absolute paths and symlinks that lead outside the folder', async () => {
    const escapes = ['../outside/secret.txt', 'src/../../outside/secret.txt', './../outside/secret.txt', join(outside, 'secret.txt'), '/etc/passwd', '//etc/passwd', 'src/secret-link.txt', 'outside-dir/secret.txt', 'etc/passwd', 'src\\..\\..\\outside\\secret.txt', 'C:\\Windows\\win.ini'];
    for (const path of escapes) {
      let refused = false;
      try {
        await open(openMessage(path));
      } catch (error) {
        refused = error instanceof OutsideWorkspaceError;
      }
      refusals.push({ name: JSON.stringify(path), refused });
      assert.ok(refused, `${JSON.stringify(path)} must be refused`);
    }
    // Percent-encoding is not decoded: it names a file that does not exist, so it is refused too.
    await assert.rejects(open(openMessage('%2e%2e/outside/secret.txt')), OutsideWorkspaceError);
    refusals.push({ name: '%2e%2e/ encoded traversal', refused: true });
    // The legitimate request still works.
    assert.equal(await open(openMessage('src/ok.py')), join(root, 'src', 'ok.py'));
  });

  it('refuses non-string and malformed fields before touching the disk', async () => {
    const garbage: unknown[] = [
      openMessage(42),
      openMessage(null),
      openMessage(['src/ok.py']),
      openMessage({ toString: () => 'src/ok.py' }),
      openMessage(''),
      openMessage('src/ok.py\0../../etc/passwd'),
      openMessage('a'.repeat(5000)),
      { ...openMessage('src/ok.py'), startLine: '1' },
      { ...openMessage('src/ok.py'), startLine: Number.NaN },
      { ...openMessage('src/ok.py'), endLine: 0 },
      { ...openMessage('src/ok.py'), folder: 7 },
      JSON.parse('{"type":"open","__proto__":{"path":"src/ok.py"},"folder":"f","startLine":1,"endLine":1}'),
      'open src/ok.py',
      undefined,
    ];
    for (const message of garbage) {
      let refused = false;
      try {
        await open(message);
      } catch (error) {
        refused = error instanceof ProtocolError || error instanceof OutsideWorkspaceError;
      }
      refusals.push({ name: `garbage ${JSON.stringify(message)?.slice(0, 60)}`, refused });
      assert.ok(refused, `${JSON.stringify(message)?.slice(0, 80)} must be refused`);
    }
  });
});

/** SQL and FTS5 syntax that would change a query if it were interpolated rather than bound. */
const SQL_PAYLOADS = [`'; DROP TABLE files; --`, `" OR 1=1 --`, `' OR '1'='1`, 'NEAR(', 'NEAR(a b, 2)', '"', '*', '^', '^start', 'a*', 'x AND', 'OR', 'NOT', '(', ')', 'body:secret', '{symbol path}: x', '- minus', '+plus', ':', "'", '\\', '%', '_', '\0', '', '   ', 'SELECT * FROM chunks; DELETE FROM chunks', `${'"('.repeat(300)}`];

describe('SQL and FTS5 syntax in paths, code and queries', () => {
  const dir = tempDir('codegraph-sql-');
  const root = join(dir.path, 'workspace');
  let graph: CodeGraph;
  const files: Record<string, string> = {
    [`sql/'; DROP TABLE files; --.py`]: `def drop_table_probe():\n    query = "'; DROP TABLE files; --"\n    return query\n`,
    [`sql/" OR 1=1 --.py`]: `def or_one_probe():\n    return '" OR 1=1 --'\n`,
    'sql/fts_syntax.py': `def fts_syntax_probe():\n    """Matches NEAR( "quoted" * ^ tokens: body:secret {symbol path}: x."""\n    return "NEAR(a b, 2) OR x* AND ^y"\n`,
    'sql/normal.py': `def ordinary_probe():\n    return 1\n`,
  };
  before(async () => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: TINY_MODEL, workers: 1 });
    await graph.index();
  });
  after(async () => {
    await graph.dispose();
    dir.cleanup();
  });

  it('indexes files whose paths and code hold SQL, and finds them by those strings', async () => {
    const stored = await graph.store.files();
    assert.deepEqual([...stored.keys()].sort(), Object.keys(files).sort());
    assert.equal((await graph.search(`'; DROP TABLE files; --`, { mode: 'lexical', limit: 1 }))[0]?.path, `sql/'; DROP TABLE files; --.py`);
    assert.equal((await graph.search(`or_one_probe`, { mode: 'lexical', limit: 1 }))[0]?.path, `sql/" OR 1=1 --.py`);
    assert.equal((await graph.search('NEAR( body:secret', { mode: 'lexical', limit: 1 }))[0]?.path, 'sql/fts_syntax.py');
    const { origin } = await graph.similar(`sql/'; DROP TABLE files; --.py`, 2);
    assert.equal(origin.symbol, 'drop_table_probe');
  });

  it('answers every hostile query in every mode without an error, and leaves every table intact', async () => {
    const tablesBefore = await graph.store.db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name");
    const countsBefore = await graph.store.counts(graph.modelId ?? '');
    const failures: string[] = [];
    let trials = 0;
    for (const query of SQL_PAYLOADS) {
      for (const mode of ['lexical', 'hybrid', 'dense'] as const) {
        trials++;
        try {
          const hits = await graph.search(query, { mode, limit: 5, paths: [`sql/${query}*`] });
          if (!Array.isArray(hits)) failures.push(`${JSON.stringify(query)} ${mode}: not a list`);
          await graph.search(query, { mode, limit: 5 });
        } catch (error) {
          failures.push(`${JSON.stringify(query)} ${mode}: ${String(error)}`);
        }
      }
    }
    const tablesAfter = await graph.store.db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name");
    const countsAfter = await graph.store.counts(graph.modelId ?? '');
    const problems = await storeProblems(graph);
    recordFault({
      fault: 'refuse-sql-injection',
      description: `${SQL_PAYLOADS.length} SQL and FTS5 fragments (DROP TABLE, OR 1=1, NEAR(, quotes, *, ^, column filters, NUL) as queries and path globs in 3 modes; files named and filled with them`,
      trials,
      survived: trials - failures.length,
      lost: failures.length === 0 && problems.length === 0 ? 'nothing: no error, tables and rows unchanged' : `${failures.slice(0, 3).join('; ')} ${problems.join('; ')}`,
    });
    assert.deepEqual(failures, []);
    assert.deepEqual(tablesAfter, tablesBefore);
    assert.deepEqual(countsAfter, countsBefore);
    assert.deepEqual(problems, []);
    // Operators are literal words: `OR` alone matches nothing special, and `*` does not match everything.
    assert.ok((await graph.search('*', { mode: 'lexical' })).length < Object.keys(files).length);
  });
});
