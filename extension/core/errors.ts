/**
 * The extension's own error types. Engine failures keep their engine type
 * (`CodeGraphError` with a `code`); these cover what only the extension knows.
 * Messages are shown after a "CodeGraph: " prefix, so they do not name it again.
 */
import * as l10n from '@vscode/l10n';

export type ExtensionErrorCode = 'ENGINE_UNAVAILABLE' | 'OUTSIDE_WORKSPACE' | 'INVALID_MESSAGE' | 'UNTRUSTED_WORKSPACE' | 'NO_WORKSPACE';

export class ExtensionError extends Error {
  constructor(
    readonly code: ExtensionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The folder's engine is not open: it is still starting, or it failed to open. */
export class EngineUnavailableError extends ExtensionError {
  constructor(folderName: string, reason: string) {
    super('ENGINE_UNAVAILABLE', l10n.t("The index of '{0}' is not available: {1}", folderName, reason));
  }
}

/** A request named a file that is not inside an open workspace folder. */
export class OutsideWorkspaceError extends ExtensionError {
  constructor(detail: string) {
    super('OUTSIDE_WORKSPACE', l10n.t('Only files inside the workspace can be opened: {0}', detail));
  }
}

/** A webview message that does not match the protocol. */
export class InvalidMessageError extends ExtensionError {
  constructor(detail: string) {
    super('INVALID_MESSAGE', l10n.t('Invalid message from the search panel: {0}', detail));
  }
}

export class UntrustedWorkspaceError extends ExtensionError {
  constructor() {
    super('UNTRUSTED_WORKSPACE', l10n.t('Untrusted workspaces are not indexed (Restricted Mode). Trust this workspace to enable semantic search.'));
  }
}

export class NoWorkspaceError extends ExtensionError {
  constructor() {
    super('NO_WORKSPACE', l10n.t('Open a folder first: semantic search indexes workspace folders.'));
  }
}
