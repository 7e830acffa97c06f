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
import { defaultModelId, REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';
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

  before(async () => {
    // Trust prompts are the subject of trust.e2e.ts; here the workspace is trusted.
    // The extension host inherits these through code-server: pulls go to the local hub and a private model folder.
    hub = await startFakeHub({ repo: PULLED_REPO, files: pulledRepoFiles(), redirect: ['model.onnx'] });
    process.env['HF_ENDPOINT'] = hub.endpoint;
    process.env['CODEGRAPH_MODEL_HOME'] = pulledModels;
    // The tiny test model is chosen with the folder dialog below; models load only from configured folders.
    session = await openSession('main', { ...BASE_SETTINGS, 'codegraph.modelDirectories': [dirname(TINY_MODEL)] });
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
    for (const file of ['dist/extension.js', 'dist/worker.js', 'dist/webview/main.js', 'grammars/grammars.json', 'models/default.json']) {
      assert.ok(existsSync(join(root, file)), `packaged extension lacks ${file}`);
    }
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
      await frame.locator('#paths').fill('go/**, rust/**');
      await until(() => resultPaths(frame), (paths) => paths.length > 0 && paths.every((path) => path.startsWith('go/') || path.startsWith('rust/')), 20_000, 'only go/ and rust/ results');
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
      appendFileSync(
        join(session!.workspace, 'python', 'app.py'),
        [
          '',
          '',
          'def levenshtein_distance(source, target):',
          '    """Edit distance: the fewest insertions, deletions and substitutions turning source into target."""',
          '    previous = list(range(len(target) + 1))',
          '    for i, left in enumerate(source, 1):',
          '        current = [i]',
          '        for j, right in enumerate(target, 1):',
          '            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))',
          '        previous = current',
          '    return previous[-1]',
          '',
        ].join('\n'),
      );
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
      assert.match(text, /Embedding latency p50/);
      assert.match(text, /Cache hit ratio/);
      assert.match(text, /Memory: RSS/);
      assert.match(text, /Pause Indexing/);
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
