import * as vscode from 'vscode';
import type { SearchHit } from '../engine/index.js';
import { commandId } from './core/commandIds.js';
import { Disposable } from './core/disposable.js';
import { describeError, type Logger } from './core/logger.js';
import { LENS_KINDS, lensTitle, type SimilarLookup } from './core/similarity.js';
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
  return hit.symbol ?? `${hit.kind} at line ${hit.startLine}`;
}

export function hitIcon(kind: string): string {
  return kindIcon(kind);
}

interface SimilarLens extends vscode.CodeLens {
  readonly folderKey: string;
  readonly relativePath: string;
  readonly line: number;
  readonly documentUri: vscode.Uri;
}

/**
 * "N similar" above definitions. `provideCodeLenses` only lists ranges from the
 * index (cheap); `resolveCodeLens` runs the cached similarity lookup for lenses
 * actually on screen.
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
    if (token.isCancellationRequested) return [];
    const lenses: SimilarLens[] = [];
    const lensLines = new Set<number>();
    const symbolEnds = new Map<string, number>();
    for (const chunk of chunks) {
      if (!LENS_KINDS.has(chunk.kind) || chunk.startLine > document.lineCount || lensLines.has(chunk.startLine)) continue;
      // A long definition is split into consecutive parts with one symbol: one lens, on the first part.
      const previousEnd = chunk.symbol ? symbolEnds.get(chunk.symbol) : undefined;
      if (chunk.symbol) symbolEnds.set(chunk.symbol, chunk.endLine);
      if (previousEnd !== undefined && previousEnd >= chunk.startLine - 1) continue;
      lensLines.add(chunk.startLine);
      const range = new vscode.Range(chunk.startLine - 1, 0, chunk.endLine - 1, 0);
      lenses.push(Object.assign(new vscode.CodeLens(range), { folderKey: located.index.folder.key, relativePath: located.relativePath, line: chunk.startLine, documentUri: document.uri }));
    }
    return lenses;
  }

  async resolveCodeLens(codeLens: vscode.CodeLens, token: vscode.CancellationToken): Promise<vscode.CodeLens> {
    const lens = codeLens as SimilarLens;
    const index = this.host.indexes()?.get(lens.folderKey);
    if (!index) return lens;
    try {
      const result = await this.host.lookup.lookup(index, lens.relativePath, lens.line);
      if (token.isCancellationRequested) return lens;
      const args: ShowSimilarArgs = { uri: lens.documentUri.toString(), line: lens.line };
      lens.command = { title: lensTitle(result.hits.length), command: commandId('showSimilar'), arguments: [args], tooltip: 'Show similar code (CodeGraph)' };
    } catch (error) {
      this.host.log.debug(`No similar code for ${lens.relativePath}:${lens.line}: ${describeError(error)}`);
      lens.command = { title: 'similar code unavailable', command: '', tooltip: describeError(error) };
    }
    return lens;
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
    markdown.appendMarkdown(`**Similar code** · CodeGraph\n\n`);
    if (result.hits.length === 0) {
      markdown.appendMarkdown('_No similar code in the index._');
    } else {
      for (const hit of result.hits.slice(0, 5)) {
        const args: LocationArgs = { folder: located.index.folder.key, path: hit.path, startLine: hit.startLine, endLine: hit.endLine };
        const link = `command:${commandId('openLocation')}?${encodeURIComponent(JSON.stringify([args]))}`;
        markdown.appendMarkdown(`- $(${hitIcon(hit.kind)}) [${escapeMarkdown(hitLabel(hit))}](${link} "Open in the editor") — ${codeSpan(`${hit.path}:${hit.startLine}`)} · ${hit.score.toFixed(2)}\n`);
      }
      const all: ShowSimilarArgs = { uri: document.uri.toString(), line };
      markdown.appendMarkdown(`\n[Show all ${result.hits.length} in peek view](command:${commandId('showSimilar')}?${encodeURIComponent(JSON.stringify([all]))})`);
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
