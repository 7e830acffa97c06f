/**
 * The extension in a real VS Code: the packaged .vsix is installed into
 * code-server, a copy of the multi-language fixture workspace is opened in
 * Chromium, and the suite uses the extension as a person would: status bar,
 * command palette, the search panel, an edit made on disk, Find Similar Code,
 * the CodeLens and the hover. Screenshots land in test-artifacts/e2e/.
 *
 * Needs: scripts/e2e/setup.sh (code-server, Node 24, chromium) and a .vsix
 * (npm run package). scripts/run-tests.mjs provides both.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { startFakeHub, type FakeHub } from '../fakeHub.js';
import { defaultModelId, LEVENSHTEIN_PY, REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';
import { packApiProbe, runProbe } from './harness/apiProbe.js';
import { BASE_SETTINGS, openSession, type Session } from './harness/session.js';
import { until, type Workbench } from './harness/workbench.js';
import { CodeGraph } from '../../engine/index.js';
import { SIMILAR_LIMIT } from '../../extension/core/similarity.js';

/** The neighbour the similar-code hover lists first, computed by the engine on a copy of the session's workspace as it is now. */
async function closestSimilarChunk(sessionWorkspace: string, path: string, line: number, options: { limit: number; maxPerFile?: number }): Promise<{ symbol: string; path: string; startLine: number }> {
  const workspace = tempDir();
  try {
    const root = join(workspace.path, 'workspace');
    cpSync(sessionWorkspace, root, { recursive: true });
    const graph = await CodeGraph.open({ root, cacheDir: join(workspace.path, 'cache'), workers: 1 });
    try {
      await graph.index();
      const threshold = (await graph.status()).similarityThreshold ?? 0;
      const { hits } = await graph.similar(path, line, options);
      const first = hits.find((hit) => hit.score >= threshold);
      assert.ok(first?.symbol, 'the engine finds a similar chunk for the hover to show');
      return { symbol: first.symbol, path: first.path, startLine: first.startLine };
    } finally {
      await graph.dispose();
    }
  } finally {
    workspace.cleanup();
  }
}

