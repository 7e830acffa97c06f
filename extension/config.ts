import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { defaultModelDir, packageRoot } from '../engine/config/paths.js';
import type { FolderEngineSettings, FolderRef } from './core/folderIndex.js';
import type { Logger } from './core/logger.js';
import { engineSettingsChanged, parseSettings, resolveModel, SECTION, toEngineInput, type ExtensionSettings, type SettingProblem } from './core/settings.js';

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

  /** Engine options for a folder: model resolution, then the engine input. */
  engineSettings(folder: FolderRef): FolderEngineSettings {
    const uri = vscode.Uri.parse(folder.key);
    const settings = this.read(uri);
    const modelsDir = join(packageRoot(), 'models');
    const resolved = resolveModel(settings.model, settings.precision, {
      bundledModelsDir: modelsDir,
      defaultModelDir: defaultModelDir(),
      folderRoot: folder.root,
      isModelDir: (dir) => existsSync(join(dir, 'codegraph-model.json')),
    });
    const input = { ...toEngineInput(settings, folder.root, resolved.modelDir), workerFile: this.#workerFile };
    return { input, modelNotes: resolved.notes };
  }

  /** Whether a configuration change touches settings that require reopening the engine of `scope`. */
  static needsEngineRestart(before: ExtensionSettings, after: ExtensionSettings): boolean {
    return engineSettingsChanged(before, after);
  }

  logEffective(settings: ExtensionSettings, label: string): void {
    this.log.info(`Settings (${label}): ${JSON.stringify(settings)}`);
  }

  #report(problems: readonly SettingProblem[]): void {
    for (const problem of problems) {
      const line = `Setting ${problem.key} ${problem.message}`;
      if (this.#reported.has(line)) continue;
      this.#reported.add(line);
      this.log.warn(line);
      void vscode.window.showWarningMessage(`CodeGraph: ${line}`, 'Open Setting').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', problem.key);
      });
    }
  }
}
