/**
 * The extension's entry point: a thin composition root. Everything long-lived
 * is owned by CodeGraphExtension; heavy work (opening engines, indexing)
 * starts after `activate` has returned.
 */
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { CodeGraphExtension, type CodeGraphApi } from './codegraphExtension.js';
import { registerCommands } from './commands.js';
import { CONTEXT_KEYS } from './core/commandIds.js';
import { describeError } from './core/logger.js';
import { OutputLogger } from './log.js';

let current: CodeGraphExtension | null = null;

export function activate(context: vscode.ExtensionContext): CodeGraphApi {
  const started = performance.now();
  // The pure modules (no `vscode` import) translate with @vscode/l10n: hand it the bundle VS Code loaded for the display language.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const log = new OutputLogger();
  context.subscriptions.push(log);
  try {
    const extension = new CodeGraphExtension(context, log);
    current = extension;
    context.subscriptions.push(extension, ...registerCommands(extension));
    log.info(`CodeGraph ${String(context.extension.packageJSON['version'])} activated in ${Math.round(performance.now() - started)} ms (VS Code ${vscode.version}, Node ${process.version})`);
    setTimeout(() => extension.start(), 0);
    return extension.api;
  } catch (error) {
    // VS Code does not tell the user when activation throws; say it, then rethrow for the host's log.
    log.error('Activation failed', error);
    const showLog = vscode.l10n.t('Show Log');
    void vscode.window.showErrorMessage(vscode.l10n.t('CodeGraph failed to activate: {0}', describeError(error)), showLog).then((choice) => choice === showLog && log.show());
    throw error;
  }
}

/** How long deactivation waits for engines to finish their current batch and close SQLite. */
const SHUTDOWN_BUDGET_MS = 5000;

export async function deactivate(): Promise<void> {
  const extension = current;
  current = null;
  for (const key of Object.values(CONTEXT_KEYS)) void vscode.commands.executeCommand('setContext', key, undefined);
  if (!extension) return;
  // Graceful within a budget; past it the host tears the workers down with the process.
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), SHUTDOWN_BUDGET_MS)));
  const outcome = await Promise.race([extension.shutdown().then(() => 'closed' as const), budget]);
  clearTimeout(timer);
  if (outcome === 'timeout') extension.log.warn(`Engines did not close within ${SHUTDOWN_BUDGET_MS} ms; leaving them to the host's shutdown.`);
}
