import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { bundledModelsDir, defaultModelDir } from '../engine/config/paths.js';
// The layout check alone: the embedding index would load ONNX Runtime at activation.
import { isModelDirectory } from '../engine/embedding/hfLayout.js';
import { userModelsDir } from '../engine/models/paths.js';
import type { FolderEngineSettings, FolderRef } from './core/folderIndex.js';
import type { Logger } from './core/logger.js';
import { engineSettingsChanged, isInsideModelRoots, modelRootsOf, parseSettings, resolveModel, SECTION, SETTING_KEYS, toEngineInput, type ExtensionSettings, type SettingProblem } from './core/settings.js';

/** The settings package.json lists as `restrictedConfigurations`. */
const RESTRICTED_KEYS = [SETTING_KEYS.model, SETTING_KEYS.modelDirectories];

/**
 * Owns every read of the `codegraph` settings. Values are validated by the
 * pure `parseSettings`; problems are logged and shown once each, with a button
 * to the setting. Per-folder reads honour folder-level settings in multi-root
 * workspaces.
 */
export class Config {
  readonly #reported = new Set<string>();
  readonly #workerFile: string;

  constructor(
    private readonly log: Logger,
    extensionPath: string,
  ) {
    this.#workerFile = join(extensionPath, 'dist', 'worker.js');
  }

  /** Settings for a folder (or the window when none is given). */
  read(scope?: vscode.Uri): ExtensionSettings {
    const configuration = vscode.workspace.getConfiguration(SECTION, scope ?? null);
    // `get` returns the default from package.json when unset; validation sees exactly what the user wrote otherwise.
    const { settings, problems } = parseSettings((key) => configuration.get<unknown>(key));
    this.#report(problems);
    return settings;
  }

  /**
   * The raw values of the settings VS Code withholds in Restricted Mode (package.json's
   * `restrictedConfigurations`), for the window and each folder: a fingerprint that
   * changes when the workspace's values arrive after trust.
   */
  restrictedValues(): string {
    const scopes: (vscode.Uri | null)[] = [null, ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri)];
    return JSON.stringify(
      scopes.map((scope) => {
        const configuration = vscode.workspace.getConfiguration(SECTION, scope);
        return RESTRICTED_KEYS.map((key) => configuration.get<unknown>(key) ?? null);
      }),
    );
  }

  /** Engine options for a folder: model resolution, then the engine input. */
  engineSettings(folder: FolderRef): FolderEngineSettings {
    const uri = vscode.Uri.parse(folder.key);
    const settings = this.read(uri);
    const modelRoots = Config.modelRoots(settings);
    const resolved = resolveModel(settings.model, settings.precision, {
      bundledModelsDir: bundledModelsDir(),
      userModelsDir: userModelsDir(),
      defaultModelDir: defaultModelDir(),
      modelRoots,
      folderRoot: folder.root,
      isModelDir: isModelDirectory,
      realPath,
    });
    if (resolved.refused) this.#reportRefusedModel(folder, resolved.refused.message);
    const input = { ...toEngineInput(settings, folder.root, resolved.modelDir, modelRoots), workerFile: this.#workerFile };
    return { input, modelNotes: resolved.notes };
  }

  /** The folders models may load from, for these settings. */
  static modelRoots(settings: Pick<ExtensionSettings, 'modelDirectories'>): string[] {
    return modelRootsOf(settings, bundledModelsDir(), userModelsDir());
  }

  /** Whether a model folder lies in one of `roots`, links resolved. */
  static inModelRoots(dir: string, roots: readonly string[]): boolean {
    return isInsideModelRoots(dir, roots, realPath);
  }

  /** Whether a configuration change touches settings that require reopening the engine of `scope`. */
  static needsEngineRestart(before: ExtensionSettings, after: ExtensionSettings): boolean {
    return engineSettingsChanged(before, after);
  }

  logEffective(settings: ExtensionSettings, label: string): void {
    this.log.info(`Settings (${label}): ${JSON.stringify(settings)}`);
  }

  /** A refused model is shown once per folder and message, with a button to the setting that allows it. */
  #reportRefusedModel(folder: FolderRef, note: string): void {
    const line = `[${folder.name}] ${note}`;
    if (this.#reported.has(line)) return;
    this.#reported.add(line);
    const key = `${SECTION}.${SETTING_KEYS.modelDirectories}`;
    const openSettings = vscode.l10n.t('Open User Settings');
    void vscode.window.showWarningMessage(vscode.l10n.t('CodeGraph: {0}', line), openSettings).then((choice) => {
      if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', key);
    });
  }

  #report(problems: readonly SettingProblem[]): void {
    for (const problem of problems) {
      const line = `Setting ${problem.key} ${problem.message}`;
      if (this.#reported.has(line)) continue;
      this.#reported.add(line);
      this.log.warn(line);
      const openSetting = vscode.l10n.t('Open Setting');
      void vscode.window.showWarningMessage(vscode.l10n.t('CodeGraph: {0}', line), openSetting).then((choice) => {
        if (choice === openSetting) void vscode.commands.executeCommand('workbench.action.openSettings', problem.key);
      });
    }
  }
}

/** The real path, or the path itself when it does not exist (loading reports that). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
