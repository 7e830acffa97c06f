import * as vscode from 'vscode';
import { Disposable } from './core/disposable.js';
import type { WorkspaceIndexes } from './core/workspaceIndexes.js';

/**
 * Feeds every way a file can change into the indexes: a file-system watcher
 * (terminal edits, git checkouts, generated code), saves, and explorer
 * create/delete/rename. Paths are batched per folder by its ChangeCoalescer,
 * so a checkout of thousands of files becomes one indexing run, and the same
 * change reported twice (save + watcher) is indexed once.
 */
export class FileEventRouter extends Disposable {
  constructor(
    private readonly indexes: WorkspaceIndexes,
    private readonly onDocumentEdited: (document: vscode.TextDocument) => void,
  ) {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*'));
    const disposables: vscode.Disposable[] = [];
    watcher.onDidCreate((uri) => this.#changed(uri), null, disposables);
    watcher.onDidChange((uri) => this.#changed(uri), null, disposables);
    watcher.onDidDelete((uri) => this.#changed(uri), null, disposables);
    vscode.workspace.onDidSaveTextDocument((document) => this.#changed(document.uri), null, disposables);
    vscode.workspace.onDidCreateFiles((event) => event.files.forEach((uri) => this.#changed(uri)), null, disposables);
    vscode.workspace.onDidDeleteFiles((event) => event.files.forEach((uri) => this.#changed(uri)), null, disposables);
    vscode.workspace.onDidRenameFiles(
      (event) => {
        for (const { oldUri, newUri } of event.files) {
          this.#changed(oldUri);
          this.#changed(newUri);
        }
      },
      null,
      disposables,
    );
    // Unsaved edits are not indexed (the index mirrors the disk), but they move lines under the lenses.
    vscode.workspace.onDidChangeTextDocument((event) => event.contentChanges.length > 0 && this.onDocumentEdited(event.document), null, disposables);
    for (const disposable of disposables) this.register(disposable);
  }

  #changed(uri: vscode.Uri): void {
    if (uri.scheme === 'file') this.indexes.notifyChanged(uri.fsPath);
  }
}
