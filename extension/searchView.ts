import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { SEARCH_PANEL_TYPE, SEARCH_VIEW_ID } from './core/commandIds.js';
import { Disposable, type DisposableLike } from './core/disposable.js';
import { describeError, type Logger } from './core/logger.js';
import { firstLineIndents, toResultViews } from './core/searchResults.js';
import { createNonce, renderSearchHtml } from './core/webviewHtml.js';
import type { WorkspaceIndexes } from './core/workspaceIndexes.js';
import { parseWebviewMessage, type HostToWebview, type IndexStateView, type PanelStrings } from './shared/protocol.js';

const RESULT_LIMIT = 30;

/** What a search webview needs from the rest of the extension. */
export interface SearchHost {
  readonly extensionUri: vscode.Uri;
  readonly log: Logger;
  indexes(): WorkspaceIndexes | null;
  languages(): readonly string[];
  stateView(): IndexStateView;
  readonly onDidChangeState: (listener: () => void) => DisposableLike;
  /** Opens a folder-relative location after validating it; throws OutsideWorkspaceError otherwise. */
  openLocation(folderKey: string, path: string, startLine: number, endLine: number, options: { preview: boolean; column: vscode.ViewColumn }): Promise<void>;
}

/** The panel's own words, translated here because the webview has no access to `vscode.l10n`. */
export function panelStrings(): PanelStrings {
  return {
    allLanguages: vscode.l10n.t('All languages'),
    noResults: vscode.l10n.t('No results'),
    oneResult: vscode.l10n.t('1 result'),
    manyResults: vscode.l10n.t('{0} results'),
    resultsIn: vscode.l10n.t('{0} in {1} ms'),
    keywordOnly: vscode.l10n.t('(keyword search only)'),
    searchFailed: vscode.l10n.t('Search failed: {0}'),
    relevanceEngine: vscode.l10n.t('Relevance {0}%'),
    relevanceRelative: vscode.l10n.t('Relevance {0}% of the best result'),
    linesAbove: vscode.l10n.t('more lines above'),
    linesBelow: vscode.l10n.t('more lines below'),
  };
}

/** Webview options: scripts on, forms off (CSP), resources only from dist/webview. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableForms: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

/**
 * The host half of one search webview (sidebar view or editor panel): answers
 * its typed messages, drops stale search results, pushes index state.
 */
