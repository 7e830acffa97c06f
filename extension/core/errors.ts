/**
 * The extension's own error types. Engine failures keep their engine type
 * (`CodeGraphError` with a `code`); these cover what only the extension knows.
 */

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
    super('ENGINE_UNAVAILABLE', `The index of '${folderName}' is not available: ${reason}`);
  }
}

/** A request named a file that is not inside an open workspace folder. */
export class OutsideWorkspaceError extends ExtensionError {
  constructor(detail: string) {
    super('OUTSIDE_WORKSPACE', `Only files inside the workspace can be opened: ${detail}`);
  }
}

/** A webview message that does not match the protocol. */
export class InvalidMessageError extends ExtensionError {
  constructor(detail: string) {
    super('INVALID_MESSAGE', `Invalid message from the search panel: ${detail}`);
  }
}

export class UntrustedWorkspaceError extends ExtensionError {
  constructor() {
    super('UNTRUSTED_WORKSPACE', 'CodeGraph does not index untrusted workspaces. Trust this workspace to enable semantic search.');
  }
}

export class NoWorkspaceError extends ExtensionError {
  constructor() {
    super('NO_WORKSPACE', 'Open a folder to use CodeGraph: it indexes workspace folders.');
  }
}
