/**
 * Restricted Mode in a real VS Code: with workspace trust on, the folder opens
 * untrusted. CodeGraph must stay active but index nothing, say so when asked,
 * ignore a model path from workspace settings, and start indexing, with that
 * model, once the user trusts the folder. Even then, a workspace cannot point
 * the model setting outside the user's model folders, nor add to them.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultModelId, TINY_MODEL } from '../helpers.js';
import { packApiProbe, runProbe } from './harness/apiProbe.js';
import { BASE_SETTINGS, openSession, type Session } from './harness/session.js';

/** The first file called `name` under `dir`, depth first. */
function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return path;
    const found = entry.isDirectory() ? findFile(path, name) : undefined;
    if (found) return found;
  }
  return undefined;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string; code: string | null };
interface RestrictedProbe {
  trusted: boolean;
  status: { kind: string };
  modelIdBefore: string | null;
  embed: Attempt<{ length: number; modelId: string; language: string }>;
  dimension: number | null;
  modelId: string | null;
  search: Attempt<unknown>;
  similar: Attempt<unknown>;
  toolSearch: Attempt<number>;
}

describe('CodeGraph in an untrusted workspace (code-server)', { timeout: 300_000 }, () => {
  let session: Session | undefined;
  const probeDir = mkdtempSync(join(tmpdir(), 'codegraph-e2e-probe-'));
  const probeOut = join(probeDir, 'restricted.json');

  const step = async (name: string, body: (session: Session) => Promise<void>): Promise<void> => {
    assert.ok(session, 'the workbench did not open');
    try {
      await body(session);
    } catch (error) {
      await session.workbench.screenshot(`failed-${name}`).catch(() => undefined);
      throw error;
    }
  };

  before(async () => {
    process.env['CODEGRAPH_E2E_PROBE_OUT'] = probeOut;
    session = await openSession('trust', { ...BASE_SETTINGS, 'security.workspace.trust.enabled': true }, { extraExtensions: [packApiProbe(probeDir)] });
  });
  after(async () => {
    await session?.close();
    rmSync(probeDir, { recursive: true, force: true });
  });

  it('stays in restricted mode and explains why nothing is indexed', async () => {
    await step('restricted', async ({ workbench, workspace, userDataDir }) => {
      // A model path supplied by the workspace: restricted until trusted.
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'codegraph.model': TINY_MODEL }));
      await workbench.waitForStatus(/CodeGraph: restricted/, 60_000);
      // Another extension may embed (with the bundled default model, whatever the workspace says), but not search.
      const probe = await runProbe<RestrictedProbe>(workbench, 'CodeGraph Probe: Run Restricted Mode Checks', probeOut);
      writeFileSync(join(session!.artifacts, 'api-probe-restricted.json'), JSON.stringify(probe, null, 2));
      assert.equal(probe.trusted, false);
      assert.equal(probe.status.kind, 'untrusted');
      assert.equal(probe.modelIdBefore, null, 'no model is loaded before anything asks for one');
      assert.ok(probe.embed.ok, JSON.stringify(probe.embed));
      assert.ok(probe.embed.value.modelId.startsWith(defaultModelId()), `the bundled default model embeds, not the workspace's: ${probe.embed.value.modelId}`);
      assert.equal(probe.dimension, probe.embed.value.length);
      assert.equal(probe.modelId, probe.embed.value.modelId);
      assert.ok(!probe.search.ok && probe.search.code === 'UNTRUSTED_WORKSPACE', JSON.stringify(probe.search));
      assert.ok(!probe.similar.ok && probe.similar.code === 'UNTRUSTED_WORKSPACE', JSON.stringify(probe.similar));
      assert.ok(!probe.toolSearch.ok, `the language-model tool refuses in Restricted Mode: ${JSON.stringify(probe.toolSearch)}`);
      await workbench.runCommand('CodeGraph: Search Code Semantically');
      const toast = workbench.page.locator('.notification-toast', { hasText: 'Untrusted workspaces are not indexed' }).first();
      await toast.waitFor({ timeout: 20_000 });
      // The "CodeGraph: " prefix names the extension once; the message does not repeat it.
      const message = await toast.locator('.notification-list-item-message').innerText();
      assert.match(message, /^CodeGraph: Untrusted workspaces are not indexed/);
      assert.equal(message.match(/CodeGraph/g)?.length, 1, message);
      await workbench.screenshot('restricted');
      // Nothing was indexed and no engine opened: no index cache exists, and the extension's log
      // shows restricted mode but never an engine or the workspace's model path.
      const cacheHome = join(workspace, '..', 'index-cache');
      assert.ok(!existsSync(cacheHome) || readdirSync(cacheHome).length === 0, `no index cache in ${cacheHome}`);
      const log = readFileSync(findFile(join(userDataDir, 'logs'), 'CodeGraph.log') ?? assert.fail('no CodeGraph log'), 'utf8');
      assert.match(log, /Workspace is not trusted/);
      assert.doesNotMatch(log, /Engine opened/);
      assert.ok(!log.includes(TINY_MODEL), 'the workspace model path was not used');
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    });
  });

  it('indexes once trusted, with the workspace-supplied model', async () => {
    await step('trusted', async ({ workbench, userDataDir }) => {
      await workbench.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click({ timeout: 20_000 });
      await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks · codegraph-tiny-test/, 120_000);
      // The workspace's model reaches extensions after the trust event; the first engine opened waits for it.
      const log = readFileSync(findFile(join(userDataDir, 'logs'), 'CodeGraph.log') ?? assert.fail('no CodeGraph log'), 'utf8');
      const opened = log.match(/Engine opened in \d+ ms: model (\S+)/);
      assert.ok(opened?.[1]?.startsWith('codegraph-tiny-test'), `the first engine opened after trust uses the workspace model: ${opened?.[0]}`);
    });
  });

  it('refuses a workspace model outside the model folders, even when the workspace lists its folder', async () => {
    await step('refused-model', async ({ workbench, workspace }) => {
      const copy = join(workspace, 'vendored-model');
      cpSync(TINY_MODEL, copy, { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'codegraph.model': copy, 'codegraph.modelDirectories': [workspace] }));
      const toast = workbench.page.locator('.notification-toast', { hasText: 'outside the model folders' }).first();
      await toast.waitFor({ timeout: 30_000 });
      assert.match(await toast.innerText(), /codegraph\.modelDirectories/, 'the warning names the setting that allows a model folder');
      const text = await workbench.waitForStatus(new RegExp(`CodeGraph: [1-9][\\d,]* chunks · ${defaultModelId()}`), 120_000);
      assert.ok(!text.includes('codegraph-tiny-test'), `the refused model is not loaded: ${text}`);
    });
  });
});
