/**
 * The search panel's HTML. Strict CSP: nothing by default, scripts only with a
 * fresh nonce, styles, fonts and images only from the extension's own
 * webview resources. Initial data travels as escaped JSON in a data attribute,
 * never as inline script.
 */
import { randomBytes } from 'node:crypto';
import * as l10n from '@vscode/l10n';

/** A fresh, unguessable nonce for one render. */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

export interface SearchHtmlInput {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly codiconUri: string;
  readonly initialState: unknown;
  readonly title: string;
  /** The display language (`vscode.env.language`). */
  readonly language?: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderSearchHtml(input: SearchHtmlInput): string {
  const attribute = (value: string) => escapeHtml(value);
  const text = (value: string) => escapeHtml(value);
  return `<!DOCTYPE html>
<html lang="${attribute(input.language ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(contentSecurityPolicy(input.cspSource, input.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attribute(input.codiconUri)}">
<link rel="stylesheet" href="${attribute(input.styleUri)}">
<title>${escapeHtml(input.title)}</title>
</head>
<body data-initial="${attribute(JSON.stringify(input.initialState))}">
<main id="app" class="app">
  <div class="query-row">
    <span class="codicon codicon-search query-icon" aria-hidden="true"></span>
    <input id="query" class="query" type="text" spellcheck="false" autocomplete="off" placeholder="${attribute(l10n.t('Describe the code you are looking for'))}" aria-label="${attribute(l10n.t('Search code semantically'))}" aria-controls="results">
  </div>
  <details id="filters" class="filters">
    <summary><span class="codicon codicon-filter" aria-hidden="true"></span> ${text(l10n.t('Filters'))}</summary>
    <label class="filter">${text(l10n.t('Language'))}
      <select id="language" aria-label="${attribute(l10n.t('Language filter'))}"><option value="">${text(l10n.t('All languages'))}</option></select>
    </label>
    <label class="filter">${text(l10n.t('Paths'))}
      <input id="paths" type="text" spellcheck="false" placeholder="${attribute(l10n.t('e.g. src/**, !**/*.test.ts'))}" aria-label="${attribute(l10n.t('Path globs, comma-separated'))}">
    </label>
  </details>
  <div id="state" class="state" role="status" aria-live="polite"></div>
  <ul id="results" class="results" role="listbox" aria-label="${attribute(l10n.t('Search results'))}"></ul>
</main>
<script nonce="${attribute(input.nonce)}" src="${attribute(input.scriptUri)}"></script>
</body>
</html>`;
}
