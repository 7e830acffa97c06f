import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { packageRoot } from '../engine/config/paths.js';
// The layout check alone: the embedding index would load ONNX Runtime.
import { isModelDirectory } from '../engine/embedding/hfLayout.js';
import { listModels, pullModel, userModelsDir, validateRepoId, type ModelEntry, type PullResult } from '../engine/models/index.js';
import { Config } from './config.js';
import { parseSettings, SECTION, SETTING_KEYS } from './core/settings.js';

interface ModelPick extends vscode.QuickPickItem {
  readonly value: string | 'browse' | 'pull';
}

/** Bundled model folders (a manifest or a Hugging Face export) and the default's name. */
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
        .filter((entry) => entry.isDirectory() && isModelDirectory(join(dir, entry.name)))
        .map((entry) => entry.name)
    : [];
  return { ids, defaultId };
}

/** Models pulled into the user model folder; a broken folder listing is not worth failing the picker for. */
function userModels(): ModelEntry[] {
  try {
    return listModels().filter((model) => model.source === 'user');
  } catch {
    return [];
  }
}

/**
 * Model folders in the user models folder and in `codegraph.modelDirectories`
 * that are not pulled models: each such folder is a model folder itself or
 * holds model folders (a manifest or a Hugging Face export).
 */
function folderModels(roots: readonly string[], listed: ReadonlySet<string>): string[] {
  const found = roots.flatMap((root) => {
    if (isModelDirectory(root)) return [root];
    try {
      return readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => join(root, entry.name))
        .filter((dir) => isModelDirectory(dir));
    } catch {
      return [];
    }
  });
  return [...new Set(found)].filter((dir) => !listed.has(dir));
}

/**
 * "Select Embedding Model": bundled models, models pulled from the Hugging Face
 * Hub (and pulling another), lexical-only, or a folder on disk. Writes the user
 * setting; the configuration listener then reopens each engine with the new
 * model, which re-embeds every chunk.
 */
export async function selectModel(): Promise<void> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const current = configuration.get<string>(SETTING_KEYS.model) ?? '';
  const { ids, defaultId } = bundledModels();
  const pulled = userModels();
  const roots = Config.modelRoots(parseSettings((key) => configuration.get<unknown>(key)).settings);
  const folders = folderModels(roots.filter((root) => root !== join(packageRoot(), 'models')), new Set(pulled.map((model) => model.dir)));
  const mark = (value: string) => (value === current ? '$(check) ' : '');
  const markPulled = (model: ModelEntry) => (current !== '' && (model.dir === current || model.id === current || model.dir === resolve(current)) ? '$(check) ' : '');
  const items: ModelPick[] = [
    { label: `${mark('')}${vscode.l10n.t('Bundled default')}`, description: defaultId ?? '', detail: vscode.l10n.t('The model shipped with the extension.'), value: '' },
    ...ids.filter((id) => id !== defaultId).map((id) => ({ label: `${mark(id)}${id}`, description: vscode.l10n.t('bundled'), value: id })),
    ...(pulled.length > 0 ? [{ label: vscode.l10n.t('Pulled from Hugging Face'), kind: vscode.QuickPickItemKind.Separator, value: '' }] : []),
    ...pulled.map((model) => ({
      label: `${markPulled(model)}${model.id}`,
      description: model.manifestId ?? model.pull?.repo ?? '',
      detail: model.pull ? `${model.pull.repo}@${model.pull.commit.slice(0, 12)} · ${model.dir}` : model.dir,
      value: model.dir,
    })),
    ...(folders.length > 0 ? [{ label: vscode.l10n.t('Model folders'), kind: vscode.QuickPickItemKind.Separator, value: '' }] : []),
    ...folders.map((dir) => ({ label: `${current !== '' && dir === resolve(current) ? '$(check) ' : ''}${basename(dir)}`, detail: dir, value: dir })),
    { label: '', kind: vscode.QuickPickItemKind.Separator, value: '' },
    { label: `${mark('none')}${vscode.l10n.t('No model (lexical-only)')}`, detail: vscode.l10n.t('Keyword (BM25) search only; nothing is embedded.'), value: 'none' },
    { label: `$(folder-opened) ${vscode.l10n.t('Browse for a model folder…')}`, detail: vscode.l10n.t('A Hugging Face ONNX export (config.json, tokenizer.json, an .onnx file) or a folder with codegraph-model.json.'), value: 'browse' },
    { label: `$(cloud-download) ${vscode.l10n.t('Pull a model from Hugging Face…')}`, detail: vscode.l10n.t('Downloads an ONNX export and its tokenizer into {0}.', userModelsDir()), value: 'pull' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('CodeGraph: Select Embedding Model'), placeHolder: vscode.l10n.t('Current: {0}', current || vscode.l10n.t('bundled default')) });
  if (!picked) return;
  let value: string | undefined = picked.value;
  if (value === 'browse') value = await browseForModel(configuration);
  else if (value === 'pull') value = await pullFromHub();
  if (value === undefined || value === current) return;
  // Write where the current value comes from, or a workspace value would keep overriding the choice.
  const inspected = configuration.inspect<string>(SETTING_KEYS.model);
  const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await configuration.update(SETTING_KEYS.model, value, target);
  void vscode.window.showInformationMessage(vscode.l10n.t('CodeGraph: model set to {0}; re-embedding the workspace.', value || vscode.l10n.t('the bundled default')));
}