/** What the API probe recorded: each call's value, or its error and code. */
type Attempt<T> = { ok: true; value: T } | { ok: false; error: string; code: string | null };
interface ProbeHit {
  path: string;
  uri: string;
  fsPath: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  kind: string;
  relevance: number;
  score: number;
}
interface ProbeReport {
  found: boolean;
  apiVersion: number;
  members: string[];
  status: { kind: string };
  dimension: number | null;
  modelId: string | null;
  search: Attempt<ProbeHit[]>;
  searchFiltered: Attempt<string[]>;
  searchBadLimit: Attempt<unknown>;
  searchEmpty: Attempt<unknown>;
  similar: Attempt<{ origin: ProbeHit; hits: ProbeHit[] }>;
  similarOutside: Attempt<unknown>;
  embed: Attempt<{ length: number; isFloat32: boolean; language: string; languageFallback: boolean; truncated: boolean; modelId: string }>;
  embedLanguage: Attempt<{ known: [string, boolean]; unknown: [string, boolean] }>;
  embedEmpty: Attempt<unknown>;
  embedHuge: Attempt<{ truncated: boolean; length: number }>;
  similarity: Attempt<{ same: number; related: number; unrelated: number; vectors: number }>;
  similarityBad: Attempt<unknown>;
  events: { index: { folder: string; generation: number; chunks: number }[]; statusKinds: string[] };
  searchAdded: Attempt<ProbeHit[]>;
  lmApi: { invokeTool: boolean; tools: { name: string; tags: string[] }[] };
  toolSearch: Attempt<string[]>;
  toolSimilar: Attempt<string[]>;
  toolBadInput: Attempt<string[]>;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface PanelLayout {
  overflowing: number;
  snippets: number;
  codeStyles: string[];
  results: { symbol: string; path: string; lines: string[]; relevance: string; meter: number | null; snippetBox: Box; codeLeft: number | null; markers: Box[] }[];
}
/** Reads the search panel's layout in its webview. */
const PANEL_LAYOUT_SCRIPT = `(() => {
  const box = (element) => { const r = element.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  const snippets = Array.from(document.querySelectorAll('li.result .snippet'));
  return {
    overflowing: snippets.filter((snippet) => snippet.scrollWidth > snippet.clientWidth + 1).length,
    snippets: snippets.length,
    codeStyles: Array.from(document.querySelectorAll('.snippet .code')).map((code) => { const style = getComputedStyle(code); return style.textOverflow + '/' + style.overflowX + '/' + style.whiteSpace; }),
    results: Array.from(document.querySelectorAll('li.result')).map((item) => {
      const firstCode = item.querySelector('.line:not(.elided) .code');
      const meter = item.querySelector('.relevance meter');
      return {
        symbol: item.querySelector('.symbol')?.textContent ?? '',
        path: item.querySelector('.path')?.textContent ?? '',
        lines: Array.from(item.querySelectorAll('.line:not(.elided) .code')).map((code) => code.textContent ?? ''),
        relevance: item.querySelector('.relevance-value')?.textContent ?? '',
        meter: meter ? meter.value : null,
        snippetBox: box(item.querySelector('.snippet')),
        codeLeft: firstCode ? box(firstCode).left : null,
        markers: Array.from(item.querySelectorAll('.line.elided .ellipsis')).map(box),
      };
    }),
  };
})()`;

const DOC_IMAGES = join(REPO_ROOT, 'docs', 'images');
const PULLED_REPO = 'test-org/tiny-pulled';

/** The tiny test model served as a Hub repo, under a manifest id of its own so the status bar shows the switch. */
function pulledRepoFiles(): Map<string, Buffer> {
  const manifest = JSON.parse(readFileSync(join(TINY_MODEL, 'codegraph-model.json'), 'utf8')) as Record<string, unknown>;
  return new Map([
    ['codegraph-model.json', Buffer.from(JSON.stringify({ ...manifest, id: 'codegraph-tiny-pulled' }, null, 2))],
    ['tokenizer.json', readFileSync(join(TINY_MODEL, 'tokenizer.json'))],
    ['model.onnx', readFileSync(join(TINY_MODEL, 'model.onnx'))],
  ]);
}

describe('CodeGraph in VS Code (code-server)', { timeout: 600_000 }, () => {
  let session: Session | undefined;
  let failed = false;
  let hub: FakeHub | undefined;
  const pulledModels = join(mkdtempSync(join(tmpdir(), 'codegraph-e2e-models-')), 'models');
  const probeOut = join(pulledModels, '..', 'api-probe.json');

  /** Runs a step; on failure keeps a screenshot of the whole window. */
  const step = async (name: string, body: (workbench: Workbench) => Promise<void>): Promise<void> => {
    assert.ok(session, 'the workbench did not open');
    try {
      await body(session.workbench);
    } catch (error) {
      failed = true;
      await session.workbench.screenshot(`failed-${name}`).catch(() => undefined);
      throw error;
    }
  };

  let searchFrame: Frame | undefined;
  const search = async (workbench: Workbench, query: string): Promise<Frame> => {
    if (!searchFrame || searchFrame.isDetached()) {
      await workbench.runCommand('CodeGraph: Search Code Semantically');
      searchFrame = await workbench.webviewFrame('#query');
    }
    const input = searchFrame.locator('#query');
    await input.fill('');
    // Typed key by key: results arrive as you type, and the last keystroke's answer wins.
    await input.pressSequentially(query, { delay: 15 });
    // Results arrive per keystroke; wait for the list that answers the whole query.
    await searchFrame.locator('#results').and(searchFrame.locator(`[data-query="${query.replace(/["\\]/g, '\\$&')}"]`)).waitFor({ state: 'attached', timeout: 60_000 });
    return searchFrame;
  };
  const resultPaths = async (frame: Frame) => frame.locator('li.result .path').allInnerTexts();

  /**
   * The panel's layout, measured in its DOM: no code line is cut off unmarked
   * (the snippet box never overflows sideways, and every code line clips with
   * an ellipsis), a method's body keeps its indentation relative to its first
   * line, the elided-lines marker lies inside the code box in the code column,
   * and relevance reads as a percentage.
   */
  const assertPanelLayout = async (frame: Frame): Promise<void> => {
    // Measured in the webview (a string: the test project has no DOM typings).
    const layout = (await frame.evaluate(PANEL_LAYOUT_SCRIPT)) as PanelLayout;
    assert.ok(layout.snippets > 0);
    assert.equal(layout.overflowing, 0, 'no snippet box overflows sideways');
    assert.ok(layout.codeStyles.length > 0 && layout.codeStyles.every((style) => style === 'ellipsis/hidden/pre'), `every code line clips with an ellipsis and keeps its spaces: ${[...new Set(layout.codeStyles)].join(', ')}`);
    // __init__ is a method: its text starts at `def`, its body is indented twice in the file.
    const method = layout.results.find((result) => result.symbol === '__init__' && result.path.startsWith('python/rate_limiter.py:'));
    assert.ok(method, `the __init__ method is among the results: ${layout.results.map((result) => result.symbol).join(', ')}`);
    assert.match(method.lines[0]!, /^def __init__\(/);
    assert.match(method.lines[1]!, /^ {4}\S/, `the body is one level deeper than the signature: ${JSON.stringify(method.lines.slice(0, 2))}`);
    const withMarkers = layout.results.filter((result) => result.markers.length > 0);
    assert.ok(withMarkers.length > 0, 'some result elides lines');
    for (const result of withMarkers) {
      for (const marker of result.markers) {
        assert.ok(marker.left >= result.snippetBox.left && marker.right <= result.snippetBox.right && marker.top >= result.snippetBox.top && marker.bottom <= result.snippetBox.bottom, `the marker of ${result.symbol} lies inside its code box`);
        assert.ok(result.codeLeft !== null && Math.abs(marker.left - result.codeLeft) <= 1, `the marker of ${result.symbol} starts in the code column (${marker.left} vs ${result.codeLeft})`);
      }
    }
    for (const result of layout.results) {
      assert.match(result.relevance, /^(100|[1-9]?\d)%$/, `relevance reads as a percentage: ${result.relevance}`);
      assert.ok(result.meter !== null && result.meter >= 0 && result.meter <= 1);
    }
  };

  before(async () => {
    // Trust prompts are the subject of trust.e2e.ts; here the workspace is trusted.
    // The extension host inherits these through code-server: pulls go to the local hub and a private model folder.
    hub = await startFakeHub({ repo: PULLED_REPO, files: pulledRepoFiles(), redirect: ['model.onnx'] });
    process.env['HF_ENDPOINT'] = hub.endpoint;
    process.env['CODEGRAPH_MODEL_HOME'] = pulledModels;
    // The test-only extension that calls CodeGraph's API writes what it saw here.
    process.env['CODEGRAPH_E2E_PROBE_OUT'] = probeOut;
    const probe = packApiProbe(join(pulledModels, '..'));
    // The tiny test model is chosen with the folder dialog below; models load only from configured folders.
    session = await openSession('main', { ...BASE_SETTINGS, 'codegraph.modelDirectories': [dirname(TINY_MODEL)] }, { extraExtensions: [probe] });
  });

  after(async () => {
    const artifacts = session?.artifacts;
    await session?.close();
    await hub?.close();
    rmSync(join(pulledModels, '..'), { recursive: true, force: true });
    if (!failed && artifacts) {
      mkdirSync(DOC_IMAGES, { recursive: true });
      const updateDocs = process.env['CODEGRAPH_E2E_UPDATE_DOCS'] === '1';
      for (const name of ['search-panel.png', 'similar-codelens.png']) {
        const source = join(artifacts, name);
        // Committed README images change only on request, so a test run leaves the tree clean.
        if (existsSync(source) && (updateDocs || !existsSync(join(DOC_IMAGES, name)))) copyFileSync(source, join(DOC_IMAGES, name));
      }
    }
  });

  it('installs from the .vsix and activates', async () => {
    const extensionsDir = session!.extensionsDir;
    const installed = readdirSync(extensionsDir).filter((name) => name.startsWith('codegraph.codegraph-'));
    assert.equal(installed.length, 1, `expected the extension in ${extensionsDir}, found ${readdirSync(extensionsDir).join(', ')}`);
    const root = join(extensionsDir, installed[0]!);
    for (const file of ['LICENSE.txt', 'THIRD_PARTY_NOTICES.md', 'dist/extension.js', 'dist/worker.js', 'dist/webview/main.js', 'dist/api.d.ts', 'grammars/grammars.json', 'models/default.json', 'package.nls.json', 'l10n/bundle.l10n.json']) {
      assert.ok(existsSync(join(root, file)), `packaged extension lacks ${file}`);
    }
    // It ships what a user runs: the default model alone, without the list of packages it was trained on.
    const defaultModel = (JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'default.json'), 'utf8')) as { default: string }).default;
    assert.deepEqual(readdirSync(join(root, 'models')).sort(), [defaultModel, 'default.json'].sort());
    assert.ok(!existsSync(join(root, 'models', defaultModel, 'corpus-packages.tsv')), 'the training corpus list is not packaged');
    assert.ok(existsSync(join(root, 'models', defaultModel, 'model.onnx')));
  });

