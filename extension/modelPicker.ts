import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { packageRoot } from '../engine/config/paths.js';
import { SECTION, SETTING_KEYS } from './core/settings.js';

interface ModelPick extends vscode.QuickPickItem {
  readonly value: string | 'browse';
}

/** Bundled model folders (those with a manifest) and the default's name. */
export function bundledModels(): { ids: string[]; defaultId: string | null } {
  const dir = join(packageRoot(), 'models');
  let defaultId: string | null = null;
  try {
    defaultId = (JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')) as { default?: string }).default ?? null;
  } catch {
    // No default manifest: only explicit choices are offered.
  }
  const ids = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'codegraph-model.json')))
        .map((entry) => entry.name)
    : [];
  return { ids, defaultId };
}

/**
 * "Select Embedding Model": bundled models, lexical-only, or a folder on disk.
 * Writes the user setting; the configuration listener then reopens each engine
 * with the new model, which re-embeds every chunk.
 */
export async function selectModel(): Promise<void> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const current = configuration.get<string>(SETTING_KEYS.model) ?? '';
  const { ids, defaultId } = bundledModels();
  const mark = (value: string) => (value === current ? '$(check) ' : '');
  const items: ModelPick[] = [
    { label: `${mark('')}Bundled default`, description: defaultId ?? '', detail: 'The model shipped with the extension.', value: '' },
    ...ids.filter((id) => id !== defaultId).map((id) => ({ label: `${mark(id)}${id}`, description: 'bundled', value: id })),
    { label: `${mark('none')}No model (lexical-only)`, detail: 'Keyword (BM25) search only; nothing is embedded.', value: 'none' },
    { label: '$(folder-opened) Browse for a model folder…', detail: 'A folder with codegraph-model.json, an ONNX model and tokenizer.json.', value: 'browse' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'CodeGraph: Select Embedding Model', placeHolder: `Current: ${current || 'bundled default'}` });
  if (!picked) return;
  let value = picked.value;
  if (value === 'browse') {
    const folders = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this model' });
    const folder = folders?.[0];
    if (!folder) return;
    if (!existsSync(join(folder.fsPath, 'codegraph-model.json'))) {
      void vscode.window.showErrorMessage(`CodeGraph: ${folder.fsPath} has no codegraph-model.json, so it is not a CodeGraph model folder.`);
      return;
    }
    value = folder.fsPath;
  }
  if (value === current) return;
  // Write where the current value comes from, or a workspace value would keep overriding the choice.
  const inspected = configuration.inspect<string>(SETTING_KEYS.model);
  const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await configuration.update(SETTING_KEYS.model, value, target);
  void vscode.window.showInformationMessage(`CodeGraph: model set to ${value || 'the bundled default'}; re-embedding the workspace.`);
}
