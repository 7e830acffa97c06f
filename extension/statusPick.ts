import * as vscode from 'vscode';
import { memorySnapshot } from '../engine/metrics/metrics.js';
import { assessHealth, formatHealth, type FolderHealthInput, type HealthReport } from './core/health.js';
import { describeError } from './core/logger.js';
import { statusPickEntries } from './core/statusReport.js';
import type { CodeGraphExtension } from './codegraphExtension.js';

interface EntryItem extends vscode.QuickPickItem {
  readonly command?: string;
}

/** "Show Index Status": state, model, cache and metrics per folder, then actions. */
export async function showStatusPick(extension: CodeGraphExtension): Promise<void> {
  const indexes = extension.requireIndexes();
  const folders = await Promise.all(
    indexes.all().map(async (index) => ({ snapshot: index.snapshot(), status: await index.status().catch(() => null) })),
  );
  for (const { snapshot, status } of folders) {
    if (status) extension.log.info(`[${snapshot.folder.name}] Metrics: ${JSON.stringify(status.metrics)}; counts ${JSON.stringify(status.counts)}`);
  }
  const items: EntryItem[] = statusPickEntries(folders, indexes.anyPaused, { now: Date.now(), locale: vscode.env.language }).map((entry) => {
    switch (entry.kind) {
      case 'separator':
        return { label: entry.label, kind: vscode.QuickPickItemKind.Separator };
      case 'info':
        return { label: entry.label, ...(entry.description ? { description: entry.description } : {}), ...(entry.detail ? { detail: entry.detail } : {}) };
      case 'action':
        return { label: entry.label, command: entry.command, ...(entry.description ? { description: entry.description } : {}) };
    }
  });
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('CodeGraph: Index Status'), placeHolder: vscode.l10n.t('Status and metrics; pick an action'), matchOnDescription: true });
  if (picked?.command) await vscode.commands.executeCommand(picked.command);
}

/** Runs the health check, writes it to the log, and summarises it in a notification. */
export async function runHealthCheck(extension: CodeGraphExtension): Promise<HealthReport> {
  const indexes = extension.requireIndexes();
  const inputs: FolderHealthInput[] = await Promise.all(
    indexes.all().map(async (index) => {
      const status = await index.status().catch(() => null);
      let integrityProblems: string[] | null = null;
      if (index.engine) {
        try {
          integrityProblems = await index.engine.store.integrityCheck();
        } catch (error) {
          extension.log.warn(`[${index.folder.name}] Integrity check failed to run: ${describeError(error)}`);
        }
      }
      return { name: index.folder.name, activity: index.snapshot().activity, status, integrityProblems };
    }),
  );
  const report = assessHealth(inputs, memorySnapshot());
  const text = formatHealth(report);
  for (const line of text.split('\n')) extension.log.info(line);
  const problems = report.checks.filter((check) => check.level !== 'ok').map((check) => `${check.name}: ${check.detail}`).join('; ');
  const summary = vscode.l10n.t('CodeGraph health: {0} — {1}', report.level.toUpperCase(), problems || vscode.l10n.t('model, cache, index and memory are fine'));
  const show = report.level === 'fail' ? vscode.window.showErrorMessage : report.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const showLog = vscode.l10n.t('Show Log');
  void show(summary, showLog).then((choice) => choice === showLog && extension.log.show());
  return report;
}