async function browseForModel(configuration: vscode.WorkspaceConfiguration): Promise<string | undefined> {
  const folders = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Use this model') });
  const folder = folders?.[0];
  if (!folder) return undefined;
  if (!isModelDirectory(folder.fsPath)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('CodeGraph: {0} has no codegraph-model.json (nor config.json with tokenizer.json), so it is not a CodeGraph model folder.', folder.fsPath));
    return undefined;
  }
  // Models load only from the model folders; a folder chosen here is the user's own choice, so offer to add it.
  const directories = configuration.get<string[]>(SETTING_KEYS.modelDirectories) ?? [];
  if (!Config.inModelRoots(folder.fsPath, Config.modelRoots({ modelDirectories: directories }))) {
    const addAndUse = vscode.l10n.t('Add and Use');
    const allow = await vscode.window.showWarningMessage(
      vscode.l10n.t('CodeGraph loads models only from the bundled models, {0} and the folders in codegraph.modelDirectories. Add {1} to codegraph.modelDirectories?', userModelsDir(), folder.fsPath),
      { modal: true },
      addAndUse,
    );
    if (allow !== addAndUse) return undefined;
    await configuration.update(SETTING_KEYS.modelDirectories, [...directories, folder.fsPath], vscode.ConfigurationTarget.Global);
  }
  return folder.fsPath;
}

const megabytes = (bytes: number) => (bytes / 1048576).toFixed(1);

/**
 * Asks for `owner/name[@revision]` and pulls it under a cancellable progress
 * notification: the only place the extension touches the network, and only on
 * this explicit request. Returns the installed folder.
 */
async function pullFromHub(): Promise<string | undefined> {
  const input = await vscode.window.showInputBox({
    title: vscode.l10n.t('CodeGraph: Pull Model from Hugging Face'),
    prompt: vscode.l10n.t('Model id on the Hub, optionally @revision. It needs an ONNX export (onnx/model.onnx or model.onnx) and tokenizer.json. HF_ENDPOINT and HF_TOKEN are honoured.'),
    placeHolder: 'owner/name',
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        validateRepoId(text.trim().split('@')[0]!);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (!input) return undefined;
  const [repo, revision] = input.trim().split('@') as [string, string | undefined];
  const run = (force: boolean) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('CodeGraph: pulling {0}', repo), cancellable: true }, (progress, token): Promise<PullResult> => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let shown = 0;
      return pullModel({
        repo,
        revision,
        force,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase !== 'downloading' || event.bytesTotal <= 0) return;
          const percent = (100 * event.bytesDone) / event.bytesTotal;
          progress.report({ message: vscode.l10n.t('{0}: {1} of {2} MB', event.file, megabytes(event.bytesDone), megabytes(event.bytesTotal)), increment: percent - shown });
          shown = percent;
        },
      });
    });
  try {
    let result: PullResult;
    try {
      result = await run(false);
    } catch (error) {
      // Another commit of the repo is installed: replacing it is the user's call.
      if ((error as { code?: string; details?: { option?: string } }).code !== 'INVALID_CONFIG' || (error as { details?: { option?: string } }).details?.option !== 'force') throw error;
      const replace = vscode.l10n.t('Replace');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('CodeGraph: {0}?', (error as Error).message.replace('pass --force to replace', 'replace')), { modal: true }, replace);
      if (choice !== replace) return undefined;
      result = await run(true);
    }
    const pulledAs = `${result.record.repo}@${result.record.commit.slice(0, 12)}`;
    void vscode.window.showInformationMessage(result.downloaded ? vscode.l10n.t('CodeGraph: pulled {0} into {1}.', pulledAs, result.dir) : vscode.l10n.t('CodeGraph: already had {0} in {1}.', pulledAs, result.dir));
    return result.dir;
  } catch (error) {
    if ((error as { code?: string }).code === 'CANCELLED') return undefined;
    const hint = (error as { details?: { hint?: unknown } }).details?.hint;
    void vscode.window.showErrorMessage(vscode.l10n.t('CodeGraph: pulling {0} failed: {1}', repo, `${(error as Error).message}${typeof hint === 'string' ? ` ${hint}` : ''}`));
    return undefined;
  }
}