  it('reports indexing done in the status bar', async () => {
    await step('status', async (workbench) => {
      const text = await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks/, 180_000);
      assert.ok(text.includes(defaultModelId()), `the idle status names the bundled model: ${text}`);
      await workbench.screenshot('status-bar', { selector: '.part.statusbar' });
    });
  });

  it('searches semantically from the panel and opens the result with the keyboard', async () => {
    await step('search', async (workbench) => {
      const frame = await search(workbench, 'token bucket rate limiter');
      await frame.locator('li.result .path', { hasText: 'python/rate_limiter.py' }).first().waitFor({ timeout: 30_000 });
      const paths = await resultPaths(frame);
      const index = paths.findIndex((path) => path.startsWith('python/rate_limiter.py'));
      assert.ok(index >= 0 && index < 3, `rate_limiter.py should rank in the top 3, got ${paths.join(' | ')}`);
      // The matched terms are highlighted in the snippet.
      assert.ok((await frame.locator('li.result').nth(index).locator('mark').count()) > 0, 'the snippet highlights matched terms');
      await workbench.resizeSideBar(620);
      await workbench.page.mouse.move(0, 0);
      await workbench.screenshot('search-panel');
      await assertPanelLayout(frame);
      // Narrow: long lines end in an ellipsis inside the code box.
      await workbench.resizeSideBar(360);
      await workbench.page.mouse.move(0, 0);
      await until(() => frame.evaluate("Array.from(document.querySelectorAll('.snippet .code')).some((code) => code.scrollWidth > code.clientWidth)"), (clipped) => clipped === true, 10_000, 'a line too long for the narrow panel');
      await workbench.screenshot('search-panel-narrow');
      await assertPanelLayout(frame);
      await workbench.resizeSideBar(620);
      const input = frame.locator('#query');
      for (let press = 0; press <= index; press++) await input.press('ArrowDown');
      assert.equal(await frame.locator('li.result.selected').count(), 1);
      await input.press('Enter');
      await workbench.activeTab('rate_limiter.py');
    });
  });

  it('filters results by language and path, and opens as an editor tab too', async () => {
    await step('filters', async (workbench) => {
      const frame = await search(workbench, 'parse tokens');
      await frame.locator('#filters summary').click();
      await frame.locator('#language').selectOption('csharp');
      const badges = await until(() => frame.locator('li.result .language').allInnerTexts(), (values) => values.length > 0 && values.every((value) => value === 'csharp'), 20_000, 'only C# results');
      assert.ok(badges.length > 0);
      await frame.locator('#language').selectOption('');
      // A question that Go and Rust code answers: the relevance floor leaves out code that matches nothing.
      await search(workbench, 'insert a route, multiply a matrix');
      await frame.locator('#paths').fill('go/**, rust/**');
      await until(() => resultPaths(frame), (paths) => paths.length > 0 && paths.every((path) => path.startsWith('go/') || path.startsWith('rust/')), 20_000, 'only go/ and rust/ results');
      // No file matches: the panel says so.
      await frame.locator('#paths').fill('no-such-folder/**');
      await frame.locator('#state', { hasText: 'No results' }).waitFor({ timeout: 20_000 });
      assert.equal(await frame.locator('li.result').count(), 0);
      await workbench.screenshot('search-panel-no-results');
      await frame.locator('#paths').fill('');
      await frame.locator('#filters summary').click();

      await workbench.runCommand('CodeGraph: Open Search in Editor Area');
      await workbench.activeTab('CodeGraph Search');
      // Its own webview, ready with its query box, beside the view's.
      await until(async () => (await Promise.all(workbench.page.frames().map((frame) => frame.locator('#query').count().catch(() => 0)))).reduce((sum, count) => sum + count, 0), (count) => count >= 2, 20_000, 'a second search webview');
      await workbench.runCommand('View: Close Editor');
      await workbench.page.locator('.tabs-container .tab', { hasText: 'CodeGraph Search' }).waitFor({ state: 'detached', timeout: 15_000 });
    });
  });

  it('indexes code edited on disk and makes it searchable', async () => {
    await step('edit-on-disk', async (workbench) => {
      const frame = await search(workbench, 'levenshtein edit distance between two strings');
      // Before the edit, no such function exists anywhere.
      await frame.locator('#state', { hasText: /result/ }).waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('li.result .symbol', { hasText: 'levenshtein_distance' }).count(), 0);
      appendFileSync(join(session!.workspace, 'python', 'app.py'), `\n\n${LEVENSHTEIN_PY}`);
      // No retyping: the watcher re-indexes the file and the panel refreshes its results.
      const hit = frame.locator('li.result', { has: frame.locator('.symbol', { hasText: 'levenshtein_distance' }) }).first();
      await hit.waitFor({ timeout: 60_000 });
      assert.match(await hit.locator('.path').innerText(), /^python\/app\.py:\d+/);
    });
  });

  it('finds code similar to a known function', async () => {
    await step('find-similar', async (workbench) => {
      // Which chunk is closest depends on the model, so the engine is asked directly, as the command asks it.
      const closest = await closestSimilarChunk(session!.workspace, 'python/rate_limiter.py', 17, { limit: 20 });
      await workbench.openFile('python/rate_limiter.py', 17);
      await workbench.runCommand('CodeGraph: Find Similar Code');
      const rows = await workbench.quickPickRows('Code similar to refill');
      assert.match(rows[0]!, /Show all \d+ in the peek view/);
      const closestRow = rows.findIndex((row) => row.includes(closest.symbol) && row.includes(`${closest.path}:${closest.startLine}`));
      assert.equal(closestRow, 1, `expected ${closest.symbol} (${closest.path}:${closest.startLine}) first among ${rows.join(' | ')}`);
      await workbench.screenshot('find-similar');
      await workbench.page.keyboard.press('ArrowDown');
      await workbench.page.keyboard.press('Enter');
      await workbench.page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${closest.startLine},`) }).first().waitFor({ timeout: 15_000 });
    });
  });

  it('shows "N similar" lenses and a similar-code hover', async () => {
    await step('lens-and-hover', async (workbench) => {
      await workbench.openFile('python/rate_limiter.py', 17);
      const lens = workbench.page.locator('.codelens-decoration a', { hasText: /\d+ similar/ }).first();
      await lens.waitFor({ timeout: 60_000 });
      const lensCount = Number(/(\d+) similar/.exec(await lens.innerText())![1]);
      assert.ok(lensCount >= 1);
      // A lens appears only where there is similar code: none says there is none.
      const lensTexts = await workbench.page.locator('.codelens-decoration a').allInnerTexts();
      assert.ok(lensTexts.every((text) => /^\d+ similar$/.test(text.trim())), `only "N similar" lenses: ${lensTexts.join(' | ')}`);
      await workbench.page.mouse.move(0, 0);
      await workbench.screenshot('similar-codelens', { selector: '.part.editor' });

      await workbench.goToLine(17);
      await workbench.runCommand('Show or Focus Hover');
      const hover = workbench.page.locator('.monaco-hover', { hasText: 'Similar code' }).first();
      await hover.waitFor({ state: 'visible', timeout: 30_000 });
      const text = await hover.innerText();
      // The closest chunk depends on the model, so the engine is asked directly, as the hover asks it.
      const closest = await closestSimilarChunk(session!.workspace, 'python/rate_limiter.py', 17, { limit: SIMILAR_LIMIT, maxPerFile: 2 });
      assert.ok(text.includes(closest.symbol), `the hover lists the closest chunk, ${closest.symbol}`);
      assert.ok(text.includes(`${closest.path}:${closest.startLine}`), `the hover links ${closest.path}:${closest.startLine}`);
      await workbench.screenshot('similar-hover');
      await hover.locator('a', { hasText: /Show all \d+ in peek view/ }).click();
      const peek = workbench.page.locator('.peekview-widget').first();
      await peek.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await peek.innerText(), /rate_limiter\.py/);
      await workbench.screenshot('similar-peek');
      await workbench.page.keyboard.press('Escape');
    });
  });

  it('holds changes while indexing is paused and indexes them on resume', async () => {
    await step('pause-resume', async (workbench) => {
      await workbench.runCommand('CodeGraph: Pause Indexing');
      await workbench.waitForStatus(/CodeGraph: paused/, 15_000);
      const frame = await search(workbench, 'convert an integer to roman numerals');
      await frame.locator('#state', { hasText: /result/ }).waitFor({ timeout: 30_000 });
      writeFileSync(
        join(session!.workspace, 'ruby', 'roman.rb'),
        ['# Roman numerals for positive integers.', 'def to_roman_numeral(number)', '  numerals = { 1000 => "M", 900 => "CM", 500 => "D", 400 => "CD", 100 => "C", 90 => "XC",', '               50 => "L", 40 => "XL", 10 => "X", 9 => "IX", 5 => "V", 4 => "IV", 1 => "I" }', '  numerals.reduce("") do |roman, (value, letter)|', '    count, number = number.divmod(value)', '    roman + letter * count', '  end', 'end', ''].join('\n'),
      );
      await workbench.waitForStatus(/paused \(1 change held\)/, 30_000);
      assert.equal(await frame.locator('li.result .symbol', { hasText: 'to_roman_numeral' }).count(), 0, 'nothing is indexed while paused');
      await workbench.screenshot('paused');
      await workbench.runCommand('CodeGraph: Resume Indexing');
      await frame.locator('li.result .symbol', { hasText: 'to_roman_numeral' }).first().waitFor({ timeout: 60_000 });
      await workbench.waitForStatus(/CodeGraph: [\d,]+ chunks/, 30_000);
    });
  });

  it('shows status, metrics and actions from the status bar item', async () => {
    await step('status-pick', async (workbench) => {
      await workbench.page.keyboard.press('Escape');
      await workbench.page.locator('.statusbar-item', { hasText: /CodeGraph:/ }).first().click();
      const rows = await workbench.quickPickRows('Index Status');
      const text = rows.join('\n');
      assert.ok(text.includes(`Model: ${defaultModelId()}`), text);
      assert.match(text, /Embedding p50 .* search p50/);
      assert.match(text, /Cache hit ratio/);
      // Whose memory: the extension host process, which every extension shares.
      assert.match(text, /Extension host process: RSS \d+/);
      assert.match(text, /last indexed (now|\d+ (seconds?|minutes?) ago)/);
      assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:/, 'no raw ISO timestamp');
      assert.match(text, /Pause Indexing/);
      // Every row fits: the last one, Show Log, is not cut off by the list's edge.
      const list = await workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list').first().boundingBox();
      const lastRow = await workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Show Log' }).first().boundingBox();
      assert.ok(list && lastRow, 'the Show Log row is rendered');
      assert.ok(lastRow.y >= list.y && lastRow.y + lastRow.height <= list.y + list.height + 1, `Show Log (${lastRow.y}+${lastRow.height}) fits in the list (${list.y}+${list.height})`);
      await workbench.screenshot('status-pick');
      await workbench.page.keyboard.press('Escape');
    });
  });

  it('reindexes, clears the index after confirmation, and reports health', async () => {
    await step('maintenance', async (workbench) => {
      await workbench.runCommand('CodeGraph: Reindex Workspace');
      await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks/, 60_000);
      await workbench.runCommand('CodeGraph: Clear Index');
      const dialog = workbench.page.locator('.monaco-dialog-box', { hasText: 'Delete the CodeGraph index' });
      await dialog.waitFor({ timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Clear Index' }).click();
      // Rebuilt from the sources: the status passes through indexing back to a full count.
      await workbench.waitForStatus(/CodeGraph: (starting|scanning files|\d+\/\d+ files)/, 30_000);
      await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks/, 120_000);
      await workbench.runCommand('CodeGraph: Run Health Check');
      const toast = workbench.page.locator('.notification-toast', { hasText: 'CodeGraph health:' }).first();
      await toast.waitFor({ timeout: 30_000 });
      assert.match(await toast.innerText(), /CodeGraph health: OK/);
      await workbench.page.keyboard.press('Escape');
    });
  });

  it('serves a second extension through its API, and chat through its language-model tools', async () => {
    await step('api', async (workbench) => {
      const report = await runProbe<ProbeReport>(workbench, 'CodeGraph Probe: Run API Checks', probeOut);
      writeFileSync(join(session!.artifacts, 'api-probe.json'), JSON.stringify(report, null, 2));
      assert.ok(report.found);
      assert.equal(report.apiVersion, 1);
      assert.deepEqual(report.members, ['apiVersion', 'dimension', 'embed', 'modelId', 'onDidChangeStatus', 'onDidIndex', 'search', 'similar', 'similarity', 'status', 'whenIndexed']);
      assert.ok(report.modelId?.startsWith(defaultModelId()), `the bundled default model serves: ${report.modelId}`);
      assert.ok(report.dimension !== null && report.dimension > 0);

      assert.ok(report.search.ok, JSON.stringify(report.search));
      const top = report.search.value.findIndex((hit) => hit.path === 'python/rate_limiter.py');
      assert.ok(top >= 0 && top < 3, `rate_limiter.py in the top 3: ${report.search.value.map((hit) => hit.path).join(', ')}`);
      const hit = report.search.value[top]!;
      assert.ok(hit.fsPath.endsWith('/python/rate_limiter.py') && hit.uri.startsWith('file:///'));
      assert.ok(hit.startLine >= 1 && hit.endLine >= hit.startLine && hit.relevance > 0 && hit.relevance <= 1);
      assert.ok(report.searchFiltered.ok && report.searchFiltered.value.length > 0 && report.searchFiltered.value.every((language) => language === 'go'), JSON.stringify(report.searchFiltered));
      assert.ok(!report.searchBadLimit.ok && report.searchBadLimit.code === 'INVALID_INPUT', JSON.stringify(report.searchBadLimit));
      assert.ok(!report.searchEmpty.ok && report.searchEmpty.code === 'INVALID_INPUT', JSON.stringify(report.searchEmpty));
      assert.ok(report.similar.ok, JSON.stringify(report.similar));
      assert.equal(report.similar.value.origin.path, 'python/rate_limiter.py');
      assert.ok(report.similar.value.origin.startLine <= 17 && report.similar.value.origin.endLine >= 17);
      assert.ok(!report.similarOutside.ok && report.similarOutside.code === 'OUTSIDE_WORKSPACE', JSON.stringify(report.similarOutside));

      // Embeddings: the active model's vectors, flags for an unknown language and for truncation, typed errors.
      assert.ok(report.embed.ok, JSON.stringify(report.embed));
      assert.equal(report.embed.value.length, report.dimension);
      assert.equal(report.embed.value.isFloat32, true);
      assert.equal(report.embed.value.modelId, report.modelId);
      assert.ok(report.embedLanguage.ok, JSON.stringify(report.embedLanguage));
      assert.deepEqual(report.embedLanguage.value, { known: ['python', false], unknown: ['text', true] });
      assert.ok(!report.embedEmpty.ok && report.embedEmpty.code === 'INVALID_INPUT', JSON.stringify(report.embedEmpty));
      assert.ok(report.embedHuge.ok && report.embedHuge.value.truncated && report.embedHuge.value.length === report.dimension, JSON.stringify(report.embedHuge));
      assert.ok(report.similarity.ok, JSON.stringify(report.similarity));
      assert.ok(Math.abs(report.similarity.value.same - 1) < 1e-4 && Math.abs(report.similarity.value.vectors - 1) < 1e-4, JSON.stringify(report.similarity.value));
      assert.ok(report.similarity.value.related > report.similarity.value.unrelated, JSON.stringify(report.similarity.value));
      assert.ok(!report.similarityBad.ok && report.similarityBad.code === 'INVALID_INPUT', JSON.stringify(report.similarityBad));

      // Events: the file the probe wrote was indexed and announced, and is searchable.
      assert.ok(report.events.index.length > 0, 'onDidIndex fired for the new file');
      assert.ok(report.events.statusKinds.includes('idle'), `onDidChangeStatus fired: ${report.events.statusKinds.join(', ')}`);
      assert.ok(report.searchAdded.ok && report.searchAdded.value.some((added) => added.path === 'python/probe_added.py'), JSON.stringify(report.searchAdded));

      // Language-model tools, invoked as an agent would.
      assert.ok(report.lmApi.invokeTool, 'this VS Code has vscode.lm.invokeTool');
      assert.deepEqual(report.lmApi.tools.map((tool) => tool.name).sort(), ['codegraph_search', 'codegraph_similar']);
      assert.ok(report.toolSearch.ok, JSON.stringify(report.toolSearch));
      assert.match(report.toolSearch.value[0]!, /results from the local CodeGraph index for "token bucket rate limiter"/);
      assert.ok(report.toolSearch.value.slice(1).some((part) => /^python\/rate_limiter\.py:\d+-\d+ /.test(part) && /file:\/\/\/\S+rate_limiter\.py#L\d+-L\d+/.test(part)), report.toolSearch.value.join('\n---\n'));
      assert.ok(report.toolSimilar.ok, JSON.stringify(report.toolSimilar));
      assert.match(report.toolSimilar.value[0]!, /similar to refill|No code in the index is similar to refill/);
      // A method's code keeps its indentation: the signature is indented as in the file.
      assert.ok(report.toolSimilar.value.slice(1).every((part) => !/```python\ndef __init__/.test(part)), report.toolSimilar.value.join('\n---\n'));
      assert.ok(!report.toolBadInput.ok && /needs a file path and a 1-based line/.test(report.toolBadInput.error), JSON.stringify(report.toolBadInput));
    });
  });

  it('re-embeds the workspace with the model chosen by Select Embedding Model', async () => {
    await step('model-change', async (workbench) => {
      const page = workbench.page;
      await workbench.runCommand('CodeGraph: Select Embedding Model');
      const rows = await workbench.quickPickRows('Select Embedding Model');
      assert.match(rows.join('\n'), new RegExp(`Bundled default\\s*${defaultModelId()}`));
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Browse for a model folder' }).click();
      // VS Code's own folder dialog (the simple dialog, in a browser) reuses the picker's input box. It
      // opens showing a parent, lists its start folder, and only then writes that
      // path into the box: a path typed before that is overwritten, and the dialog then accepts the
      // workspace folder (the extension refuses it, and the status never changes). So: wait for the
      // dialog's own path, type, and accept once the typed folder is listed.
      const accept = page.locator('.quick-input-widget .monaco-button', { hasText: 'Use this model' });
      await accept.waitFor({ state: 'visible', timeout: 15_000 });
      const path = page.locator('.quick-input-widget .quick-input-box input').first();
      // The start folder is the workspace or, with an editor open, that file's folder.
      const start = [session!.workspace, realpathSync(session!.workspace)].map((folder) => `${folder}/`);
      await until(() => path.inputValue(), (value) => value.endsWith('/') && start.some((folder) => value.startsWith(folder)), 15_000, 'the folder dialog to list its start folder');
      // It may then move on to the active file's folder: type the model folder until it holds for a second.
      await until(
        async () => {
          if ((await path.inputValue()) !== `${TINY_MODEL}/`) await path.fill(`${TINY_MODEL}/`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return path.inputValue();
        },
        (value) => value === `${TINY_MODEL}/`,
        20_000,
        'the typed model folder to hold in the dialog',
      );
      // A folder dialog lists folders only, and the model folder has none: just '..' once it is listed.
      const listing = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await until(() => listing.allInnerTexts(), (rows) => rows.length === 1 && rows[0]!.trim() === '..', 15_000, 'the dialog to list the typed model folder');
      assert.equal(await path.inputValue(), `${TINY_MODEL}/`, 'the typed folder is still the dialog\'s value');
      await accept.click();
      await accept.waitFor({ state: 'hidden', timeout: 15_000 });
      // The picker confirms the folder it got (or says why it refused it) before the engine reopens.
      const outcome = page.locator('.notification-toast', { hasText: /CodeGraph: (model set to|.*not a CodeGraph model folder)/ }).first();
      await outcome.waitFor({ timeout: 15_000 });
      assert.ok((await outcome.innerText()).includes(`model set to ${TINY_MODEL}`), await outcome.innerText());
      const text = await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks · codegraph-tiny-test/, 90_000);
      assert.ok(!text.includes(defaultModelId()), text);
    });
  });

  it('pulls a model from a Hugging Face hub in the model picker and re-embeds with it', async () => {
    await step('model-pull', async (workbench) => {
      const page = workbench.page;
      await workbench.runCommand('CodeGraph: Select Embedding Model');
      await workbench.quickPickRows('Select Embedding Model');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Pull a model from Hugging Face' }).click();
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Pull Model from Hugging Face' }).waitFor({ state: 'visible', timeout: 15_000 });
      await page.locator('.quick-input-widget .quick-input-box input').first().fill(PULLED_REPO);
      await page.keyboard.press('Enter');
      const text = await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks · codegraph-tiny-pulled/, 90_000);
      assert.ok(!text.includes('codegraph-tiny-test'), text);
      assert.ok(hub!.requests.some((request) => request.url.endsWith('/model.onnx')), 'the model came from the local hub');
      // Installed where the picker lists it, under its folder name.
      assert.ok(existsSync(join(pulledModels, 'test-org--tiny-pulled', 'codegraph-pull.json')));
      await workbench.runCommand('CodeGraph: Select Embedding Model');
      const rows = await workbench.quickPickRows('Select Embedding Model');
      assert.ok(rows.some((row) => row.includes('test-org--tiny-pulled') && row.includes('codegraph-tiny-pulled')), rows.join(' | '));
      await page.keyboard.press('Escape');
    });
  });

  it('shows script from indexed code as text in the search panel, and runs none of it', async () => {
    await step('xss', async (workbench) => {
      const dialogs: string[] = [];
      workbench.page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<img src=x onerror=window.codegraphXss=1>'];
      mkdirSync(join(session!.workspace, 'xss'), { recursive: true });
      writeFileSync(
        join(session!.workspace, 'xss', 'banner.js'),
        ['/** Builds the banner markup. */', 'function renderXssBanner(target) {', ...payloads.map((payload) => `  target.innerHTML += '${payload}';`), '  return target;', '}', ''].join('\n'),
      );
      const frame = await search(workbench, 'renderXssBanner banner markup');
      const hit = frame.locator('li.result', { has: frame.locator('.symbol', { hasText: 'renderXssBanner' }) }).first();
      await hit.waitFor({ timeout: 60_000 });
      const snippet = await hit.locator('.snippet').innerText();
      for (const payload of payloads) assert.ok(snippet.includes(payload), `the snippet shows ${payload} as text: ${snippet}`);
      // Nothing became markup: no element from the payloads exists, and none of their code ran.
      assert.equal(await frame.locator('#results img, #results script').count(), 0);
      assert.equal(await frame.evaluate('typeof window.codegraphXss'), 'undefined');
      assert.deepEqual(dialogs, []);
    });
  });
});
