/**
 * Restricted Mode in a real VS Code: with workspace trust on, the folder opens
 * untrusted. CodeGraph must stay active but index nothing, say so when asked,
 * ignore a model path from workspace settings, and start indexing, with that
 * model, once the user trusts the folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TINY_MODEL } from '../helpers.js';
import { BASE_SETTINGS, openSession, type Session } from './harness/session.js';

describe('CodeGraph in an untrusted workspace (code-server)', { timeout: 300_000 }, () => {
  let session: Session | undefined;

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
    session = await openSession('trust', { ...BASE_SETTINGS, 'security.workspace.trust.enabled': true });
  });
  after(async () => {
    await session?.close();
  });

  it('stays in restricted mode and explains why nothing is indexed', async () => {
    await step('restricted', async ({ workbench, workspace }) => {
      // A model path supplied by the workspace: restricted until trusted.
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'codegraph.model': TINY_MODEL }));
      await workbench.waitForStatus(/CodeGraph: restricted/, 60_000);
      await workbench.runCommand('CodeGraph: Search Code Semantically');
      const toast = workbench.page.locator('.notification-toast', { hasText: 'does not index untrusted workspaces' }).first();
      await toast.waitFor({ timeout: 20_000 });
      await workbench.screenshot('restricted');
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    });
  });

  it('indexes once trusted, with the workspace-supplied model', async () => {
    await step('trusted', async ({ workbench }) => {
      await workbench.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click({ timeout: 20_000 });
      const text = await workbench.waitForStatus(/CodeGraph: [1-9][\d,]* chunks/, 120_000);
      assert.match(text, /codegraph-tiny-test/, 'the workspace model setting applies after trust');
    });
  });
});