export class SearchSession extends Disposable {
  #latestRequest = -1;
  #ready = false;
  #queued: HostToWebview[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    private readonly host: SearchHost,
    private readonly column: () => vscode.ViewColumn,
  ) {
    super();
    webview.options = webviewOptions(host.extensionUri);
    webview.html = this.#html();
    this.register(webview.onDidReceiveMessage((raw: unknown) => void this.#receive(raw)));
    this.register(host.onDidChangeState(() => this.#post({ type: 'indexState', state: host.stateView() })));
  }

  focusQuery(query?: string): void {
    this.#post(query === undefined ? { type: 'focusQuery' } : { type: 'focusQuery', query });
  }

  #html(): string {
    const asset = (name: string) => this.webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview', name)).toString();
    return renderSearchHtml({
      cspSource: this.webview.cspSource,
      nonce: createNonce(),
      scriptUri: asset('main.js'),
      styleUri: asset('main.css'),
      codiconUri: asset('codicon.css'),
      initialState: { multiRoot: (this.host.indexes()?.size ?? 0) > 1 },
      title: vscode.l10n.t('CodeGraph Search'),
      language: vscode.env.language,
    });
  }

  #post(message: HostToWebview): void {
    if (this.isDisposed) return;
    if (!this.#ready && message.type !== 'init') {
      // Until the script says it is listening, keep only what still matters when it is.
      this.#queued = [...this.#queued.filter((queued) => queued.type !== message.type), message];
      return;
    }
    void this.webview.postMessage(message);
  }

  async #receive(raw: unknown): Promise<void> {
    let message;
    try {
      message = parseWebviewMessage(raw);
    } catch (error) {
      this.host.log.warn(`Search panel sent an invalid message, ignored: ${describeError(error)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        this.#ready = true;
        this.#post({ type: 'init', languages: this.host.languages(), multiRoot: (this.host.indexes()?.size ?? 0) > 1, state: this.host.stateView(), strings: panelStrings() });
        const queued = this.#queued;
        this.#queued = [];
        for (const pending of queued) this.#post(pending);
        return;
      }
      case 'search':
        return this.#search(message.requestId, message.query, message.filters);
      case 'open':
        try {
          await this.host.openLocation(message.folder, message.path, message.startLine, message.endLine, { preview: message.preview, column: this.column() });
        } catch (error) {
          this.host.log.warn(`Refused to open ${message.path}: ${describeError(error)}`);
          void vscode.window.showErrorMessage(vscode.l10n.t('CodeGraph: {0}', describeError(error)));
        }
        return;
      case 'cspViolation':
        this.host.log.error(`Search panel content security policy blocked ${message.blockedUri || 'an inline resource'} (${message.directive})`);
        return;
    }
  }

  async #search(requestId: number, query: string, filters: { languages: readonly string[]; paths: readonly string[] }): Promise<void> {
    if (requestId <= this.#latestRequest) return;
    this.#latestRequest = requestId;
    const indexes = this.host.indexes();
    if (!indexes || query.trim() === '') {
      this.#post({ type: 'results', requestId, query, items: [], elapsedMs: 0, serviceLevel: 'hybrid', warnings: indexes ? [] : [this.host.stateView().text] });
      return;
    }
    const started = performance.now();
    try {
      const result = await indexes.search(query, { limit: RESULT_LIMIT, languages: filters.languages, paths: filters.paths });
      // A newer keystroke has been answered or is running: this answer is stale.
      if (requestId !== this.#latestRequest) return;
      const indents = await firstLineIndents(result.hits, (path) => readFile(path, 'utf8'));
      if (requestId !== this.#latestRequest) return;
      const serviceLevel = indexes.snapshots().every((snapshot) => snapshot.serviceLevel === 'hybrid') ? 'hybrid' : 'lexical-only';
      this.#post({
        type: 'results',
        requestId,
        query,
        items: toResultViews(result.hits, query, indents),
        elapsedMs: Math.round(performance.now() - started),
        serviceLevel,
        warnings: result.failures.map((failure) => `${failure.folder.name}: ${failure.message}`),
      });
    } catch (error) {
      if (requestId !== this.#latestRequest) return;
      this.host.log.error(`Search failed for '${query}'`, error);
      this.#post({ type: 'searchFailed', requestId, message: describeError(error) });
    }
  }
}

/** The search view in CodeGraph's activity-bar container. */
export class SearchViewProvider extends Disposable implements vscode.WebviewViewProvider {
  #session: SearchSession | null = null;
  #view: vscode.WebviewView | null = null;

  constructor(private readonly host: SearchHost) {
    super();
    this.register(vscode.window.registerWebviewViewProvider(SEARCH_VIEW_ID, this, { webviewOptions: { retainContextWhenHidden: true } }));
    this.register({ dispose: () => this.#session?.dispose() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.#session?.dispose();
    this.#view = view;
    const session = new SearchSession(view.webview, this.host, () => vscode.ViewColumn.Active);
    this.#session = session;
    view.onDidDispose(() => {
      session.dispose();
      if (this.#session === session) {
        this.#session = null;
        this.#view = null;
      }
    });
  }

  /** Reveals the view and focuses its query box. */
  async reveal(query?: string): Promise<void> {
    await vscode.commands.executeCommand(`${SEARCH_VIEW_ID}.focus`);
    this.#view?.show(false);
    this.#session?.focusQuery(query);
  }
}

/** The search panel as an editor tab: one live instance, restored after reload. */
export class SearchEditorPanel extends Disposable implements vscode.WebviewPanelSerializer {
  #panel: vscode.WebviewPanel | null = null;
  #session: SearchSession | null = null;

  constructor(private readonly host: SearchHost) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(SEARCH_PANEL_TYPE, this));
    this.register({ dispose: () => this.#panel?.dispose() });
  }

  createOrShow(query?: string): void {
    if (this.#panel) {
      this.#panel.reveal();
      this.#session?.focusQuery(query);
      return;
    }
    const panel = vscode.window.createWebviewPanel(SEARCH_PANEL_TYPE, vscode.l10n.t('CodeGraph Search'), vscode.ViewColumn.Active, { ...webviewOptions(this.host.extensionUri), retainContextWhenHidden: true });
    this.#attach(panel);
    this.#session?.focusQuery(query);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.#attach(panel);
  }

  #attach(panel: vscode.WebviewPanel): void {
    this.#panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.host.extensionUri, 'extension', 'media', 'codegraph.svg');
    const session = new SearchSession(panel.webview, this.host, () => vscode.ViewColumn.Beside);
    this.#session = session;
    panel.onDidDispose(() => {
      session.dispose();
      if (this.#panel === panel) {
        this.#panel = null;
        this.#session = null;
      }
    });
  }
}
