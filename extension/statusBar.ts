import * as vscode from 'vscode';
import { commandId } from './core/commandIds.js';
import { Disposable } from './core/disposable.js';
import { presentStatus, type WorkspaceStatus } from './core/statusModel.js';

/** Commands the tooltip may run through its links. */
const TOOLTIP_COMMANDS = ['showStatus', 'search', 'showLog', 'pause', 'resume', 'reindex', 'selectModel'].map((name) => commandId(name as Parameters<typeof commandId>[0]));

/**
 * The one status bar item. `update` maps a WorkspaceStatus to text, codicon,
 * colours, tooltip and click command; frequent progress updates are coalesced
 * to one render per animation-ish interval so indexing never floods the UI.
 */
export class IndexStatusBar extends Disposable {
  readonly #item: vscode.StatusBarItem;
  #pending: WorkspaceStatus | null = null;
  #timer: NodeJS.Timeout | null = null;
  #last = '';

  constructor(private readonly intervalMs = 150) {
    super();
    this.#item = this.register(vscode.window.createStatusBarItem('codegraph.status', vscode.StatusBarAlignment.Left, 10));
    this.#item.name = 'CodeGraph';
    this.register({ dispose: () => this.#timer && clearTimeout(this.#timer) });
  }

  update(status: WorkspaceStatus): void {
    this.#pending = status;
    if (this.#timer) return;
    this.#render();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#pending) this.#render();
    }, this.intervalMs);
  }

  #render(): void {
    const status = this.#pending;
    this.#pending = null;
    if (!status || this.isDisposed) return;
    const presentation = presentStatus(status);
    const key = JSON.stringify(presentation);
    if (key === this.#last) return;
    this.#last = key;
    const item = this.#item;
    item.text = presentation.text;
    item.accessibilityInformation = { label: presentation.accessibilityLabel, role: 'button' };
    const tooltip = new vscode.MarkdownString(presentation.tooltip, true);
    tooltip.isTrusted = { enabledCommands: [...TOOLTIP_COMMANDS, 'workbench.trust.manage'] };
    item.tooltip = tooltip;
    item.command = presentation.command;
    item.backgroundColor = presentation.background ? new vscode.ThemeColor(`statusBarItem.${presentation.background}Background`) : undefined;
    if (presentation.visible) item.show();
    else item.hide();
  }
}
