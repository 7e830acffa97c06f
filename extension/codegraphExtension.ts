import { join } from 'node:path';
import * as vscode from 'vscode';
import { LANGUAGES } from '../engine/parsing/languages.js';
import { CONTEXT_KEYS } from './core/commandIds.js';
import { Disposable, type DisposableLike } from './core/disposable.js';
import { NoWorkspaceError, OutsideWorkspaceError, UntrustedWorkspaceError } from './core/errors.js';
import { FolderIndex, type EngineOpener, type FolderRef } from './core/folderIndex.js';
import { resolveInsideFolder } from './core/openRequest.js';
import { indexStateView } from './core/searchResults.js';
import { SimilarLookup } from './core/similarity.js';
import type { ExtensionSettings } from './core/settings.js';
import { summarize, type WorkspaceStatus } from './core/statusModel.js';
import { WorkspaceIndexes } from './core/workspaceIndexes.js';
import { Config } from './config.js';
import { FileEventRouter } from './fileEvents.js';
import type { OutputLogger } from './log.js';
import { SearchEditorPanel, SearchViewProvider, type SearchHost } from './searchView.js';
import { SimilarCodeLensProvider, SimilarHoverProvider, type SimilarHost } from './similar.js';
import { registerLanguageModelTools } from './lmTools.js';
import { PublicApi } from './publicApi.js';
import { IndexStatusBar } from './statusBar.js';
import type { CodeGraphApi } from './api.js';
import type { IndexStateView } from './shared/protocol.js';

/**
 * Opens an engine. The engine module (ONNX Runtime, SQLite, tree-sitter) is
 * imported on first use, not at activation, so activating stays cheap.
 */
const openEngine: EngineOpener = async (input, options) => {
  const { CodeGraph } = await import('../engine/codegraph.js');
  return CodeGraph.open(input, options);
};

function folderRef(folder: vscode.WorkspaceFolder): FolderRef {
  return { key: folder.uri.toString(), name: folder.name, root: folder.uri.fsPath };
}

export type { CodeGraphApi } from './api.js';

/** How long a newly trusted workspace waits for its restricted settings before indexing without them. */
const TRUST_SETTINGS_WAIT_MS = 5000;

/**
 * The extension's long-lived state: log, configuration, status bar, providers,
 * and, while the workspace is trusted and has folders, the indexing session
 * (one engine per folder plus file events). Built once by `activate`.
 */
export class CodeGraphExtension extends Disposable implements SearchHost, SimilarHost {
  readonly config: Config;
  readonly lookup = new SimilarLookup();
  readonly statusBar: IndexStatusBar;
  readonly searchView: SearchViewProvider;
  readonly searchPanel: SearchEditorPanel;
  readonly lenses: SimilarCodeLensProvider;
  readonly extensionUri: vscode.Uri;
  readonly publicApi: PublicApi;
  readonly #onDidChangeState = this.register(new vscode.EventEmitter<void>());
  readonly #settings = new Map<string, ExtensionSettings>();
  #windowSettings: ExtensionSettings;
  #indexes: WorkspaceIndexes | null = null;
  /** Everything that lives exactly as long as the indexing session. */
  #sessionDisposables: DisposableLike[] = [];
  #lensGeneration = -1;
  #lensRefresh: NodeJS.Timeout | null = null;
  /** Set between the trust event and the settings it brings (see #trustGranted). */
  #trustSettling: DisposableLike | null = null;

