import * as vscode from 'vscode';
import type { SearchHit } from '../engine/index.js';
import { commandId, COMMANDS, type CommandName } from './core/commandIds.js';
import { ExtensionError, OutsideWorkspaceError } from './core/errors.js';
import { describeError } from './core/logger.js';
import { countable } from './core/similarity.js';
import type { CodeGraphExtension } from './codegraphExtension.js';
import { selectModel } from './modelPicker.js';
import { hitIcon, hitLabel, type LocationArgs, type ShowSimilarArgs } from './similar.js';
import { runHealthCheck, showStatusPick } from './statusPick.js';

type Handler = (extension: CodeGraphExtension, ...args: unknown[]) => unknown;

/** The selection as a search query, when it is a short single-line phrase. */
function selectedQuery(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) return undefined;
  const text = editor.document.getText(editor.selection).trim();
  return text.length > 0 && text.length <= 200 && !text.includes('\n') ? text : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Command links and menus pass arguments in many shapes; only this one is accepted. */
function parseLocationArgs(value: unknown): LocationArgs {
  if (!isRecord(value)) throw new OutsideWorkspaceError('missing location');
  const { folder, path, startLine, endLine } = value;
  if (typeof folder !== 'string' || typeof path !== 'string' || !Number.isInteger(startLine) || !Number.isInteger(endLine) || (startLine as number) < 1 || (endLine as number) < (startLine as number)) {
    throw new OutsideWorkspaceError(`malformed location ${JSON.stringify(value)}`);
  }
  return { folder, path, startLine: startLine as number, endLine: endLine as number };
}

function parseShowSimilarArgs(value: unknown): ShowSimilarArgs {
  if (!isRecord(value) || typeof value['uri'] !== 'string' || !Number.isInteger(value['line']) || (value['line'] as number) < 1) {
    throw new OutsideWorkspaceError(`malformed similar-code request ${JSON.stringify(value)}`);
  }
  return { uri: value['uri'], line: value['line'] as number };
}

interface HitPick extends vscode.QuickPickItem {
  readonly hit?: { folder: string; hit: SearchHit };
  readonly peek?: boolean;
}

