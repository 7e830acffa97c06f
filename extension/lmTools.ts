/**
 * The language-model tools `codegraph_search` (`#codegraph` in a chat prompt)
 * and `codegraph_similar`: chat agents in VS Code search the local index
 * through the same API other extensions get. They run only in trusted
 * workspaces (the manifest's `when` hides them otherwise, and each call checks
 * again, failing with a message the model can relay).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { CodeGraphHit } from './api.js';
import { UntrustedWorkspaceError } from './core/errors.js';
import { lineIndent } from './core/snippet.js';
import { formatToolHit, toolSummary, type ToolHit } from './core/toolResults.js';
import type { PublicApi } from './publicApi.js';

export const TOOL_NAMES = { search: 'codegraph_search', similar: 'codegraph_similar' } as const;

export interface SearchToolInput {
  readonly query: string;
  readonly limit?: number;
  readonly languages?: readonly string[];
  readonly paths?: readonly string[];
}

export interface SimilarToolInput {
  /** Workspace-relative (in the first folder, or `folder/path` in multi-root workspaces) or absolute. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  readonly limit?: number;
}

function toolHit(hit: CodeGraphHit, firstLineIndent: string): ToolHit {
  return { folder: hit.folder, path: hit.path, uri: hit.uri.toString(), startLine: hit.range.start.line + 1, endLine: hit.range.end.line, symbol: hit.symbol, kind: hit.kind, language: hit.language, relevance: hit.relevance, text: hit.text, firstLineIndent };
}

/** The leading whitespace of each hit's first line, read from its file (each file once); '' where unreadable. */
async function firstLineIndents(hits: readonly CodeGraphHit[]): Promise<string[]> {
  const files = new Map<string, Promise<string>>();
  return Promise.all(
    hits.map(async (hit) => {
      if (/^\s/.test(hit.text)) return '';
      const path = hit.uri.fsPath;
      if (!files.has(path)) files.set(path, readFile(path, 'utf8').catch(() => ''));
      return lineIndent(await files.get(path)!, hit.range.start.line + 1);
    }),
  );
}

async function result(summary: string, hits: readonly CodeGraphHit[]): Promise<vscode.LanguageModelToolResult> {
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const indents = await firstLineIndents(hits);
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(summary), ...hits.map((hit, index) => new vscode.LanguageModelTextPart(formatToolHit(toolHit(hit, indents[index]!), multiRoot)))]);
}

function requireTrust(): void {
  if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError();
}

/** A workspace file for a path a model wrote: absolute, relative to the only folder, or `folder/path`. */
function resolveToolPath(path: string): vscode.Uri {
  if (isAbsolute(path)) return vscode.Uri.file(path);
  const folders = vscode.workspace.workspaceFolders ?? [];
  const [first, ...rest] = path.split('/');
  const named = folders.find((folder) => folder.name === first);
  if (named && folders.length > 1) return vscode.Uri.file(join(named.uri.fsPath, ...rest));
  const folder = folders[0];
  if (!folder) throw new Error(vscode.l10n.t('No workspace folder is open.'));
  return vscode.Uri.file(join(folder.uri.fsPath, ...path.split('/')));
}

class SearchTool implements vscode.LanguageModelTool<SearchToolInput> {
  constructor(private readonly api: PublicApi) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<SearchToolInput>): vscode.PreparedToolInvocation {
    return { invocationMessage: vscode.l10n.t('Searching the local CodeGraph index for "{0}"', String(options.input.query)) };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<SearchToolInput>): Promise<vscode.LanguageModelToolResult> {
    requireTrust();
    const { query, limit, languages, paths } = options.input;
    const found = await this.api.search(query, { limit: limit ?? 8, languages, paths });
    const summary = toolSummary('search', found.hits.length, query) + (found.failures.length > 0 ? `\n${found.failures.map((failure) => `${failure.folder}: ${failure.message}`).join('\n')}` : '');
    return result(summary, found.hits);
  }
}

class SimilarTool implements vscode.LanguageModelTool<SimilarToolInput> {
  constructor(private readonly api: PublicApi) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<SimilarToolInput>): vscode.PreparedToolInvocation {
    return { invocationMessage: vscode.l10n.t('Finding code similar to {0}:{1}', String(options.input.path), String(options.input.line)) };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<SimilarToolInput>): Promise<vscode.LanguageModelToolResult> {
    requireTrust();
    const { path, line, limit } = options.input;
    if (typeof path !== 'string' || path === '' || !Number.isInteger(line) || line < 1) throw new Error(vscode.l10n.t('codegraph_similar needs a file path and a 1-based line number.'));
    const found = await this.api.similar(resolveToolPath(path), new vscode.Position(line - 1, 0), { limit: limit ?? 8 });
    const origin = `${found.origin.symbol ?? found.origin.kind} (${found.origin.path}:${found.origin.range.start.line + 1})`;
    return result(toolSummary('similar', found.hits.length, origin), found.hits);
  }
}

/** Registers both tools where this VS Code has the language-model tool API. */
export function registerLanguageModelTools(api: PublicApi): vscode.Disposable[] {
  if (typeof vscode.lm?.registerTool !== 'function') return [];
  return [vscode.lm.registerTool(TOOL_NAMES.search, new SearchTool(api)), vscode.lm.registerTool(TOOL_NAMES.similar, new SimilarTool(api))];
}
