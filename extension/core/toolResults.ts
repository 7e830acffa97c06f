/**
 * What the language-model tools tell a chat model: each hit as a short text
 * block that leads with its location (`path:start-end` and the file URI with a
 * line fragment, which chat renders as a link), then the code. Pure.
 */
import * as l10n from '@vscode/l10n';

export interface ToolHit {
  /** Folder name, shown in multi-root workspaces. */
  readonly folder: string;
  readonly path: string;
  readonly uri: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol: string | null;
  readonly kind: string;
  readonly language: string;
  readonly relevance: number;
  readonly text: string;
  /** The first line's leading whitespace in its file (chunk text starts at the definition), so indentation reads right. */
  readonly firstLineIndent?: string;
}

/** Lines of code per hit a model gets; the location lets it read the rest. */
export const TOOL_SNIPPET_LINES = 30;

/** A fence longer than any backtick run in the code, so code cannot close it. */
function fence(code: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

export function formatToolHit(hit: ToolHit, multiRoot: boolean): string {
  const lines = hit.text.replace(/\r\n?/g, '\n').split('\n');
  if (hit.firstLineIndent && /^[ \t]+$/.test(hit.firstLineIndent) && !/^\s/.test(lines[0]!)) lines[0] = hit.firstLineIndent + lines[0]!;
  const shown = lines.slice(0, TOOL_SNIPPET_LINES).join('\n');
  const more = lines.length > TOOL_SNIPPET_LINES ? `\n${l10n.t('… {0} more lines', lines.length - TOOL_SNIPPET_LINES)}` : '';
  const where = `${multiRoot ? `${hit.folder}/` : ''}${hit.path}:${hit.startLine}-${hit.endLine}`;
  const what = [hit.symbol, hit.kind, hit.language].filter(Boolean).join(', ');
  const code = fence(shown);
  return `${where} (${what}; relevance ${Math.round(hit.relevance * 100)}%)\n${hit.uri}#L${hit.startLine}-L${hit.endLine}\n${code}${hit.language}\n${shown}\n${code}${more}`;
}

export function toolSummary(kind: 'search' | 'similar', count: number, subject: string): string {
  if (count === 0) return kind === 'search' ? l10n.t('No indexed code matches "{0}".', subject) : l10n.t('No code in the index is similar to {0}.', subject);
  if (count === 1) return kind === 'search' ? l10n.t('1 result from the local CodeGraph index for "{0}":', subject) : l10n.t('1 chunk similar to {0}:', subject);
  return kind === 'search' ? l10n.t('{0} results from the local CodeGraph index for "{1}", best first:', count, subject) : l10n.t('{0} chunks similar to {1}, most similar first:', count, subject);
}