async function pickSimilar(extension: CodeGraphExtension, title: string, hits: readonly { folder: string; hit: SearchHit }[], peek: (() => Promise<void>) | null): Promise<void> {
  if (hits.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('CodeGraph: {0}: nothing similar in the index.', title));
    return;
  }
  const items: HitPick[] = [
    ...(peek ? [{ label: `$(references) ${vscode.l10n.t('Show all {0} in the peek view', hits.length)}`, peek: true }] : []),
    ...hits.map((entry) => ({
      label: `$(${hitIcon(entry.hit.kind)}) ${hitLabel(entry.hit)}`,
      description: `${entry.hit.path}:${entry.hit.startLine}`,
      detail: vscode.l10n.t('similarity {0} · {1} · {2}', entry.hit.score.toFixed(2), entry.hit.kind, entry.hit.language),
      hit: entry,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Open a similar chunk'), matchOnDescription: true });
  if (!picked) return;
  if (picked.peek && peek) return peek();
  if (picked.hit) {
    const { folder, hit } = picked.hit;
    await extension.openLocation(folder, hit.path, hit.startLine, hit.endLine, { preview: true, column: vscode.ViewColumn.Active });
  }
}

async function showInPeek(extension: CodeGraphExtension, uri: vscode.Uri, line: number, folderKey: string, hits: readonly SearchHit[]): Promise<void> {
  const index = extension.indexes()?.get(folderKey);
  if (!index) return;
  const locations = hits.map((hit) => new vscode.Location(vscode.Uri.joinPath(vscode.Uri.file(index.folder.root), ...hit.path.split('/')), new vscode.Range(hit.startLine - 1, 0, hit.endLine - 1, 0)));
  await vscode.commands.executeCommand('editor.action.showReferences', uri, new vscode.Position(line - 1, 0), locations);
}

const handlers: Record<CommandName, Handler> = {
  search: (extension, query) => {
    extension.requireIndexes();
    return extension.searchView.reveal(typeof query === 'string' ? query : selectedQuery());
  },
  openSearchEditor: (extension, query) => {
    extension.requireIndexes();
    extension.searchPanel.createOrShow(typeof query === 'string' ? query : selectedQuery());
  },
  findSimilar: async (extension, uriArg, positionArg) => {
    const indexes = extension.requireIndexes();
    const editor = vscode.window.activeTextEditor;
    const uri = uriArg instanceof vscode.Uri ? uriArg : editor?.document.uri;
    if (!uri || uri.scheme !== 'file') throw new OutsideWorkspaceError(vscode.l10n.t('open a file of the workspace first'));
    const located = indexes.locate(uri.fsPath);
    if (!located) throw new OutsideWorkspaceError(vscode.l10n.t('{0} is not in a workspace folder', uri.fsPath));
    const selection = editor && editor.document.uri.toString() === uri.toString() && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
    if (selection && !(positionArg instanceof vscode.Position)) {
      // A selection is any code, not necessarily an indexed chunk: search with it as the query.
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('CodeGraph: finding similar code') }, () => indexes.search(selection.slice(0, 4000), { limit: 20 }));
      const origin = editor!.selection;
      const hits = result.hits
        .filter(({ folder, hit }) => !(folder.key === located.index.folder.key && hit.path === located.relativePath && hit.startLine <= origin.end.line + 1 && hit.endLine >= origin.start.line + 1))
        .map(({ folder, hit }) => ({ folder: folder.key, hit }));
      return pickSimilar(extension, vscode.l10n.t('Code similar to the selection'), hits, null);
    }
    const line = (positionArg instanceof vscode.Position ? positionArg.line : (editor?.selection.active.line ?? 0)) + 1;
    const { origin, hits } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('CodeGraph: finding similar code') }, () =>
      located.index.similar(located.relativePath, line, { limit: 20 }),
    );
    const shown = countable(hits, located.index.snapshot().similarityThreshold);
    const name = origin.symbol ?? vscode.l10n.t('{0} at line {1}', origin.kind, origin.startLine);
    return pickSimilar(
      extension,
      vscode.l10n.t('Code similar to {0}', name),
      shown.map((hit) => ({ folder: located.index.folder.key, hit })),
      () => showInPeek(extension, uri, origin.startLine, located.index.folder.key, shown),
    );
  },
  reindex: async (extension) => {
    const indexes = extension.requireIndexes();
    if (indexes.anyPaused) {
      const resume = vscode.l10n.t('Resume and Reindex');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('CodeGraph: indexing is paused. Resume and reindex?'), resume);
      if (choice !== resume) return;
      indexes.resumeAll();
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('CodeGraph: reindexing') }, () => indexes.reindexAll());
  },
  pause: (extension) => extension.requireIndexes().pauseAll(),
  resume: (extension) => extension.requireIndexes().resumeAll(),
  showStatus: (extension) => showStatusPick(extension),
  clearIndex: async (extension) => {
    const indexes = extension.requireIndexes();
    const clear = vscode.l10n.t('Clear Index');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Delete the CodeGraph index of this workspace and rebuild it from the sources?'), { modal: true }, clear);
    if (choice !== clear) return;
    extension.lookup.clear();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('CodeGraph: clearing the index') }, () => indexes.clearAll());
  },
  selectModel: () => selectModel(),
  healthCheck: (extension) => runHealthCheck(extension),
  showLog: (extension) => extension.log.show(),
  openLocation: async (extension, raw) => {
    const location = parseLocationArgs(raw);
    await extension.openLocation(location.folder, location.path, location.startLine, location.endLine, { preview: true, column: vscode.ViewColumn.Active });
  },
  showSimilar: async (extension, raw) => {
    const { uri: uriText, line } = parseShowSimilarArgs(raw);
    const uri = vscode.Uri.parse(uriText, true);
    const located = uri.scheme === 'file' ? extension.requireIndexes().locate(uri.fsPath) : undefined;
    if (!located) throw new OutsideWorkspaceError(vscode.l10n.t('{0} is not in a workspace folder', uriText));
    const { hits } = await extension.lookup.lookup(located.index, located.relativePath, line);
    if (hits.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('CodeGraph: no similar code in the index.'));
      return;
    }
    await showInPeek(extension, uri, line, located.index.folder.key, hits);
  },
};

/** Shows a command's failure: typed extension errors as they are, anything else pointing at the log. */
async function reportFailure(extension: CodeGraphExtension, name: CommandName, error: unknown): Promise<void> {
  if (error instanceof ExtensionError) {
    extension.log.warn(`${commandId(name)}: ${error.message}`);
    const manageTrust = vscode.l10n.t('Manage Workspace Trust');
    const actions = error.code === 'UNTRUSTED_WORKSPACE' ? [manageTrust] : [];
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('CodeGraph: {0}', error.message), ...actions);
    if (choice === manageTrust) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  extension.log.error(`${commandId(name)} failed`, error);
  const showLog = vscode.l10n.t('Show Log');
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('CodeGraph: {0} failed: {1}', vscode.l10n.t(COMMANDS[name].title), describeError(error)), showLog);
  if (choice === showLog) extension.log.show();
}

/** Registers every command in the table, each wrapped so failures reach the user once. */
export function registerCommands(extension: CodeGraphExtension): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandName[]).map((name) =>
    vscode.commands.registerCommand(commandId(name), async (...args: unknown[]) => {
      try {
        return await handlers[name](extension, ...args);
      } catch (error) {
        await reportFailure(extension, name, error);
        return undefined;
      }
    }),
  );
}