  constructor(
    context: vscode.ExtensionContext,
    readonly log: OutputLogger,
  ) {
    super();
    this.extensionUri = context.extensionUri;
    this.config = new Config(log, context.extensionPath);
    this.#windowSettings = this.config.read();
    this.statusBar = this.register(new IndexStatusBar());
    this.searchView = this.register(new SearchViewProvider(this));
    this.searchPanel = this.register(new SearchEditorPanel(this));
    this.lenses = this.register(new SimilarCodeLensProvider(this));
    this.publicApi = this.register(
      new PublicApi({
        workerFile: join(context.extensionPath, 'dist', 'worker.js'),
        indexes: () => this.#indexes,
        requireIndexes: () => this.requireIndexes(),
        status: () => this.status(),
        whenIndexed: () => this.whenIndexed(),
      }),
    );
    for (const tool of registerLanguageModelTools(this.publicApi)) this.register(tool);
    const selector: vscode.DocumentSelector = { scheme: 'file' };
    this.register(vscode.languages.registerCodeLensProvider(selector, this.lenses));
    this.register(vscode.languages.registerHoverProvider(selector, new SimilarHoverProvider(this)));
    this.register(vscode.workspace.onDidChangeConfiguration((event) => this.#configurationChanged(event)));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.#foldersChanged()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.#trustGranted()));
    this.register({ dispose: () => this.#trustSettling?.dispose() });
    this.register({ dispose: () => this.#stopSession() });
    this.register({ dispose: () => this.#lensRefresh && clearTimeout(this.#lensRefresh) });
    this.config.logEffective(this.#windowSettings, 'window');
  }

  readonly onDidChangeState = (listener: () => void): DisposableLike => this.#onDidChangeState.event(listener);

  /** Heavy work, after activation returned: opening engines and indexing. */
  start(): void {
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.trusted, vscode.workspace.isTrusted);
    if (!vscode.workspace.isTrusted) {
      this.log.info('Workspace is not trusted: indexing is off until it is (Restricted Mode).');
      this.#updateStatus();
      return;
    }
    this.#startSession();
  }

  indexes(): WorkspaceIndexes | null {
    return this.#indexes;
  }

  /** The indexes, or a typed error that says why there are none. */
  requireIndexes(): WorkspaceIndexes {
    if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError();
    if (!this.#indexes || this.#indexes.size === 0) throw new NoWorkspaceError();
    return this.#indexes;
  }

  status(): WorkspaceStatus {
    if (this.#trustSettling) return { kind: 'starting' };
    return summarize(this.#indexes?.snapshots() ?? [], vscode.workspace.isTrusted);
  }

  stateView(): IndexStateView {
    return indexStateView(this.status(), this.#lensGeneration);
  }

  languages(): readonly string[] {
    return LANGUAGES.map((spec) => spec.id).sort();
  }

  codeLensEnabled(): boolean {
    return this.#windowSettings.codeLens;
  }

  hoverEnabled(): boolean {
    return this.#windowSettings.hover;
  }

  async whenIndexed(): Promise<WorkspaceStatus> {
    await this.#indexes?.whenSettled();
    return this.status();
  }

  get api(): CodeGraphApi {
    return this.publicApi.api();
  }

  async openLocation(folderKey: string, path: string, startLine: number, endLine: number, options: { preview: boolean; column: vscode.ViewColumn }): Promise<void> {
    const index = this.#indexes?.get(folderKey);
    if (!index) throw new OutsideWorkspaceError(`no open workspace folder ${JSON.stringify(folderKey)}`);
    const absolute = await resolveInsideFolder(index.folder.root, path);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(absolute));
    const last = Math.min(document.lineCount, endLine) - 1;
    const first = Math.min(document.lineCount, startLine) - 1;
    const start = new vscode.Position(first, document.lineAt(first).firstNonWhitespaceCharacterIndex);
    const editor = await vscode.window.showTextDocument(document, { preview: options.preview, viewColumn: options.column, selection: new vscode.Range(start, start) });
    const range = new vscode.Range(first, 0, last, document.lineAt(last).text.length);
    editor.revealRange(range, vscode.TextEditorRevealType.AtTop);
    flashRange(editor, range);
  }

  async shutdown(): Promise<void> {
    const indexes = this.#indexes;
    this.#stopSession();
    await indexes?.closeAll();
  }

  #startSession(): void {
    if (this.#indexes || this.isDisposed) return;
    const indexes = new WorkspaceIndexes({
      createIndex: (folder) => new FolderIndex({ folder, open: openEngine, log: this.log }),
      settingsFor: (folder) => {
        this.#settings.set(folder.key, this.config.read(vscode.Uri.parse(folder.key)));
        return this.config.engineSettings(folder);
      },
      log: this.log,
    });
    this.#indexes = indexes;
    this.#sessionDisposables = [
      indexes,
      indexes.onDidChange(() => this.#updateStatus()),
      new FileEventRouter(indexes, () => this.#scheduleLensRefresh()),
    ];
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.active, true);
    this.#foldersChanged();
  }

  #stopSession(): void {
    const disposables = this.#sessionDisposables;
    this.#sessionDisposables = [];
    this.#indexes = null;
    for (const disposable of disposables.reverse()) {
      try {
        disposable.dispose();
      } catch (error) {
        this.log.error('Disposing the indexing session failed', error);
      }
    }
  }

  /**
   * VS Code hands the workspace's values of restricted settings (`codegraph.model`,
   * `codegraph.modelDirectories`) to extensions after the trust event, and not in the
   * first configuration change that follows it: 0.8 s after it in code-server, 1.25 s
   * on a busy machine. Starting at once would index with the default model, then all
   * over again with the workspace's. So the session starts once those values differ
   * from what Restricted Mode showed, or after TRUST_SETTINGS_WAIT_MS when the
   * workspace sets none of them.
   */
  #trustGranted(): void {
    if (this.#trustSettling || this.#indexes) return;
    this.log.info('Workspace trusted: reading its settings, then indexing.');
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.trusted, true);
    const restricted = this.config.restrictedValues();
    const start = (): void => {
      if (!this.#trustSettling) return;
      this.#trustSettling.dispose();
      this.#trustSettling = null;
      this.#startSession();
    };
    const timer = setTimeout(start, TRUST_SETTINGS_WAIT_MS);
    const listener = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('codegraph') && this.config.restrictedValues() !== restricted) start();
    });
    this.#trustSettling = {
      dispose: () => {
        clearTimeout(timer);
        listener.dispose();
      },
    };
    this.#updateStatus();
  }

  #foldersChanged(): void {
    if (!this.#indexes) return this.#updateStatus();
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => {
      if (folder.uri.scheme === 'file') return true;
      this.log.warn(`Skipping folder ${folder.name}: only local folders can be indexed (scheme ${folder.uri.scheme}).`);
      return false;
    });
    this.#indexes.setFolders(folders.map(folderRef));
    for (const key of [...this.#settings.keys()]) if (!this.#indexes.get(key)) this.#settings.delete(key);
    this.#updateStatus();
  }

  #configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration('codegraph')) return;
    const before = this.#windowSettings;
    this.#windowSettings = this.config.read();
    this.config.logEffective(this.#windowSettings, 'window');
    if (before.codeLens !== this.#windowSettings.codeLens || before.hover !== this.#windowSettings.hover) this.lenses.refresh();
    for (const index of this.#indexes?.all() ?? []) {
      const uri = vscode.Uri.parse(index.folder.key);
      if (!event.affectsConfiguration('codegraph', uri)) continue;
      const previous = this.#settings.get(index.folder.key);
      const next = this.config.read(uri);
      if (previous && !Config.needsEngineRestart(previous, next)) continue;
      this.#settings.set(index.folder.key, next);
      this.log.info(`[${index.folder.name}] Engine settings changed: reopening the index${previous?.model !== next.model ? ' with the new model (chunks are re-embedded)' : ''}.`);
      this.lookup.clear();
      void index.reconfigure(this.config.engineSettings(index.folder)).catch((error: unknown) => this.log.error(`[${index.folder.name}] Reopening failed`, error));
    }
  }

  #updateStatus(): void {
    if (this.isDisposed) return;
    this.statusBar.update(this.status());
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.paused, this.#indexes?.anyPaused ?? false);
    const generation = (this.#indexes?.snapshots() ?? []).reduce((sum, snapshot) => sum + snapshot.generation, 0);
    if (generation !== this.#lensGeneration) {
      this.#lensGeneration = generation;
      this.#scheduleLensRefresh();
    }
    this.#onDidChangeState.fire();
    this.publicApi.stateChanged();
  }

  #scheduleLensRefresh(): void {
    if (this.#lensRefresh) clearTimeout(this.#lensRefresh);
    this.#lensRefresh = setTimeout(() => {
      this.#lensRefresh = null;
      this.lenses.refresh();
    }, 250);
  }
}

/** Briefly highlights an opened range so the eye finds it. */
function flashRange(editor: vscode.TextEditor, range: vscode.Range): void {
  const decoration = vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'), isWholeLine: true });
  editor.setDecorations(decoration, [range]);
  setTimeout(() => decoration.dispose(), 1500);
}
