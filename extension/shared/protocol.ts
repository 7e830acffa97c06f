/**
 * The search panel's message protocol, shared by the extension host and the
 * webview. Both directions are discriminated unions on `type`; the host
 * validates everything it receives with `parseWebviewMessage`, since a
 * webview's messages are untrusted input. No imports: the webview bundles this.
 */

export interface SearchFilters {
  /** Engine language ids; empty means all. */
  readonly languages: readonly string[];
  /** Path globs relative to each folder; empty means everywhere. */
  readonly paths: readonly string[];
}

export interface SnippetSegmentView {
  readonly text: string;
  readonly match: boolean;
}

export interface SnippetLineView {
  readonly line: number;
  readonly segments: readonly SnippetSegmentView[];
}

export interface SearchResultView {
  /** Unique within one results message. */
  readonly id: string;
  /** Key of the workspace folder (its URI); the host checks it on `open`. */
  readonly folder: string;
  readonly folderName: string;
  /** Folder-relative, `/`-separated. */
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol: string | null;
  readonly kind: string;
  readonly language: string;
  /** The engine's raw score (a fused rank value, not comparable across queries); shown only in the tooltip. */
  readonly score: number;
  /** How relevant the hit is, 0–1, as the panel shows it. */
  readonly relevance: number;
  /**
   * Where `relevance` comes from: the engine's normalised relevance, or, where
   * the engine gives none, the score relative to the best hit of the list.
   */
  readonly relevanceBasis: 'engine' | 'relative';
  readonly snippet: { readonly lines: readonly SnippetLineView[]; readonly moreAbove: boolean; readonly moreBelow: boolean };
}

/** What the panel shows about the index while it is not idle. */
export interface IndexStateView {
  readonly text: string;
  readonly busy: boolean;
  /** Whether searching can return anything yet. */
  readonly ready: boolean;
  /** Changes whenever the indexed content may have changed: the panel re-runs its query. */
  readonly generation: number;
}

/** The panel's own words, translated by the host (`vscode.l10n`) and sent with `init`; `{0}` marks a value. */
export interface PanelStrings {
  readonly allLanguages: string;
  readonly noResults: string;
  readonly oneResult: string;
  /** `{0}` results. */
  readonly manyResults: string;
  /** `{0}` is the result count text, `{1}` the milliseconds. */
  readonly resultsIn: string;
  readonly keywordOnly: string;
  /** `{0}` is the reason. */
  readonly searchFailed: string;
  /** `{0}` is the percentage. */
  readonly relevanceEngine: string;
  /** `{0}` is the percentage. */
  readonly relevanceRelative: string;
  readonly linesAbove: string;
  readonly linesBelow: string;
}

export type HostToWebview =
  | { readonly type: 'init'; readonly languages: readonly string[]; readonly multiRoot: boolean; readonly state: IndexStateView; readonly strings: PanelStrings }
  | { readonly type: 'indexState'; readonly state: IndexStateView }
  | {
      readonly type: 'results';
      readonly requestId: number;
      readonly query: string;
      readonly items: readonly SearchResultView[];
      readonly elapsedMs: number;
      readonly serviceLevel: 'hybrid' | 'lexical-only';
      /** Folders that could not answer, as readable messages. */
      readonly warnings: readonly string[];
    }
  | { readonly type: 'searchFailed'; readonly requestId: number; readonly message: string }
  /** Focus the query box, optionally replacing the query (e.g. with the editor selection). */
  | { readonly type: 'focusQuery'; readonly query?: string };

export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'search'; readonly requestId: number; readonly query: string; readonly filters: SearchFilters }
  | { readonly type: 'open'; readonly folder: string; readonly path: string; readonly startLine: number; readonly endLine: number; readonly preview: boolean }
  | { readonly type: 'cspViolation'; readonly directive: string; readonly blockedUri: string };

/** Fills `{0}`, `{1}`… in a translated string. */
export function fillPlaceholders(template: string, ...values: readonly (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < values.length ? String(values[Number(index)]) : whole));
}

export const LIMITS = {
  queryLength: 1000,
  filterItems: 32,
  filterLength: 512,
  pathLength: 4096,
  maxLine: 10_000_000,
} as const;

/** Thrown for a message that does not match the protocol; the message says which field. */
export class ProtocolError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'ProtocolError';
  }
}

/** Validates an incoming webview message field by field; unknown fields are dropped. */
export function parseWebviewMessage(value: unknown): WebviewToHost {
  const record = asRecord(value, 'message');
  switch (record['type']) {
    case 'ready':
      return { type: 'ready' };
    case 'search': {
      const filters = asRecord(record['filters'] ?? {}, 'filters');
      return {
        type: 'search',
        requestId: integer(record['requestId'], 'requestId', 0, Number.MAX_SAFE_INTEGER),
        query: text(record['query'], 'query', LIMITS.queryLength),
        filters: {
          languages: textList(filters['languages'] ?? [], 'filters.languages').map((language) => {
            if (!/^[a-z0-9][a-z0-9_+#-]*$/.test(language)) throw new ProtocolError(`filters.languages: '${language}' is not a language id`);
            return language;
          }),
          paths: textList(filters['paths'] ?? [], 'filters.paths'),
        },
      };
    }
    case 'open': {
      const startLine = integer(record['startLine'], 'startLine', 1, LIMITS.maxLine);
      const endLine = integer(record['endLine'], 'endLine', startLine, LIMITS.maxLine);
      return {
        type: 'open',
        folder: text(record['folder'], 'folder', LIMITS.pathLength, 1),
        path: text(record['path'], 'path', LIMITS.pathLength, 1),
        startLine,
        endLine,
        preview: record['preview'] === true,
      };
    }
    case 'cspViolation':
      return { type: 'cspViolation', directive: text(record['directive'], 'directive', 200), blockedUri: text(record['blockedUri'] ?? '', 'blockedUri', 2000) };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(record['type'])}`);
  }
}

function asRecord(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, name: string, maxLength: number, minLength = 0): string {
  if (typeof value !== 'string') throw new ProtocolError(`${name} must be a string`);
  if (value.length < minLength || value.length > maxLength) throw new ProtocolError(`${name} must be ${minLength} to ${maxLength} characters long`);
  if (value.includes('\0')) throw new ProtocolError(`${name} must not contain NUL`);
  return value;
}

function integer(value: unknown, name: string, minimum: number, maximum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) throw new ProtocolError(`${name} must be an integer from ${minimum} to ${maximum}`);
  return value;
}

function textList(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${name} must be a list`);
  if (value.length > LIMITS.filterItems) throw new ProtocolError(`${name} may hold at most ${LIMITS.filterItems} items`);
  return value.map((item, index) => text(item, `${name}[${index}]`, LIMITS.filterLength).trim()).filter((item) => item !== '');
}
