import * as vscode from 'vscode';
import type { SearchHit } from '../engine/index.js';
import { commandId } from './core/commandIds.js';
import { Disposable } from './core/disposable.js';
import { describeError, type Logger } from './core/logger.js';
import { LENS_KINDS, lensLines, lensTitle, type SimilarLookup } from './core/similarity.js';
import type { WorkspaceIndexes } from './core/workspaceIndexes.js';
import { kindIcon } from './shared/kindIcons.js';

/** Arguments of `codegraph.openLocation`; also what hover links carry. */
export interface LocationArgs {
  readonly folder: string;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
}

/** Arguments of `codegraph.showSimilar`. */
export interface ShowSimilarArgs {
  readonly uri: string;
  /** 1-based line of the origin chunk. */
  readonly line: number;
}

export interface SimilarHost {
  readonly log: Logger;
  indexes(): WorkspaceIndexes | null;
  readonly lookup: SimilarLookup;
  codeLensEnabled(): boolean;
  hoverEnabled(): boolean;
}


export function hitLabel(hit: SearchHit): string {
  return hit.symbol ?? vscode.l10n.t('{0} at line {1}', hit.kind, hit.startLine);
}

export function hitIcon(kind: string): string {
  return kindIcon(kind);
}

/**
 * "N similar" above definitions, and only above those that have similar code:
 * a "no similar code" lens over every function says nothing and costs a line
 * each. Whether a definition has neighbours needs its lookup, so
 * `provideCodeLenses` runs the (cached, per index generation) lookups one by
 * one, stopping when VS Code cancels, and returns finished lenses.
 */
export class SimilarCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  readonly #onDidChange = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.#onDidChange.event;

  constructor(private readonly host: SimilarHost) {
    super();
  }

  refresh(): void {
    this.#onDidChange.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.host.codeLensEnabled() || document.uri.scheme !== 'file' || document.isDirty) return [];
    const located = this.host.indexes()?.locate(document.uri.fsPath);
    if (!located || located.relativePath === '') return [];
    let chunks;
    try {
      chunks = await located.index.chunksOfFile(located.relativePath);
    } catch {
      // Not indexed (yet), or the engine is starting: no lenses rather than an error per file.
      return [];
    }
    const lenses: vscode.CodeLens[] = [];
    for (const line of lensLines(chunks, document.lineCount)) {
      if (token.isCancellationRequested) return [];
      let count: number;
      try {
        count = (await this.host.lookup.lookup(located.index, located.relativePath, line.startLine)).hits.length;
      } catch (error) {
        this.host.log.debug(`No similar code for ${located.relativePath}:${line.startLine}: ${describeError(error)}`);
        continue;
      }
      if (count === 0) continue;
      const args: ShowSimilarArgs = { uri: document.uri.toString(), line: line.startLine };
      lenses.push(
        new vscode.CodeLens(new vscode.Range(line.startLine - 1, 0, line.endLine - 1, 0), {
          title: lensTitle(count),
          command: commandId('showSimilar'),
          arguments: [args],
          tooltip: vscode.l10n.t('Show similar code (CodeGraph)'),
        }),
      );
    }
    return token.isCancellationRequested ? [] : lenses;
  }
}

/** On a definition's first line, a hover with its most similar chunks; links open them. */
export class SimilarHoverProvider implements vscode.HoverProvider {
  constructor(private readonly host: SimilarHost) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.host.hoverEnabled() || document.uri.scheme !== 'file') return undefined;
    const located = this.host.indexes()?.locate(document.uri.fsPath);
    if (!located || located.relativePath === '') return undefined;
    let chunks;
    try {
      chunks = await located.index.chunksOfFile(located.relativePath);
    } catch {
      return undefined;
    }
    const line = position.line + 1;
    // Only the definition's own first line (its signature): a hover anywhere in a body would be noise.
    const chunk = chunks.find((candidate) => LENS_KINDS.has(candidate.kind) && candidate.startLine === line);
    if (!chunk || token.isCancellationRequested) return undefined;
    let result;
    try {
      result = await this.host.lookup.lookup(located.index, located.relativePath, line);
    } catch (error) {
      this.host.log.debug(`Hover lookup failed for ${located.relativePath}:${line}: ${describeError(error)}`);
      return undefined;
    }
    const markdown = new vscode.MarkdownString(undefined, true);
    markdown.isTrusted = { enabledCommands: [commandId('openLocation'), commandId('showSimilar')] };
    markdown.appendMarkdown(`**${vscode.l10n.t('Similar code')}** · CodeGraph\n\n`);
    if (result.hits.length === 0) {
      markdown.appendMarkdown(`_${vscode.l10n.t('No similar code in the index.')}_`);
    } else {
      for (const hit of result.hits.slice(0, 5)) {
        const args: LocationArgs = { folder: located.index.folder.key, path: hit.path, startLine: hit.startLine, endLine: hit.endLine };
        const link = `command:${commandId('openLocation')}?${encodeURIComponent(JSON.stringify([args]))}`;
        markdown.appendMarkdown(`- $(${hitIcon(hit.kind)}) [${escapeMarkdown(hitLabel(hit))}](${link} "${escapeMarkdown(vscode.l10n.t('Open in the editor'))}") — ${codeSpan(`${hit.path}:${hit.startLine}`)} · ${hit.score.toFixed(2)}\n`);
      }
      const all: ShowSimilarArgs = { uri: document.uri.toString(), line };
      markdown.appendMarkdown(`\n[${escapeMarkdown(vscode.l10n.t('Show all {0} in peek view', result.hits.length))}](command:${commandId('showSimilar')}?${encodeURIComponent(JSON.stringify([all]))})`);
    }
    const range = new vscode.Range(position.line, 0, position.line, document.lineAt(position.line).text.length);
    return new vscode.Hover(markdown, range);
  }
}

/** Escapes Markdown punctuation in text that comes from the indexed code. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** Inline code for any text: backslash escapes do not work inside code spans, so fence with enough backticks. */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}
